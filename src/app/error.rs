//! The errors server functions return: user-safe texts only. Database or
//! other internal details are logged on the server, never sent.

use crate::domain::FieldError;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please fix the errors below.")]
    Invalid(Vec<FieldError>),
    #[error("Invalid login or password.")]
    InvalidCredentials,
    #[error("Your account is locked after too many failed sign-in attempts. Try again in {minutes} minutes.")]
    Locked { minutes: i64 },
    #[error("Too many wrong two-factor codes. Try again in {minutes} minutes.")]
    TwoFactorLocked { minutes: i64 },
    #[error(
        "Your account has been blocked. Contact an administrator if you think this is an error."
    )]
    Blocked,
    #[error("Admin mode is on: enter it with your password before administrative actions.")]
    AdminModeRequired,
    #[error("Your sign-in attempt expired. Please sign in again.")]
    SignInExpired,
    #[error("For your security, please enter your password again.")]
    ReauthRequired,
    #[error("{0}")]
    Conflict(String),
    /// Saving would revoke tokens: the form asks to confirm, beside the
    /// setting that does it.
    #[error("{}", crate::domain::admin::revocation_notice(*max_days, *tokens, *owners))]
    ConfirmRevocations {
        max_days: i64,
        tokens: i64,
        owners: i64,
    },
    #[error("You need to sign in before you continue.")]
    Unauthenticated,
    #[error("Not found.")]
    NotFound,
    #[error("Forgekey is busy right now. Please try again in a few seconds.")]
    Busy,
    #[error("Too many accounts were created from your address. Please try again later.")]
    TooManySignUps,
    #[error("Too many password reset requests came from your address. Please try again later.")]
    TooManyResetRequests,
    #[error("Forgekey cannot reach its database right now. Please try again in a few seconds.")]
    Unavailable,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("The request could not be understood.")]
    BadRequest,
}

impl AppError {
    /// Whether the error names fields of a form (else it is about the
    /// whole request).
    pub fn has_fields(&self) -> bool {
        matches!(self, Self::Invalid(errors) if !errors.is_empty())
    }

    /// Whether the answer is a question (confirm to go on) rather than a
    /// failure: forms ask it where it arises, never as a red banner.
    pub fn asks_confirmation(&self) -> bool {
        matches!(self, Self::ConfirmRevocations { .. })
    }

    /// The message for one field, if the error names it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// The HTTP status a server function answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) | Self::ConfirmRevocations { .. } => 422,
            Self::InvalidCredentials | Self::Unauthenticated => 401,
            Self::Locked { .. } | Self::TwoFactorLocked { .. } => 423,
            Self::SignInExpired => 401,
            Self::Blocked | Self::AdminModeRequired => 403,
            Self::ReauthRequired => 403,
            Self::Conflict(_) => 409,
            Self::NotFound => 404,
            Self::Busy | Self::Unavailable => 503,
            Self::TooManySignUps | Self::TooManyResetRequests => 429,
            Self::Internal => 500,
            Self::BadRequest => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::app::fns::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => Self::BadRequest,
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Busy,
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::services::ServiceError> for AppError {
    fn from(e: crate::server::services::ServiceError) -> Self {
        use crate::server::services::ServiceError as S;
        match e {
            S::Invalid(errors) => Self::Invalid(errors),
            // Pages never authenticate by token; were one refused here, it
            // reads as any refused credential.
            S::InvalidCredentials | S::TokenExpired | S::TokenRevoked => Self::InvalidCredentials,
            S::Locked { minutes } => Self::Locked { minutes },
            S::TwoFactorLocked { minutes } => Self::TwoFactorLocked { minutes },
            S::Blocked => Self::Blocked,
            S::Conflict(conflict) => Self::Conflict(conflict.to_string()),
            S::RevocationsUnconfirmed {
                max_days,
                tokens,
                owners,
            } => Self::ConfirmRevocations {
                max_days,
                tokens,
                owners,
            },
            S::Busy => Self::Busy,
            S::NotFound => Self::NotFound,
            S::Unavailable => {
                mark_unavailable();
                Self::Unavailable
            }
            S::Internal => Self::Internal,
        }
    }
}

/// A page or server function that could not reach the database answers
/// 503 with `Retry-After`, whatever else it renders (the message says to
/// try again), so that monitors and clients see the outage as one.
#[cfg(feature = "ssr")]
fn mark_unavailable() {
    use axum::http::{header, HeaderValue, StatusCode};
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(StatusCode::SERVICE_UNAVAILABLE);
        res.insert_header(
            header::RETRY_AFTER,
            HeaderValue::from_static(crate::server::api::error::RETRY_AFTER_SECONDS),
        );
    }
}
