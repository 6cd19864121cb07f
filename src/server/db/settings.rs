//! Instance settings (one row), read on each use: several instances share
//! them through the database.

use super::{flag, Db};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Passwords (of users without 2FA) authenticate Git over HTTP.
    pub git_password_auth: bool,
    /// Git over HTTP needs the username to be the token's owner.
    pub git_token_username_match: bool,
    /// Administrators' tokens need the `admin_mode` scope for admin work.
    pub admin_mode: bool,
}

pub async fn get(db: &Db) -> Result<Settings, sqlx::Error> {
    let row = sqlx::query(
        "SELECT git_password_auth, git_token_username_match, admin_mode \
         FROM application_settings WHERE id = 1",
    )
    .fetch_one(&db.pool)
    .await?;
    Ok(Settings {
        git_password_auth: flag(&row, "git_password_auth")?,
        git_token_username_match: flag(&row, "git_token_username_match")?,
        admin_mode: flag(&row, "admin_mode")?,
    })
}

pub async fn set(db: &Db, settings: Settings) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE application_settings SET git_password_auth = $1, git_token_username_match = $2, \
         admin_mode = $3 WHERE id = 1",
    )
    .bind(i64::from(settings.git_password_auth))
    .bind(i64::from(settings.git_token_username_match))
    .bind(i64::from(settings.admin_mode))
    .execute(&db.pool)
    .await?;
    Ok(())
}
