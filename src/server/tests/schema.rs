//! The two migration folders must build the same schema: the same tables,
//! the same columns (and which may be NULL), the same indexes and triggers.
//! Types differ by design (SQLite's INTEGER is PostgreSQL's BIGINT), names
//! must not.

use super::support::{postgres, runtime, sqlite};
use crate::server::db::Db;
use sqlx::Row;
use std::collections::BTreeSet;

/// `table.column NULL|NOT NULL` for every column, and `index table.name`
/// for every index made by a migration (not those that back a primary key
/// or an inline UNIQUE, which each backend names its own way).
async fn schema(db: &Db, sqlite: bool) -> BTreeSet<String> {
    let (columns, indexes) = if sqlite {
        (
            "SELECT m.name AS tbl, p.name AS col, \
                    CAST(p.\"notnull\" + (p.pk > 0) AS INTEGER) AS required \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
            "SELECT tbl_name AS tbl, name FROM sqlite_master \
             WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'",
        )
    } else {
        (
            "SELECT table_name::TEXT AS tbl, column_name::TEXT AS col, \
                    CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) AS required \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
            "SELECT i.tablename::TEXT AS tbl, i.indexname::TEXT AS name FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename NOT LIKE '_sqlx%' \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                               WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))",
        )
    };
    let mut seen = BTreeSet::new();
    for row in sqlx::query(columns).fetch_all(&db.pool).await.unwrap() {
        let table: String = row.get("tbl");
        let column: String = row.get("col");
        let required: i64 = row.get("required");
        let null = if required > 0 { "NOT NULL" } else { "NULL" };
        seen.insert(format!("{table}.{column} {null}"));
    }
    for row in sqlx::query(indexes).fetch_all(&db.pool).await.unwrap() {
        let table: String = row.get("tbl");
        let name: String = row.get("name");
        seen.insert(format!("index {table}.{name}"));
    }
    let triggers = if sqlite {
        "SELECT tbl_name AS tbl, name FROM sqlite_master WHERE type = 'trigger'"
    } else {
        "SELECT DISTINCT event_object_table::TEXT AS tbl, trigger_name::TEXT AS name \
         FROM information_schema.triggers WHERE trigger_schema = current_schema()"
    };
    for row in sqlx::query(triggers).fetch_all(&db.pool).await.unwrap() {
        let table: String = row.get("tbl");
        let name: String = row.get("name");
        seen.insert(format!("trigger {table}.{name}"));
    }
    seen
}

/// `schema` split into what is not and what is part of the name search
/// index.
fn without_name_search(schema: BTreeSet<String>) -> (BTreeSet<String>, BTreeSet<String>) {
    let (search, rest) = schema
        .into_iter()
        .partition(|s| s.contains("personal_access_tokens_name_search"));
    (rest, search)
}

#[test]
#[cfg_attr(
    not(forgekey_test_pg),
    ignore = "no PostgreSQL named: set FORGEKEY_TEST_PG_URL (scripts/test.sh does)"
)]
fn both_migration_folders_build_the_same_schema() {
    runtime().block_on(async {
        let lite = sqlite().await;
        let pg = postgres().await;
        let lite_schema = schema(&lite.db, true).await;
        let pg_schema = schema(&pg.db, false).await;
        assert!(
            lite_schema.contains("personal_access_tokens.token_digest NOT NULL"),
            "{lite_schema:#?}"
        );
        assert!(
            lite_schema.iter().any(|s| s.starts_with("index ")),
            "{lite_schema:#?}"
        );
        assert!(
            lite_schema.contains("trigger users.auth_changes_user_updated"),
            "{lite_schema:#?}"
        );
        // The name search index is each backend's own: an FTS5 table (with
        // its shadow tables and triggers) in SQLite, a pg_trgm index in
        // PostgreSQL. Each must exist; nothing else may differ.
        let (lite_schema, lite_search) = without_name_search(lite_schema);
        let (pg_schema, pg_search) = without_name_search(pg_schema);
        assert!(
            lite_search.contains(
                "trigger personal_access_tokens.personal_access_tokens_name_search_renamed"
            ),
            "{lite_search:#?}"
        );
        assert_eq!(
            pg_search,
            BTreeSet::from([
                "index personal_access_tokens.personal_access_tokens_name_search".to_owned()
            ])
        );
        let only_lite: Vec<_> = lite_schema.difference(&pg_schema).collect();
        let only_pg: Vec<_> = pg_schema.difference(&lite_schema).collect();
        assert!(
            only_lite.is_empty() && only_pg.is_empty(),
            "only in SQLite: {only_lite:#?}\nonly in PostgreSQL: {only_pg:#?}"
        );
    });
}
