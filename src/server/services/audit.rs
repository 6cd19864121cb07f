//! Who did what: administrators' actions, recorded in the transaction of
//! the change itself.

use crate::domain::ids::UserId;
pub use crate::server::db::audit::Filter;
use crate::server::db::audit::{self, AuditEvent, NewAuditEvent};
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use crate::server::state::Core;
use std::net::IpAddr;

use super::ServiceError;

/// Whoever made a change: a user (an administrator, or anyone for their
/// own tokens and two-factor settings), or an operator at the command line
/// (who has no account); whom they acted as, and from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<UserId>,
    pub name: String,
    pub acted_as: Option<ActedAs>,
    pub address: Option<IpAddr>,
}

/// The user an actor acted as, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActedAs {
    pub id: UserId,
    pub name: String,
    pub via: Via,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// An administrator's token with the `Sudo` header.
    Sudo,
    /// An impersonation token an administrator made.
    Impersonation,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sudo => "sudo",
            Self::Impersonation => "impersonation",
        }
    }
}

impl Actor {
    pub fn user(user: &User) -> Self {
        Self {
            id: Some(user.id),
            name: user.username.clone(),
            acted_as: None,
            address: None,
        }
    }

    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "command line".to_owned(),
            acted_as: None,
            address: None,
        }
    }

    /// The same actor, from client address `address`.
    pub fn from(self, address: Option<IpAddr>) -> Self {
        Self { address, ..self }
    }

    /// The same actor, acting as `user` through `via`.
    pub fn acting_as(self, user: &User, via: Via) -> Self {
        Self {
            acted_as: Some(ActedAs {
                id: user.id,
                name: user.username.clone(),
                via,
            }),
            ..self
        }
    }
}

/// The actions recorded, with the words the Admin Area shows for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SettingsChanged,
    UserCreated,
    UserBlocked,
    UserUnblocked,
    AdminGranted,
    AdminRemoved,
    AdminModeEntered,
    TwoFactorEnabled,
    TwoFactorDisabled,
    RecoveryCodesRegenerated,
    TokenCreated,
    ImpersonationTokenCreated,
    TokenRotated,
    TokenRevoked,
    TokenUnrevoked,
    TokenDescribed,
    TokenEdited,
    TokenRevokedByLimit,
    TokenRevokedAsLeaked,
    TokenRevokedForReuse,
    TokenRevokedAsUnused,
    TokenUsedFromNewAddress,
    TokenRefusedFromAddress,
    ProjectCreated,
    PasswordReset,
    PasswordResetLinkSent,
}

impl Action {
    pub const ALL: [Action; 26] = [
        Self::SettingsChanged,
        Self::UserCreated,
        Self::UserBlocked,
        Self::UserUnblocked,
        Self::AdminGranted,
        Self::AdminRemoved,
        Self::AdminModeEntered,
        Self::TwoFactorEnabled,
        Self::TwoFactorDisabled,
        Self::RecoveryCodesRegenerated,
        Self::TokenCreated,
        Self::ImpersonationTokenCreated,
        Self::TokenRotated,
        Self::TokenRevoked,
        Self::TokenUnrevoked,
        Self::TokenDescribed,
        Self::TokenEdited,
        Self::TokenRevokedByLimit,
        Self::TokenRevokedAsLeaked,
        Self::TokenRevokedForReuse,
        Self::TokenRevokedAsUnused,
        Self::TokenUsedFromNewAddress,
        Self::TokenRefusedFromAddress,
        Self::ProjectCreated,
        Self::PasswordReset,
        Self::PasswordResetLinkSent,
    ];

    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettingsChanged => "settings_changed",
            Self::UserCreated => "user_created",
            Self::UserBlocked => "user_blocked",
            Self::UserUnblocked => "user_unblocked",
            Self::AdminGranted => "admin_granted",
            Self::AdminRemoved => "admin_removed",
            Self::AdminModeEntered => "admin_mode_entered",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::TokenCreated => "personal_access_token_created",
            Self::ImpersonationTokenCreated => "impersonation_token_created",
            Self::TokenRotated => "token_rotated",
            Self::TokenRevoked => "token_revoked",
            Self::TokenUnrevoked => "token_unrevoked",
            Self::TokenDescribed => "token_description_changed",
            Self::TokenEdited => "token_edited",
            Self::TokenRevokedByLimit => "token_revoked_by_lifetime_limit",
            Self::TokenRevokedAsLeaked => "token_revoked_as_leaked",
            Self::TokenRevokedForReuse => "token_revoked_for_reuse",
            Self::TokenRevokedAsUnused => "token_revoked_as_unused",
            Self::TokenUsedFromNewAddress => "token_used_from_new_address",
            Self::TokenRefusedFromAddress => "token_refused_from_address",
            Self::ProjectCreated => "project_created",
            Self::PasswordReset => "password_reset",
            Self::PasswordResetLinkSent => "password_reset_link_sent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SettingsChanged => "Changed instance settings",
            Self::UserCreated => "Created user",
            Self::UserBlocked => "Blocked user",
            Self::UserUnblocked => "Unblocked user",
            Self::AdminGranted => "Made administrator",
            Self::AdminRemoved => "Removed administrator",
            Self::AdminModeEntered => "Entered admin mode",
            Self::TwoFactorEnabled => "Turned two-factor authentication on",
            Self::TwoFactorDisabled => "Turned two-factor authentication off",
            Self::RecoveryCodesRegenerated => "Made new recovery codes",
            Self::TokenCreated => "Created personal access token",
            Self::ImpersonationTokenCreated => "Created impersonation token",
            Self::TokenRotated => "Rotated token",
            Self::TokenRevoked => "Revoked token",
            Self::TokenUnrevoked => "Unrevoked token",
            Self::TokenDescribed => "Changed token description",
            Self::TokenEdited => "Edited token",
            Self::TokenRevokedByLimit => "Revoked token (lifetime limit lowered)",
            Self::TokenRevokedAsLeaked => "Revoked token (reported leaked)",
            Self::TokenRevokedForReuse => "Revoked token (a rotated-away copy was reused)",
            Self::TokenRevokedAsUnused => "Revoked token (unused for too long)",
            Self::TokenUsedFromNewAddress => "Token used from a new address",
            Self::TokenRefusedFromAddress => {
                "Refused token from an address it may not be used from"
            }
            Self::ProjectCreated => "Created project",
            Self::PasswordReset => "Reset password",
            Self::PasswordResetLinkSent => "Sent password reset link",
        }
    }

    /// The words for a stored name (an unknown name reads as itself).
    pub fn label_of(name: &str) -> String {
        Self::ALL
            .iter()
            .find(|a| a.as_str() == name)
            .map_or_else(|| name.to_owned(), |a| a.label().to_owned())
    }

    /// The action stored under `name`, if any.
    pub fn of(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// One event to record.
pub struct Event<'a> {
    pub action: Action,
    pub target: Option<&'a User>,
    pub token: Option<&'a Token>,
    pub details: String,
}

impl<'a> Event<'a> {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            target: None,
            token: None,
            details: String::new(),
        }
    }

    pub fn on_user(mut self, user: &'a User) -> Self {
        self.target = Some(user);
        self
    }

    pub fn on_token(mut self, token: &'a Token) -> Self {
        self.token = Some(token);
        self
    }

    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.details = details.into();
        self
    }
}

/// Writes `event` by `actor` at `now` through `executor` (the change's
/// transaction).
pub async fn record<'e, E>(
    executor: E,
    actor: &Actor,
    event: Event<'_>,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let address = actor.address.map(|ip| ip.to_string());
    audit::insert(
        executor,
        &NewAuditEvent {
            created_at: now,
            actor_id: actor.id,
            actor_name: &actor.name,
            action: event.action.as_str(),
            target_user_id: event.target.map(|u| u.id),
            target_name: event.target.map(|u| u.username.as_str()),
            token_id: event.token.map(|t| t.id),
            token_name: event.token.map(|t| t.name.as_str()),
            details: &event.details,
            acted_as_id: actor.acted_as.as_ref().map(|a| a.id),
            acted_as_name: actor.acted_as.as_ref().map(|a| a.name.as_str()),
            acted_via: actor.acted_as.as_ref().map(|a| a.via.as_str()),
            ip_address: address.as_deref(),
        },
    )
    .await
}

/// Records `event` on its own, when the change it records was already
/// written (or wrote nothing to the database).
pub async fn record_now(state: &Core, actor: &Actor, event: Event<'_>) -> Result<(), ServiceError> {
    Ok(record(&state.db.pool, actor, event, state.now()).await?)
}

/// One page of the log matching `filter`, newest first, and the number of
/// matching events in all.
pub async fn list(
    state: &Core,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEvent>, i64), ServiceError> {
    Ok(audit::list(&state.db, filter, offset, limit).await?)
}

/// Events about one user, newest first.
pub async fn about_user(
    state: &Core,
    user_id: UserId,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEvent>, i64), ServiceError> {
    let filter = Filter {
        target_user_id: Some(user_id),
        ..Filter::default()
    };
    list(state, &filter, offset, limit).await
}
