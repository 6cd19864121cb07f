//! Orchestration: take the state, call domain rules and the database.

pub mod accounts;
pub mod addresses;
pub mod admin;
pub mod attempts;
pub mod audit;
pub mod backup;
pub mod callers;
pub mod instance;
pub mod inventory;
pub mod jobs;
pub mod leaks;
pub mod mail;
pub mod projects;
pub mod recovery;
pub mod registry;
pub mod settings;
pub mod tokens;
pub mod two_factor;

use crate::domain::{DomainError, FieldError};
use crate::server::log_limit::LogLimit;
use crate::server::passwords::HashError;

/// What a service can refuse or fail with. Internal failures are logged
/// where they happen and reach callers only as `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("invalid login or password")]
    InvalidCredentials,
    /// A real token that expired (and expiry is enforced): only whoever
    /// holds its secret learns this.
    #[error("the token has expired")]
    TokenExpired,
    /// A real token that was revoked (or rotated away).
    #[error("the token was revoked")]
    TokenRevoked,
    #[error("account locked for {minutes} more minutes")]
    Locked { minutes: i64 },
    /// An administrator blocked the account.
    #[error("account blocked")]
    Blocked,
    #[error("second sign-in step locked for {minutes} more minutes")]
    TwoFactorLocked { minutes: i64 },
    /// The request contradicts the current state.
    #[error("{0}")]
    Conflict(Conflict),
    /// Lowering the token lifetime limit to `max_days` would revoke
    /// `tokens` active tokens of `owners` users, and the caller has not
    /// confirmed it.
    #[error("{}", crate::domain::admin::revocation_notice(*max_days, *tokens, *owners))]
    RevocationsUnconfirmed {
        max_days: i64,
        tokens: i64,
        owners: i64,
    },
    #[error("busy")]
    Busy,
    /// The database cannot serve right now (down, unreachable, timed out):
    /// try again shortly.
    #[error("the database is unavailable")]
    Unavailable,
    #[error("not found")]
    NotFound,
    #[error("internal error")]
    Internal,
}

/// How a request contradicts the current state. `Display` is the sentence
/// people read (pages, the command line); the API words each its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("The token is already revoked.")]
    AlreadyRevoked,
    #[error("The token is not revoked.")]
    NotRevoked,
    /// A rotation replaced it.
    #[error("The token was rotated: its successor replaced it, so it stays revoked.")]
    RotatedAway,
    /// Revoked with its family when a rotated-away member was used again.
    #[error(
        "The token was revoked because a rotated-away token of its family was used again: it \
         stays revoked."
    )]
    FamilyRevoked,
    /// Unrevoking it would give back more than the lifetime limit allows.
    #[error(
        "The token {}, later than the {max_days}-day limit allows: it stays revoked. Create a \
         new token instead.",
        expiry_words(*expires_on)
    )]
    BeyondLimit {
        expires_on: Option<time::Date>,
        max_days: i64,
    },
    #[error("Two-factor authentication is already enabled.")]
    TwoFactorEnabled,
    #[error("Two-factor authentication is not enabled.")]
    TwoFactorNotEnabled,
    #[error("Start again: no two-factor set-up is in progress.")]
    NoEnrolment,
    #[error("The two-factor set-up changed meanwhile; start again.")]
    EnrolmentChanged,
    /// An administrator's change to a user that the rules refuse.
    #[error("{}", .0.message())]
    UserChange(crate::domain::admin::Refused),
    /// A bulk revocation confirmed for `confirmed` tokens when `matching`
    /// match now.
    #[error(
        "{matching} tokens match now, not the {confirmed} you confirmed: nothing was revoked. \
         Review the list and confirm again."
    )]
    MatchingChanged { confirmed: i64, matching: i64 },
}

fn expiry_words(expires_on: Option<time::Date>) -> String {
    expires_on.map_or_else(
        || "never expires".to_owned(),
        |d| format!("expires on {}", crate::domain::lifetime::iso(d)),
    )
}

impl From<Conflict> for ServiceError {
    fn from(conflict: Conflict) -> Self {
        Self::Conflict(conflict)
    }
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => Self::Invalid(errors),
        }
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        if crate::server::db::is_unavailable(&e) {
            // Every request says so during an outage: one line in ten
            // seconds.
            static LINES: LogLimit = LogLimit::every(10);
            LINES.now(|held_back| tracing::warn!(error = %e, held_back, "database unavailable"));
            metrics::counter!("forgekey_db_unavailable_total").increment(1);
            Self::Unavailable
        } else {
            tracing::error!(error = %e, "database error");
            Self::Internal
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => Self::Busy,
            HashError::Failed => {
                tracing::error!("password hashing failed");
                Self::Internal
            }
        }
    }
}
