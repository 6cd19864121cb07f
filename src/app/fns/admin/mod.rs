//! The Admin Area's server functions, one file per page (as
//! `app/pages/admin/`). Every function answers `NotFound` to anyone but an
//! administrator, as if the Admin Area did not exist.

mod audit;
mod credentials;
mod outbox;
mod overview;
mod settings;
mod user;
mod users;

pub use audit::*;
pub use credentials::*;
pub use outbox::*;
pub use overview::*;
pub use settings::*;
pub use user::*;
pub use users::*;

use super::AppError;
use leptos::server;
use serde::{Deserialize, Serialize};

pub const PER_PAGE: i64 = 20;

/// A user as administrators see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: crate::domain::ids::UserId,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub two_factor_enabled: bool,
    pub blocked: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// One page of a list and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub total: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn admin_user(u: crate::server::db::users::User) -> AdminUser {
    AdminUser {
        id: u.id,
        blocked: u.is_blocked(),
        username: u.username,
        email: u.email,
        is_admin: u.is_admin,
        two_factor_enabled: u.two_factor_enabled,
        created_at: u.created_at,
        last_sign_in_at: u.last_sign_in_at,
    }
}

#[cfg(feature = "ssr")]
fn offset(page: i64) -> (i64, i64) {
    let page = page.max(1);
    (page, (page - 1) * PER_PAGE)
}

/// A plain form post returns to the user's page (not to the confirmation
/// step it came from).
#[cfg(feature = "ssr")]
fn back_to(path: Option<String>) {
    if crate::app::fns::ctx::is_plain_form_post() {
        leptos_axum::redirect(path.as_deref().unwrap_or(crate::paths::ADMIN_USERS));
    }
}

/// Enters admin mode: the password again, and a two-factor code (or a
/// recovery code) when the administrator has 2FA. Wrong passwords count
/// towards the account's lock, wrong codes towards the second step's.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "enter_admin_mode")]
pub async fn enter_admin_mode(password: String, code: Option<String>) -> Result<(), AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::{accounts, audit, two_factor, ServiceError};
    use crate::server::session;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        if !user.is_admin {
            return Err(AppError::NotFound);
        }
        match accounts::recheck_password(&state, user.id, &password).await {
            Ok(_) => {}
            Err(ServiceError::InvalidCredentials) => {
                return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
                    "password",
                    "The password is wrong.",
                )]))
            }
            Err(other) => return Err(other.into()),
        }
        if user.two_factor_enabled {
            let code = code.as_deref().unwrap_or_default();
            two_factor::verify_second_step(&state, &user, code).await?;
        }
        session::set_admin_mode(&session, state.now()).await?;
        tracing::info!(user_id = %user.id, "administrator entered admin mode");
        let event = audit::Event::new(audit::Action::AdminModeEntered).on_user(&user);
        audit::record_now(&state, &ctx::actor(&user), event).await?;
        Ok(())
    }
    .await;
    ctx::finish("enter_admin_mode", &[], None, result).await
}
