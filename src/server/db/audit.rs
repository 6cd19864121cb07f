//! The audit log of administrators' actions.

use super::Db;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One recorded action. Names are copies taken when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub created_at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub target_user_id: Option<i64>,
    pub target_name: Option<String>,
    pub token_id: Option<i64>,
    pub token_name: Option<String>,
    pub details: String,
}

pub struct NewAuditEvent<'a> {
    pub created_at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target_user_id: Option<i64>,
    pub target_name: Option<&'a str>,
    pub token_id: Option<i64>,
    pub token_name: Option<&'a str>,
    pub details: &'a str,
}

const COLUMNS: &str = "id, created_at, actor_id, actor_name, action, target_user_id, \
                       target_name, token_id, token_name, details";

fn from_row(row: &AnyRow) -> Result<AuditEvent, sqlx::Error> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        actor_id: row.try_get("actor_id")?,
        actor_name: row.try_get("actor_name")?,
        action: row.try_get("action")?,
        target_user_id: row.try_get("target_user_id")?,
        target_name: row.try_get("target_name")?,
        token_id: row.try_get("token_id")?,
        token_name: row.try_get("token_name")?,
        details: row.try_get("details")?,
    })
}

/// Records an event, through any executor: in the transaction of the
/// change it records, so the two are written together or not at all.
pub async fn insert<'e, E>(executor: E, e: &NewAuditEvent<'_>) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO audit_events (created_at, actor_id, actor_name, action, target_user_id, \
         target_name, token_id, token_name, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(e.created_at)
    .bind(e.actor_id)
    .bind(e.actor_name)
    .bind(e.action)
    .bind(e.target_user_id)
    .bind(e.target_name)
    .bind(e.token_id)
    .bind(e.token_name)
    .bind(e.details)
    .execute(executor)
    .await?;
    Ok(())
}

/// One page of events, newest first, and how many there are in all;
/// `user_id` narrows them to one target user.
pub async fn list(
    db: &Db,
    user_id: Option<i64>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEvent>, i64), sqlx::Error> {
    // Unfiltered, the user id is compared with itself: one statement shape.
    let (filter, key) = match user_id {
        Some(id) => ("target_user_id = $1", id),
        None => ("$1 = $1", 0),
    };
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE {filter}"))
            .bind(key)
            .fetch_one(&db.pool)
            .await?;
    let events = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {filter} ORDER BY id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(key)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect::<Result<_, _>>()?;
    Ok((events, total))
}
