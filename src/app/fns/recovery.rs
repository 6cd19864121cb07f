//! "Forgot your password?": asking for a link, and choosing a new
//! password with it.

use super::AppError;
use leptos::server;
use serde::{Deserialize, Serialize};

/// What asking for a link answers, whether or not the account exists
/// (GitLab's words).
pub const LINK_REQUESTED: &str = "If your email address exists in our database, you will receive a password recovery link within a few minutes.";
pub const PASSWORD_RESET: &str =
    "Your password has been changed successfully. Sign in with your new password.";

/// A request for a link was taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRequested;

impl crate::app::components::form::ToNotice for LinkRequested {
    fn to_notice(&self) -> Option<String> {
        Some(LINK_REQUESTED.to_owned())
    }
}

/// A new password was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordWasReset;

impl crate::app::components::form::ToNotice for PasswordWasReset {
    fn to_notice(&self) -> Option<String> {
        Some(PASSWORD_RESET.to_owned())
    }
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<LinkRequested, AppError> {
    use super::ctx;
    use crate::domain::account::RESET_REQUESTS_PER_HOUR;
    use crate::domain::quota::HourlyQuota;
    use crate::server::services::{attempts, recovery};
    let result = async {
        let state = ctx::state()?;
        if email.trim().is_empty() {
            return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
                "email",
                "Enter the email address of your account.",
            )]));
        }
        let ip = ctx::client_ip();
        let quota = HourlyQuota::per_hour(RESET_REQUESTS_PER_HOUR);
        if !attempts::take_password_reset(&state, ip, quota).await? {
            return Err(AppError::TooManyResetRequests);
        }
        recovery::request(&state, &email).await?;
        Ok(LinkRequested)
    }
    .await;
    let values = [("email", email.as_str())];
    let values: &[(&str, &str)] = if result.is_err() { &values } else { &[] };
    ctx::finish(
        "request_password_reset",
        values,
        Some(LINK_REQUESTED),
        result,
    )
    .await
}

/// Whether a mailed link still works (the page says so at once).
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "check_reset_link")]
pub async fn check_reset_link(reset_password_token: String) -> Result<bool, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    Ok(crate::server::services::recovery::link_works(&state, &reset_password_token).await?)
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "reset_password")]
pub async fn reset_password(
    reset_password_token: String,
    password: String,
    password_confirmation: String,
) -> Result<PasswordWasReset, AppError> {
    use super::ctx;
    use crate::server::services::recovery;
    let result = async {
        let state = ctx::state()?;
        let ip = ctx::client_ip();
        recovery::reset(
            &state,
            &reset_password_token,
            &password,
            &password_confirmation,
            ip,
        )
        .await?;
        Ok::<_, AppError>(PasswordWasReset)
    }
    .await;
    ctx::finish("reset_password", &[], Some(PASSWORD_RESET), result).await
}
