//! Signing up, in and out.

use super::{AppError, CurrentUser};
use leptos::server;

#[cfg(feature = "ssr")]
fn current(u: crate::server::db::users::User) -> CurrentUser {
    CurrentUser {
        id: u.id,
        username: u.username,
        email: u.email,
        is_admin: u.is_admin,
        two_factor_enabled: u.two_factor_enabled,
        created_at: u.created_at,
    }
}

/// The signed-in user, or `None`.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    let session = ctx::session().await?;
    let user = crate::server::session::current_user(&session, &state).await?;
    Ok(user.map(current))
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "sign_up")]
pub async fn sign_up(username: String, email: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::{services::accounts, session};
    let state = ctx::state()?;
    let result = async {
        let ip = ctx::client_ip();
        let quota = state.sign_ups.quota();
        if !crate::server::services::attempts::take_sign_up(&state, ip, quota).await? {
            return Err(AppError::TooManySignUps);
        }
        let user = accounts::register(&state, &username, &email, &password, false).await?;
        let session = ctx::session().await?;
        session::sign_in(&session, &user).await?;
        // Registering signs in: the Admin Area's "last sign-in" shows it.
        accounts::record_sign_in(&state, &user).await?;
        Ok::<_, AppError>(())
    }
    .await;
    let result = ctx::finish(
        "sign_up",
        &[("username", &username), ("email", &email)],
        None,
        result,
    )
    .await;
    if result.is_ok() {
        leptos_axum::redirect("/");
    }
    result
}

/// The password step. A user with two-factor authentication is not signed
/// in yet: the session only remembers the pending sign-in, and the browser
/// goes on to the second step.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "sign_in")]
pub async fn sign_in(login: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::{services::accounts, session};
    let state = ctx::state()?;
    let result = async {
        let user = accounts::authenticate(&state, &login, &password).await?;
        let session = ctx::session().await?;
        if user.two_factor_enabled {
            session::begin_second_step(&session, &user, state.now()).await?;
            return Ok::<_, AppError>(crate::paths::SECOND_STEP);
        }
        session::sign_in(&session, &user).await?;
        accounts::record_sign_in(&state, &user).await?;
        Ok("/")
    }
    .await;
    let result = ctx::finish("sign_in", &[("login", &login)], None, result).await;
    result.map(leptos_axum::redirect)
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ctx;
    let session = ctx::session().await?;
    crate::server::session::sign_out(&session).await?;
    leptos_axum::redirect(crate::paths::SIGN_IN);
    Ok(())
}

impl crate::app::components::form::FormArgs for SignOut {
    fn from_fields(_: &dyn Fn(&str) -> Vec<String>) -> Option<Self> {
        Some(Self {})
    }
}
