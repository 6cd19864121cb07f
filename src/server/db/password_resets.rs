//! "Forgot your password?" links: the keyed digest of each mailed link,
//! never the link.

use super::Db;
use crate::domain::ids::UserId;
use crate::domain::token::TokenDigest;
use sqlx::Row;

/// A link, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetLink {
    pub id: i64,
    pub user_id: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert<'e, E>(
    executor: E,
    user_id: UserId,
    digest: &TokenDigest,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO password_resets (user_id, digest, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(digest.to_hex())
    .bind(now)
    .bind(expires_at)
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn find_by_digest(
    db: &Db,
    digest: &TokenDigest,
) -> Result<Option<ResetLink>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, user_id, created_at, expires_at, used_at FROM password_resets \
         WHERE digest = $1",
    )
    .bind(digest.to_hex())
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(ResetLink {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            used_at: row.try_get("used_at")?,
        })
    })
    .transpose()
}

/// The newest link made for the user, when it was made.
pub async fn latest_for_user(db: &Db, user_id: UserId) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(created_at) FROM password_resets WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await
}

/// Uses the link `id` at `now`, in the caller's transaction: false when it
/// was used already or has expired meanwhile (one use, even racing).
/// Every other link of the user stops working with it.
pub async fn take<'c>(
    tx: &mut sqlx::Transaction<'c, sqlx::Any>,
    link: &ResetLink,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE password_resets SET used_at = $1 \
         WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(link.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(link.user_id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Deletes links that expired before `before` (the daily jobs).
pub async fn purge(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM password_resets WHERE expires_at < $1")
            .bind(before)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}
