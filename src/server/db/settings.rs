//! Instance settings (one row), read on each use: several instances share
//! them through the database.

use super::{flag, Db};
pub use crate::domain::registry::RegistrySettings;
pub use crate::domain::settings::Settings;
use sqlx::Row;

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
         token_expiry_required, unused_token_revoke_days FROM application_settings WHERE id = 1",
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
        unused_token_revoke_days: row.try_get("unused_token_revoke_days")?,
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
         revoked_token_retention_days = $6, token_expiry_required = $7, \
         unused_token_revoke_days = $8 WHERE id = 1",
    )
    .bind(i64::from(settings.git_password_auth))
    .bind(i64::from(settings.git_token_username_match))
    .bind(i64::from(settings.admin_mode))
    .bind(settings.token_max_lifetime_days)
    .bind(i64::from(settings.token_expiry_enforced))
    .bind(settings.revoked_token_retention_days)
    .bind(i64::from(settings.token_expiry_required))
    .bind(settings.unused_token_revoke_days)
    .execute(executor)
    .await?;
    Ok(())
}

/// The container registry's settings (kept apart from [`Settings`]: read
/// only where the registry is concerned).
pub async fn registry(db: &Db) -> Result<RegistrySettings, sqlx::Error> {
    registry_with(&db.pool).await
}

/// [`registry`] through any executor (inside a transaction).
pub async fn registry_with<'e, E>(executor: E) -> Result<RegistrySettings, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT container_registry_enabled, container_registry_host FROM application_settings \
         WHERE id = 1",
    )
    .fetch_one(executor)
    .await?;
    Ok(RegistrySettings {
        enabled: flag(&row, "container_registry_enabled")?,
        host: row.try_get("container_registry_host")?,
    })
}

pub async fn set_registry<'e, E>(
    executor: E,
    registry: &RegistrySettings,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "UPDATE application_settings SET container_registry_enabled = $1, \
         container_registry_host = $2 WHERE id = 1",
    )
    .bind(i64::from(registry.enabled))
    .bind(&registry.host)
    .execute(executor)
    .await?;
    Ok(())
}
