//! Mail kept in the database when no SMTP server is configured.

use super::Db;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    pub id: i64,
    pub created_at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

fn from_row(row: &AnyRow) -> Result<StoredMail, sqlx::Error> {
    Ok(StoredMail {
        id: row.try_get("id")?,
        created_at: row.try_get("created_at")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
    })
}

pub async fn insert<'e, E>(
    executor: E,
    now: i64,
    recipient: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO outbox (created_at, recipient, subject, body) VALUES ($1, $2, $3, $4)",
    )
    .bind(now)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .execute(executor)
    .await?;
    Ok(())
}

/// One page of messages, newest first, and how many there are in all.
pub async fn list(db: &Db, offset: i64, limit: i64) -> Result<(Vec<StoredMail>, i64), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(&db.pool)
        .await?;
    let mails = sqlx::query(
        "SELECT id, created_at, recipient, subject, body FROM outbox \
         ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect::<Result<_, _>>()?;
    Ok((mails, total))
}
