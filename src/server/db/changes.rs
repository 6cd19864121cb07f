//! The change feed (`auth_changes`, written by triggers): which tokens and
//! users changed in a way that matters to a token check.

use super::{Backend, Db};
use crate::domain::ids::{TokenId, UserId};
use sqlx::Row;

/// One change: a token's, or a user's (and so all their tokens').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub token_id: Option<TokenId>,
    pub user_id: Option<UserId>,
    pub changed_at: i64,
}

/// The database's clock, in seconds (the triggers stamp changes with it).
pub async fn database_now(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = match db.backend {
        Backend::Sqlite => "SELECT CAST(strftime('%s', 'now') AS INTEGER)",
        Backend::Postgres => "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)",
    };
    sqlx::query_scalar::<_, i64>(sql).fetch_one(&db.pool).await
}

/// Changes stamped at or after `since` (database clock), oldest first.
pub async fn since(db: &Db, since: i64) -> Result<Vec<Change>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, token_id, user_id, changed_at FROM auth_changes \
         WHERE changed_at >= $1 ORDER BY id",
    )
    .bind(since)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Change {
                id: row.try_get("id")?,
                token_id: row.try_get::<Option<i64>, _>("token_id")?.map(TokenId),
                user_id: row.try_get::<Option<i64>, _>("user_id")?.map(UserId),
                changed_at: row.try_get("changed_at")?,
            })
        })
        .collect()
}

/// Deletes changes stamped before `before`.
pub async fn purge(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM auth_changes WHERE changed_at < $1")
            .bind(before)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
