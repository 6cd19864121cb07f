//! `forgekey settings …`: the instance settings of the Admin Area.

use super::{CliError, Storage};
use crate::domain::settings as settings_rules;
use crate::domain::settings::Settings;
use crate::server::services::audit::Actor;
use crate::server::services::{admin as admin_service, settings, ServiceError};
use clap::{Subcommand, ValueEnum};

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the instance settings.
    Show,
    /// Change instance settings (only those given).
    Set {
        /// Whether passwords (of users without 2FA) authenticate Git over HTTP.
        #[arg(long, value_enum)]
        git_password_auth: Option<Switch>,
        /// Whether Git over HTTP requires the username to be the token's owner.
        #[arg(long, value_enum)]
        git_token_username_match: Option<Switch>,
        /// Admin mode: administrators' tokens need the admin_mode scope for
        /// admin-only API endpoints, and administrators re-authenticate
        /// before actions in the Admin Area.
        #[arg(long, value_enum)]
        admin_mode: Option<Switch>,
        /// The longest a new personal access token may live, in days
        /// (1-365). Lowering it revokes tokens that expire later and mails
        /// their owners.
        #[arg(long)]
        token_max_lifetime_days: Option<String>,
        /// Whether expired tokens stop working (off: they keep working).
        #[arg(long, value_enum)]
        token_expiry_enforced: Option<Switch>,
        /// Whether every new token needs an expiry date (off: it may have none).
        #[arg(long, value_enum)]
        token_expiry_required: Option<Switch>,
        /// Days revoked tokens are kept (and can be unrevoked) before the
        /// daily job deletes them (0-3650).
        #[arg(long)]
        revoked_token_retention_days: Option<String>,
        /// Days without use after which the daily job revokes a token, its
        /// owner mailed a week before (14-3650; 0: never).
        #[arg(long)]
        unused_token_revoke_days: Option<String>,
        /// Go ahead when a lowered --token-max-lifetime-days revokes tokens
        /// (without it, the command says what it would revoke and stops).
        #[arg(long)]
        confirm: bool,
    },
}

/// A setting turned `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// `switch` applied to `current`: unchanged when not given.
fn set(current: &mut bool, switch: Option<Switch>) {
    if let Some(switch) = switch {
        *current = switch == Switch::On;
    }
}

pub async fn run(storage: &Storage, command: SettingsCommand) -> Result<(), CliError> {
    let core = storage.cli_core();
    let mut current = settings::current(&core).await?;
    if let SettingsCommand::Set {
        git_password_auth,
        git_token_username_match,
        admin_mode,
        token_max_lifetime_days,
        token_expiry_enforced,
        token_expiry_required,
        revoked_token_retention_days,
        unused_token_revoke_days,
        confirm,
    } = command
    {
        set(&mut current.admin_mode, admin_mode);
        set(&mut current.git_password_auth, git_password_auth);
        set(
            &mut current.git_token_username_match,
            git_token_username_match,
        );
        set(&mut current.token_expiry_enforced, token_expiry_enforced);
        set(&mut current.token_expiry_required, token_expiry_required);
        if let Some(days) = token_max_lifetime_days {
            current.token_max_lifetime_days =
                settings_rules::parse_max_lifetime_days(&days).map_err(ServiceError::from)?;
        }
        if let Some(days) = revoked_token_retention_days {
            current.revoked_token_retention_days =
                settings_rules::parse_retention_days(&days).map_err(ServiceError::from)?;
        }
        if let Some(days) = unused_token_revoke_days {
            current.unused_token_revoke_days =
                settings_rules::parse_unused_days(&days).map_err(ServiceError::from)?;
        }
        let changed =
            admin_service::change_settings(&core, &Actor::command_line(), current, confirm)
                .await
                .map_err(|e| match e {
                    e @ ServiceError::RevocationsUnconfirmed { .. } => {
                        CliError(format!("{e} Add --confirm to go ahead."))
                    }
                    other => other.into(),
                })?;
        if !changed.revoked.is_empty() {
            let n = changed.revoked.len();
            let tokens = if n == 1 { "token" } else { "tokens" };
            println!(
                "Revoked {n} {tokens} expiring beyond the new limit; their owners were mailed."
            );
        }
    }
    print(&current);
    Ok(())
}

fn print(s: &Settings) {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let rows = [
        ("git-password-auth", on_off(s.git_password_auth).to_owned()),
        (
            "git-token-username-match",
            on_off(s.git_token_username_match).to_owned(),
        ),
        ("admin-mode", on_off(s.admin_mode).to_owned()),
        (
            "token-max-lifetime-days",
            s.token_max_lifetime_days.to_string(),
        ),
        (
            "token-expiry-enforced",
            on_off(s.token_expiry_enforced).to_owned(),
        ),
        (
            "token-expiry-required",
            on_off(s.token_expiry_required).to_owned(),
        ),
        (
            "revoked-token-retention-days",
            s.revoked_token_retention_days.to_string(),
        ),
        (
            "unused-token-revoke-days",
            s.unused_token_revoke_days.to_string(),
        ),
    ];
    for (name, value) in rows {
        println!("{name:<29} {value}");
    }
}
