//! Admin Area → Settings.

// The settings form posts eight fields, one argument each (the server
// function macro generates the client side too, so the allow is here).
#![allow(clippy::too_many_arguments)]

use super::AppError;
use crate::domain::settings::Settings;
use leptos::server;

pub const SETTINGS_SAVED: &str = "The settings were saved.";

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_admin_settings")]
pub async fn load_admin_settings() -> Result<Settings, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::settings;
    let (state, _session, _admin) = ctx::admin().await?;
    // Fresh from the database: the form must show what is stored.
    Ok(settings::stored(&state).await?)
}

/// Saves the settings form. Checkboxes are present when ticked. Lowering
/// the lifetime limit so that tokens would be revoked needs `confirm`.
/// (One argument per form field: that is how the form posts them, hence
/// the module's `allow(clippy::too_many_arguments)`.)
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "save_admin_settings")]
pub async fn save_admin_settings(
    token_max_lifetime_days: String,
    revoked_token_retention_days: String,
    #[server(default)] unused_token_revoke_days: String,
    token_expiry_enforced: Option<String>,
    token_expiry_required: Option<String>,
    admin_mode: Option<String>,
    git_password_auth: Option<String>,
    git_token_username_match: Option<String>,
    confirm: Option<String>,
) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::domain::settings::{
        parse_max_lifetime_days, parse_retention_days, parse_unused_days,
    };
    use crate::domain::{DomainError, FieldError};
    use crate::server::services::admin;
    let result = async {
        let (state, _session, user) = ctx::admin().await?;
        let mut errors: Vec<FieldError> = Vec::new();
        let mut field = |r: Result<i64, DomainError>| match r {
            Ok(v) => v,
            Err(DomainError::Invalid(f)) => {
                errors.extend(f);
                0
            }
        };
        let max_days = field(parse_max_lifetime_days(&token_max_lifetime_days));
        let retention = field(parse_retention_days(&revoked_token_retention_days));
        let unused = field(parse_unused_days(&unused_token_revoke_days));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let new = Settings {
            token_max_lifetime_days: max_days,
            revoked_token_retention_days: retention,
            unused_token_revoke_days: unused,
            token_expiry_enforced: token_expiry_enforced.is_some(),
            token_expiry_required: token_expiry_required.is_some(),
            admin_mode: admin_mode.is_some(),
            git_password_auth: git_password_auth.is_some(),
            git_token_username_match: git_token_username_match.is_some(),
        };
        let changed =
            admin::change_settings(&state, &ctx::actor(&user), new, confirm.is_some()).await?;
        Ok(match changed.revoked.len() {
            0 => SETTINGS_SAVED.to_owned(),
            1 => format!("{SETTINGS_SAVED} 1 token was revoked and its owner mailed."),
            n => format!("{SETTINGS_SAVED} {n} tokens were revoked and their owners mailed."),
        })
    }
    .await;
    let checked = |v: &Option<String>| if v.is_some() { "on" } else { "" };
    let values = [
        ("token_max_lifetime_days", token_max_lifetime_days.as_str()),
        (
            "revoked_token_retention_days",
            revoked_token_retention_days.as_str(),
        ),
        (
            "unused_token_revoke_days",
            unused_token_revoke_days.as_str(),
        ),
        ("token_expiry_enforced", checked(&token_expiry_enforced)),
        ("token_expiry_required", checked(&token_expiry_required)),
        ("admin_mode", checked(&admin_mode)),
        ("git_password_auth", checked(&git_password_auth)),
        (
            "git_token_username_match",
            checked(&git_token_username_match),
        ),
    ];
    let notice = result.as_ref().ok().cloned();
    let keep: &[(&str, &str)] = if result.is_err() { &values } else { &[] };
    ctx::finish("save_admin_settings", keep, notice.as_deref(), result).await
}

pub const REGISTRY_SAVED: &str = "The container registry settings were saved.";

/// The container registry's settings, as stored.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_registry_settings")]
pub async fn load_registry_settings() -> Result<crate::domain::registry::RegistrySettings, AppError>
{
    use crate::app::fns::ctx;
    use crate::server::services::registry;
    let (state, _session, _admin) = ctx::admin().await?;
    Ok(registry::settings(&state).await?)
}

/// Turns the container registry on or off (`enabled` is present when
/// ticked) at `host`.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "save_registry_settings")]
pub async fn save_registry_settings(
    enabled: Option<String>,
    host: String,
) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::domain::registry::RegistrySettings;
    use crate::server::services::registry;
    let result = async {
        let (state, _session, user) = ctx::admin().await?;
        let new = RegistrySettings::parse(enabled.is_some(), &host)
            .map_err(crate::server::services::ServiceError::from)?;
        registry::configure(&state, &ctx::actor(&user), &new).await?;
        Ok::<_, AppError>(REGISTRY_SAVED.to_owned())
    }
    .await;
    let checked = if enabled.is_some() { "on" } else { "" };
    let values = [("enabled", checked), ("host", host.as_str())];
    let notice = result.as_ref().ok().cloned();
    let keep: &[(&str, &str)] = if result.is_err() { &values } else { &[] };
    ctx::finish("save_registry_settings", keep, notice.as_deref(), result).await
}
