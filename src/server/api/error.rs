//! Errors of the REST API, in the shapes GitLab answers with.

use crate::server::services::{Conflict, ServiceError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// What a 503 asks a client to wait before trying again.
pub const RETRY_AFTER_SECONDS: &str = "5";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// No token, or one that is malformed or unknown.
    Unauthorized,
    /// A token that expired: GitLab's OAuth-style `invalid_token` answer.
    TokenExpired,
    /// A token that was revoked (or rotated away), likewise.
    TokenRevoked,
    /// The token works but its scopes do not cover the request.
    InsufficientScope {
        needed: &'static str,
    },
    Forbidden,
    /// `403 Forbidden - <why>` (GitLab's `forbidden!(reason)`).
    ForbiddenBecause(&'static str),
    /// `404 <what> Not Found` (`404 Not Found` when `what` is empty).
    NotFound(&'static str),
    /// `404 <what> Not Found`, naming what was looked for.
    NotFoundNamed(String),
    /// GitLab's bare `bad_request!`: `{"message": "400 Bad request"}`.
    BadRequest,
    /// `bad_request!(reason)`: `{"message": "400 Bad request - <why>"}`.
    BadRequestBecause(String),
    /// A parameter is missing or not valid: `{"error": "<param> is …"}`.
    BadParameter(String),
    /// Validation of a resource failed: `{"message": {field: [messages]}}`.
    Invalid(Vec<crate::domain::FieldError>),
    TooManyRequests,
    /// `If-Unmodified-Since` is older than the resource's last change.
    PreconditionFailed,
    /// A service refused the request (GitLab's `render_api_error!` with
    /// `:unprocessable_entity`): 422 with the reasons as one sentence.
    Unprocessable(String),
    /// The request body is larger than the API accepts.
    PayloadTooLarge,
    /// The database cannot serve right now: 503 with `Retry-After`.
    Unavailable,
    Internal,
}

impl ApiError {
    pub fn missing(param: &str) -> Self {
        Self::BadParameter(format!("{param} is missing"))
    }

    /// Several missing parameters, as Grape lists them: `name is missing,
    /// scopes is missing`.
    pub fn all_missing(params: &[&str]) -> Self {
        let each: Vec<String> = params.iter().map(|p| format!("{p} is missing")).collect();
        Self::BadParameter(each.join(", "))
    }

    pub fn invalid(param: &str) -> Self {
        Self::BadParameter(format!("{param} is invalid"))
    }

    /// A value outside a parameter's list (Grape's `values:`).
    pub fn not_a_valid_value(param: &str) -> Self {
        Self::BadParameter(format!("{param} does not have a valid value"))
    }
}

impl ApiError {
    /// As GitLab's services answer a refused creation: validation errors
    /// become 422 with every reason in one sentence (Rails'
    /// `full_messages.to_sentence`); other errors are unchanged.
    pub fn unprocessable_if_invalid(self) -> Self {
        match self {
            Self::Invalid(fields) => {
                let messages: Vec<&str> = fields.iter().map(|f| f.message.as_str()).collect();
                Self::Unprocessable(messages.join(" "))
            }
            other => other,
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(fields) => Self::Invalid(fields),
            ServiceError::InvalidCredentials => Self::Unauthorized,
            ServiceError::TokenExpired => Self::TokenExpired,
            ServiceError::TokenRevoked => Self::TokenRevoked,
            ServiceError::Locked { .. }
            | ServiceError::TwoFactorLocked { .. }
            | ServiceError::Blocked => Self::Forbidden,
            ServiceError::Conflict(conflict) => Self::BadParameter(conflict_message(conflict)),
            e @ ServiceError::RevocationsUnconfirmed { .. } => Self::BadParameter(e.to_string()),
            ServiceError::Busy => Self::TooManyRequests,
            ServiceError::NotFound => Self::NotFound(""),
            ServiceError::Unavailable => Self::Unavailable,
            ServiceError::Internal => Self::Internal,
        }
    }
}

/// A conflict in the API's words (short, as GitLab's messages are; the
/// sentences for people are the pages').
pub(crate) fn conflict_message(conflict: Conflict) -> String {
    use crate::domain::admin::Refused;
    match conflict {
        Conflict::AlreadyRevoked => "Token already revoked",
        Conflict::NotRevoked => "Token not revoked",
        Conflict::RotatedAway | Conflict::FamilyRevoked => "Token was rotated",
        Conflict::BeyondLimit { .. } => "Token expires after the maximum allowable lifetime",
        Conflict::TwoFactorEnabled => "Two-factor authentication is already enabled",
        Conflict::TwoFactorNotEnabled => "Two-factor authentication is not enabled",
        Conflict::NoEnrolment | Conflict::EnrolmentChanged => "Two-factor set-up not in progress",
        Conflict::UserChange(Refused::SelfBlock) => "You cannot block yourself",
        Conflict::UserChange(Refused::LastAdmin) => "The last administrator cannot be changed",
        Conflict::UserChange(Refused::Blocked) => "The user is blocked",
        Conflict::UserChange(Refused::Unchanged) => "The user is already in that state",
        Conflict::MatchingChanged { .. } => "The matching tokens changed",
    }
    .to_owned()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body, authenticate) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                json!({ "message": "401 Unauthorized" }),
                Some("Bearer realm=\"Forgekey\", error=\"invalid_token\""),
            ),
            // API::APIGuard's answers to ExpiredError and RevokedError.
            ApiError::TokenExpired => (
                StatusCode::UNAUTHORIZED,
                json!({
                    "error": "invalid_token",
                    "error_description": "Token has expired.",
                }),
                Some(
                    "Bearer realm=\"Forgekey\", error=\"invalid_token\", \
                     error_description=\"Token has expired.\"",
                ),
            ),
            ApiError::TokenRevoked => (
                StatusCode::UNAUTHORIZED,
                json!({
                    "error": "invalid_token",
                    "error_description": "Token was revoked. You have to re-authorize from the user.",
                }),
                Some(
                    "Bearer realm=\"Forgekey\", error=\"invalid_token\", \
                     error_description=\"Token was revoked. You have to re-authorize from the user.\"",
                ),
            ),
            ApiError::InsufficientScope { needed } => (
                StatusCode::FORBIDDEN,
                json!({
                    "error": "insufficient_scope",
                    "error_description": "The request requires higher privileges than provided by the access token.",
                    "scope": needed,
                }),
                Some("Bearer realm=\"Forgekey\", error=\"insufficient_scope\""),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                json!({ "message": "403 Forbidden" }),
                None,
            ),
            ApiError::ForbiddenBecause(why) => (
                StatusCode::FORBIDDEN,
                json!({ "message": format!("403 Forbidden - {why}") }),
                None,
            ),
            ApiError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                json!({ "message": if what.is_empty() {
                    "404 Not Found".to_owned()
                } else {
                    format!("404 {what} Not Found")
                } }),
                None,
            ),
            ApiError::NotFoundNamed(what) => (
                StatusCode::NOT_FOUND,
                json!({ "message": format!("404 {what} Not Found") }),
                None,
            ),
            ApiError::BadRequest => (
                StatusCode::BAD_REQUEST,
                json!({ "message": "400 Bad request" }),
                None,
            ),
            ApiError::BadRequestBecause(why) => (
                StatusCode::BAD_REQUEST,
                json!({ "message": format!("400 Bad request - {why}") }),
                None,
            ),
            ApiError::BadParameter(message) => {
                (StatusCode::BAD_REQUEST, json!({ "error": message }), None)
            }
            ApiError::Invalid(fields) => {
                let mut message = Map::new();
                for f in fields {
                    let entry = message
                        .entry(f.field.clone())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(list) = entry {
                        list.push(Value::String(f.message));
                    }
                }
                (StatusCode::BAD_REQUEST, json!({ "message": message }), None)
            }
            ApiError::Unprocessable(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "message": message }),
                None,
            ),
            ApiError::PreconditionFailed => (
                StatusCode::PRECONDITION_FAILED,
                json!({ "message": "412 Precondition Failed" }),
                None,
            ),
            ApiError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "message": "429 Too Many Requests" }),
                None,
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "message": "413 Request Entity Too Large" }),
                None,
            ),
            ApiError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "message": "503 Service Unavailable" }),
                None,
            ),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "message": "500 Internal Server Error" }),
                None,
            ),
        };
        let mut res = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        if let Some(value) = authenticate {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        res
    }
}
