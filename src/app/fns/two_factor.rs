//! Two-factor authentication: the second sign-in step, and enrolment and
//! management in User Settings.

use super::AppError;
use leptos::server;
use serde::{Deserialize, Serialize};

pub const DISABLED: &str = "Two-factor authentication has been disabled.";

/// The enrolment in progress: what the authenticator app needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    /// The QR code as an SVG document (drawn on the server).
    pub qr_svg: String,
    pub manual_key: String,
    pub uri: String,
}

/// The two-factor settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorPage {
    pub enabled: bool,
    pub recovery_codes_left: i64,
    /// Shown only within the re-authentication window.
    pub enrolment: Option<EnrolmentView>,
    /// New recovery codes handed to a browser without JavaScript, once.
    pub new_codes: Option<Vec<String>>,
}

/// New recovery codes, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl crate::app::components::form::ToNotice for RecoveryCodes {
    fn to_notice(&self) -> Option<String> {
        None
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::super::ctx;
    use super::{AppError, RecoveryCodes};
    use crate::domain::two_factor::REAUTH_SECONDS;
    use crate::server::db::users::User;
    use crate::server::state::AppState;
    use crate::server::{reveal, session};
    use tower_sessions::Session;

    /// Whether the user re-entered their password within the window.
    pub async fn reauthenticated(state: &AppState, session: &Session) -> Result<bool, AppError> {
        let at = session::reauthenticated_at(session).await?;
        Ok(at.is_some_and(|at| state.now() - at < REAUTH_SECONDS))
    }

    /// Shows new codes once: in the response with JavaScript, through a
    /// sealed cookie for the settings page without.
    pub async fn hand_over(
        state: &AppState,
        session: &Session,
        user: &User,
        codes: Vec<String>,
    ) -> Result<RecoveryCodes, AppError> {
        let sealed = ctx::hand_over_secret(
            reveal::RECOVERY_CODES,
            state,
            session,
            user.id,
            user.id.get(),
            &codes.join("\n"),
        )
        .await?;
        Ok(RecoveryCodes(if sealed { Vec::new() } else { codes }))
    }
}

/// The second sign-in step: whether one is pending for this session.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "second_step_pending")]
pub async fn second_step_pending() -> Result<bool, AppError> {
    use super::ctx;
    use crate::server::{services::two_factor, session};
    let state = ctx::state()?;
    let session = ctx::session().await?;
    let Some(pending) = session::pending_sign_in(&session).await? else {
        return Ok(false);
    };
    Ok(two_factor::pending_user(&state, &pending).await?.is_some())
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "verify_two_factor")]
pub async fn verify_two_factor(code: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::services::{accounts, two_factor};
    use crate::server::session;
    let result = async {
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let pending = session::pending_sign_in(&session)
            .await?
            .ok_or(AppError::SignInExpired)?;
        let Some(user) = two_factor::pending_user(&state, &pending).await? else {
            session::clear_pending_sign_in(&session).await?;
            return Err(AppError::SignInExpired);
        };
        two_factor::verify_second_step(&state, &user, &code).await?;
        session::complete_second_step(&session, &user).await?;
        accounts::record_sign_in(&state, &user).await?;
        Ok::<_, AppError>(())
    }
    .await;
    let expired = matches!(result, Err(AppError::SignInExpired));
    let result = ctx::finish("verify_two_factor", &[], None, result).await;
    if result.is_ok() {
        leptos_axum::redirect("/");
    } else if expired {
        leptos_axum::redirect(crate::paths::SIGN_IN);
        // The sign-in page shows why.
        if let Ok(session) = ctx::session().await {
            let _ = crate::server::session::set_flash(
                &session,
                &super::FormFlash {
                    form: "sign_in".into(),
                    error: Some(AppError::SignInExpired),
                    ..Default::default()
                },
            )
            .await;
        }
    }
    result
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_two_factor")]
pub async fn load_two_factor() -> Result<TwoFactorPage, AppError> {
    use super::ctx;
    use crate::server::reveal;
    use crate::server::services::two_factor;
    let (state, session, user) = ctx::signed_in().await?;
    let status = two_factor::status(&state, &user).await?;
    let enrolment = if !status.enabled && ssr::reauthenticated(&state, &session).await? {
        two_factor::enrolment(&state, &user)
            .await?
            .map(|e| EnrolmentView {
                qr_svg: e.qr_svg,
                manual_key: e.manual_key,
                uri: e.uri,
            })
    } else {
        None
    };
    let new_codes = ctx::take_secret(reveal::RECOVERY_CODES, &state, &session, user.id)
        .await?
        .filter(|(ticket, _)| ticket.subject == user.id.get() && status.enabled)
        .map(|(_, codes)| codes.lines().map(str::to_owned).collect());
    Ok(TwoFactorPage {
        enabled: status.enabled,
        recovery_codes_left: status.recovery_codes_left,
        enrolment,
        new_codes,
    })
}

/// Step one of enrolment: the password again, then a new secret.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "start_two_factor")]
pub async fn start_two_factor(password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::services::two_factor;
    use crate::server::session;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        two_factor::check_password(&state, &user, &password).await?;
        session::set_reauthenticated(&session, state.now()).await?;
        two_factor::begin_enrolment(&state, &user).await?;
        Ok::<_, AppError>(())
    }
    .await;
    ctx::finish("start_two_factor", &[], None, result).await
}

/// Step two: a code from the app turns two-factor authentication on.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: String) -> Result<RecoveryCodes, AppError> {
    use super::ctx;
    use crate::server::services::two_factor;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        if !ssr::reauthenticated(&state, &session).await? {
            return Err(AppError::ReauthRequired);
        }
        let codes = two_factor::confirm_enrolment(&state, &ctx::actor(&user), &user, &code).await?;
        ssr::hand_over(&state, &session, &user, codes).await
    }
    .await;
    ctx::finish("confirm_two_factor", &[], None, result).await
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "regenerate_recovery_codes")]
pub async fn regenerate_recovery_codes(password: String) -> Result<RecoveryCodes, AppError> {
    use super::ctx;
    use crate::server::services::two_factor;
    use crate::server::session;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        two_factor::check_password(&state, &user, &password).await?;
        session::set_reauthenticated(&session, state.now()).await?;
        let codes =
            two_factor::regenerate_recovery_codes(&state, &ctx::actor(&user), &user).await?;
        ssr::hand_over(&state, &session, &user, codes).await
    }
    .await;
    ctx::finish("regenerate_recovery_codes", &[], None, result).await
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: String) -> Result<String, AppError> {
    use super::ctx;
    use crate::server::services::two_factor;
    use crate::server::session;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        two_factor::check_password(&state, &user, &password).await?;
        session::set_reauthenticated(&session, state.now()).await?;
        two_factor::disable(&state, &ctx::actor(&user), &user).await?;
        Ok::<_, AppError>(DISABLED.to_owned())
    }
    .await;
    ctx::finish("disable_two_factor", &[], Some(DISABLED), result).await
}
