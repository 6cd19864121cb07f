//! Instance settings (one row), read on each use: several instances share
//! them through the database.

use super::{flag, Db};
use sqlx::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Passwords (of users without 2FA) authenticate Git over HTTP.
    pub git_password_auth: bool,
    /// Git over HTTP needs the username to be the token's owner.
    pub git_token_username_match: bool,
    /// Administrators' tokens need the `admin_mode` scope for admin work,
    /// and administrators re-authenticate before admin actions.
    pub admin_mode: bool,
    /// A new token expires at most this many days from today.
    pub token_max_lifetime_days: i64,
    /// Expired tokens stop authenticating (when off, they keep working).
    pub token_expiry_enforced: bool,
    /// Every new token needs an expiry date.
    pub token_expiry_required: bool,
    /// Revoked tokens are deleted this many days after revocation.
    pub revoked_token_retention_days: i64,
}

impl Default for Settings {
    /// As a new instance starts.
    fn default() -> Self {
        Self {
            git_password_auth: true,
            git_token_username_match: false,
            admin_mode: false,
            token_max_lifetime_days: 365,
            token_expiry_enforced: true,
            token_expiry_required: true,
            revoked_token_retention_days: 30,
        }
    }
}

pub async fn get(db: &Db) -> Result<Settings, sqlx::Error> {
    get_with(&db.pool).await
}

/// [`get`] through any executor (inside a transaction).
pub async fn get_with<'e, E>(executor: E) -> Result<Settings, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT git_password_auth, git_token_username_match, admin_mode, \
         token_max_lifetime_days, token_expiry_enforced, revoked_token_retention_days, \
         token_expiry_required FROM application_settings WHERE id = 1",
    )
    .fetch_one(executor)
    .await?;
    Ok(Settings {
        git_password_auth: flag(&row, "git_password_auth")?,
        git_token_username_match: flag(&row, "git_token_username_match")?,
        admin_mode: flag(&row, "admin_mode")?,
        token_max_lifetime_days: row.try_get("token_max_lifetime_days")?,
        token_expiry_enforced: flag(&row, "token_expiry_enforced")?,
        token_expiry_required: flag(&row, "token_expiry_required")?,
        revoked_token_retention_days: row.try_get("revoked_token_retention_days")?,
    })
}

/// Writes every setting, through any executor (a transaction when other
/// changes go with it).
pub async fn set<'e, E>(executor: E, settings: Settings) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE application_settings SET git_password_auth = $1, git_token_username_match = $2, \
         admin_mode = $3, token_max_lifetime_days = $4, token_expiry_enforced = $5, \
         revoked_token_retention_days = $6, token_expiry_required = $7 WHERE id = 1",
    )
    .bind(i64::from(settings.git_password_auth))
    .bind(i64::from(settings.git_token_username_match))
    .bind(i64::from(settings.admin_mode))
    .bind(settings.token_max_lifetime_days)
    .bind(i64::from(settings.token_expiry_enforced))
    .bind(settings.revoked_token_retention_days)
    .bind(i64::from(settings.token_expiry_required))
    .execute(executor)
    .await?;
    Ok(())
}
