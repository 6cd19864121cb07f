//! Who did what: administrators' actions, recorded in the transaction of
//! the change itself.

use crate::server::db::audit::{self, AuditEvent, NewAuditEvent};
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use crate::server::state::AppState;

use super::ServiceError;

/// Whoever made a change: an administrator, or an operator at the command
/// line (who has no account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(user: &User) -> Self {
        Self {
            id: Some(user.id),
            name: user.username.clone(),
        }
    }

    pub fn command_line() -> Self {
        Self {
            id: None,
            name: "command line".to_owned(),
        }
    }
}

/// The actions recorded, with the words the Admin Area shows for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SettingsChanged,
    UserBlocked,
    UserUnblocked,
    AdminGranted,
    AdminRemoved,
    TokenCreated,
    ImpersonationTokenCreated,
    TokenRevoked,
    TokenUnrevoked,
    TokenRevokedByLimit,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Self::SettingsChanged,
        Self::UserBlocked,
        Self::UserUnblocked,
        Self::AdminGranted,
        Self::AdminRemoved,
        Self::TokenCreated,
        Self::ImpersonationTokenCreated,
        Self::TokenRevoked,
        Self::TokenUnrevoked,
        Self::TokenRevokedByLimit,
    ];

    /// The name stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettingsChanged => "settings_changed",
            Self::UserBlocked => "user_blocked",
            Self::UserUnblocked => "user_unblocked",
            Self::AdminGranted => "admin_granted",
            Self::AdminRemoved => "admin_removed",
            Self::TokenCreated => "personal_access_token_created",
            Self::ImpersonationTokenCreated => "impersonation_token_created",
            Self::TokenRevoked => "token_revoked",
            Self::TokenUnrevoked => "token_unrevoked",
            Self::TokenRevokedByLimit => "token_revoked_by_lifetime_limit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SettingsChanged => "Changed instance settings",
            Self::UserBlocked => "Blocked user",
            Self::UserUnblocked => "Unblocked user",
            Self::AdminGranted => "Made administrator",
            Self::AdminRemoved => "Removed administrator",
            Self::TokenCreated => "Created personal access token",
            Self::ImpersonationTokenCreated => "Created impersonation token",
            Self::TokenRevoked => "Revoked token",
            Self::TokenUnrevoked => "Unrevoked token",
            Self::TokenRevokedByLimit => "Revoked token (lifetime limit lowered)",
        }
    }

    /// The words for a stored name (an unknown name reads as itself).
    pub fn label_of(name: &str) -> String {
        Self::ALL
            .iter()
            .find(|a| a.as_str() == name)
            .map_or_else(|| name.to_owned(), |a| a.label().to_owned())
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
        },
    )
    .await
}

/// One page of the log, newest first, and the number of events in all.
pub async fn list(
    state: &AppState,
    user_id: Option<i64>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEvent>, i64), ServiceError> {
    Ok(audit::list(&state.db, user_id, offset, limit).await?)
}
