//! Mail kept in the database when no SMTP server is configured.

use super::{Conditions, Db};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    pub id: i64,
    pub created_at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// When an SMTP server took it.
    pub sent_at: Option<i64>,
    /// Failed attempts to send it.
    pub attempts: i64,
    pub last_error: Option<String>,
    /// No attempt before this instant.
    pub next_attempt_at: Option<i64>,
    /// The part for the recipient only, sealed (`services::mail`).
    pub sealed: Option<String>,
}

const COLUMNS: &str =
    "id, created_at, recipient, subject, body, sent_at, attempts, last_error, next_attempt_at, sealed";

fn from_row(row: &AnyRow) -> Result<StoredMail, sqlx::Error> {
    Ok(StoredMail {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        sent_at: row.try_get("sent_at")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        sealed: row.try_get("sealed")?,
    })
}

pub async fn insert<'e, E>(
    executor: E,
    now: i64,
    recipient: &str,
    subject: &str,
    body: &str,
    sealed: Option<&str>,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO outbox (created_at, recipient, subject, body, sealed) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(now)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .bind(sealed)
    .execute(executor)
    .await?;
    Ok(())
}

/// One page of messages, newest first, and how many there are in all.
pub async fn list(db: &Db, offset: i64, limit: i64) -> Result<(Vec<StoredMail>, i64), sqlx::Error> {
    Conditions::default()
        .page(db, (COLUMNS, "outbox"), true, (offset, limit), from_row)
        .await
}

/// Up to `limit` unsent messages due an attempt at `now` (not given up,
/// not waiting for a retry, not claimed by another sender), oldest first.
pub async fn due(
    db: &Db,
    now: i64,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<StoredMail>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM outbox WHERE sent_at IS NULL AND attempts < $1 \
         AND (next_attempt_at IS NULL OR next_attempt_at <= $2) \
         AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY id LIMIT $3"
    ))
    .bind(max_attempts)
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Claims an unsent message until `until` for one sender; false when
/// another sender claimed it first (or it was sent meanwhile).
pub async fn claim(db: &Db, id: i64, now: i64, until: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND sent_at IS NULL \
         AND (claimed_until IS NULL OR claimed_until <= $3)",
    )
    .bind(until)
    .bind(id)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected()
        == 1)
}

pub async fn mark_sent(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET sent_at = $1, claimed_until = NULL WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Counts a failed attempt; `next_attempt_at` None gives the mail up.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    next_attempt_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         claimed_until = NULL WHERE id = $3",
    )
    .bind(error)
    .bind(next_attempt_at)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}
