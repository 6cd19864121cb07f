//! Orchestration: take the state, call domain rules and the database.

pub mod accounts;
pub mod admin;
pub mod attempts;
pub mod audit;
pub mod callers;
pub mod mail;
pub mod projects;
pub mod settings;
pub mod tokens;
pub mod two_factor;

use crate::domain::{DomainError, FieldError};
use crate::server::passwords::HashError;

/// What a service can refuse or fail with. Internal failures are logged
/// where they happen and reach callers only as `Internal`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("invalid login or password")]
    InvalidCredentials,
    #[error("account locked for {minutes} more minutes")]
    Locked { minutes: i64 },
    /// An administrator blocked the account.
    #[error("account blocked")]
    Blocked,
    #[error("second sign-in step locked for {minutes} more minutes")]
    TwoFactorLocked { minutes: i64 },
    /// The request contradicts the current state (the message says how).
    #[error("{0}")]
    Conflict(String),
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
    #[error("not found")]
    NotFound,
    #[error("internal error")]
    Internal,
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
        tracing::error!(error = %e, "database error");
        Self::Internal
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
