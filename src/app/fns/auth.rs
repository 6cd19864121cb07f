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
        created_at: u.created_at,
    }
}

/// The signed-in user, or `None`.
#[server(prefix = "/_fn", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    let session = ctx::session().await?;
    let user = crate::server::session::current_user(&session, &state.db).await?;
    Ok(user.map(current))
}

#[server(prefix = "/_fn", endpoint = "sign_up")]
pub async fn sign_up(username: String, email: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::{services::accounts, session};
    let state = ctx::state()?;
    let result = async {
        let user = accounts::register(&state, &username, &email, &password, false).await?;
        let session = ctx::session().await?;
        session::sign_in(&session, &user).await?;
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

#[server(prefix = "/_fn", endpoint = "sign_in")]
pub async fn sign_in(login: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::{services::accounts, session};
    let state = ctx::state()?;
    let result = async {
        let user = accounts::authenticate(&state, &login, &password).await?;
        let session = ctx::session().await?;
        session::sign_in(&session, &user).await?;
        Ok::<_, AppError>(())
    }
    .await;
    let result = ctx::finish("sign_in", &[("login", &login)], None, result).await;
    if result.is_ok() {
        leptos_axum::redirect("/");
    }
    result
}

#[server(prefix = "/_fn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ctx;
    let session = ctx::session().await?;
    crate::server::session::sign_out(&session).await?;
    leptos_axum::redirect("/users/sign_in");
    Ok(())
}
