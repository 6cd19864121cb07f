//! Personal access tokens. Rows hold the secret's keyed digest, never the
//! secret.

use super::Db;
use crate::domain::scope::{self, Scope};
use crate::domain::token::TokenDigest;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A token as stored, without its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    /// 00:00 UTC of the expiry date, in unix seconds.
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Token {
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const COLUMNS: &str = "id, user_id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<Token, sqlx::Error> {
    Ok(Token {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        scopes: scope::split(&row.try_get::<String, _>("scopes")?),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

pub struct NewTokenRow<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub digest: &'a TokenDigest,
    pub scopes: &'a [Scope],
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert(db: &Db, new: &NewTokenRow<'_>) -> Result<Token, sqlx::Error> {
    let row = sqlx::query(&format!(
        "INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(new.user_id)
    .bind(new.name)
    .bind(new.digest.to_hex())
    .bind(scope::join(new.scopes))
    .bind(new.created_at)
    .bind(new.expires_at)
    .fetch_one(&db.pool)
    .await?;
    from_row(&row)
}

/// A user's tokens, newest first.
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<Token>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE user_id = $1 ORDER BY id DESC"
    ))
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// One of a user's tokens; another user's id reads as missing.
pub async fn find_for_user(db: &Db, user_id: i64, id: i64) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE id = $1 AND user_id = $2"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_digest(db: &Db, digest: &TokenDigest) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE token_digest = $1"
    ))
    .bind(digest.to_hex())
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks a user's token revoked at `now` unless it already is; returns the
/// token as it is afterwards (None when the user has no such token).
pub async fn revoke(
    db: &Db,
    user_id: i64,
    id: i64,
    now: i64,
) -> Result<Option<Token>, sqlx::Error> {
    sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = $1 \
         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    find_for_user(db, user_id, id).await
}

pub async fn find(db: &Db, id: i64) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}
