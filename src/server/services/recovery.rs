//! "Forgot your password?": a link that works once, within the hour,
//! mailed to the account's address. The database keeps the link's keyed
//! digest and the outbox keeps it sealed; neither holds it in clear.
//! Asking answers the same whether or not the account exists.

use super::audit::{self, Action, Actor, Event};
use super::{mail, ServiceError};
use crate::domain::account::{
    check_new_password, may_mail_reset_link, reset_link_works, unique_key, RESET_LINK_REFUSED,
    RESET_LINK_SECONDS, RESET_PREFIX,
};
use crate::domain::token::{check_shape, format_secret, DigestKey, RANDOM_BYTES};
use crate::domain::FieldError;
use crate::paths;
use crate::server::db::password_resets::{self, ResetLink};
use crate::server::db::users::{self, User};
use crate::server::state::Core;
use rand::RngCore;

const DIGEST_LABEL: &str = "forgekey password reset link v1";

fn digest_key(state: &Core) -> DigestKey {
    DigestKey::new(&state.config.secret.subkey(DIGEST_LABEL))
}

/// Mails a reset link to the account that `login` (email address or
/// username) names, unless there is none, it is blocked, or it was mailed
/// one within the last minute. Whatever happened, it answers the same.
pub async fn request(state: &Core, login: &str) -> Result<(), ServiceError> {
    let Some(credentials) = users::find_credentials(&state.db, &unique_key(login.trim())).await?
    else {
        return Ok(());
    };
    let user = credentials.user;
    if user.blocked_at.is_some() {
        return Ok(());
    }
    let latest = password_resets::latest_for_user(&state.db, user.id).await?;
    if !may_mail_reset_link(latest, state.now()) {
        return Ok(());
    }
    mail_link(state, &user, None).await
}

/// An administrator's "Send reset link" for `user`, on the record.
pub async fn send_link(state: &Core, actor: &Actor, user: &User) -> Result<(), ServiceError> {
    if user.blocked_at.is_some() {
        return Err(ServiceError::Blocked);
    }
    mail_link(state, user, Some(actor)).await
}

async fn mail_link(state: &Core, user: &User, admin: Option<&Actor>) -> Result<(), ServiceError> {
    let now = state.now();
    let mut random = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let secret = format_secret(RESET_PREFIX, &random);
    let link = format!(
        "{}{}?reset_password_token={secret}",
        mail::base_url(state),
        paths::RESET_PASSWORD
    );
    let message = mail::password_reset(user, admin.is_some());
    let mut tx = state.db.begin_write().await?;
    password_resets::insert(
        &mut *tx,
        user.id,
        &digest_key(state).digest(&secret),
        now,
        now + RESET_LINK_SECONDS,
    )
    .await?;
    mail::queue_sealed(&mut *tx, state, &message, &link, now).await?;
    if let Some(actor) = admin {
        let event = Event::new(Action::PasswordResetLinkSent).on_user(user);
        audit::record(&mut *tx, actor, event, now).await?;
    }
    tx.commit().await?;
    tracing::info!(user_id = %user.id, by_admin = admin.is_some(), "password reset link mailed");
    Ok(())
}

/// The link a secret stands for, while it works.
async fn working_link(state: &Core, secret: &str) -> Result<Option<ResetLink>, ServiceError> {
    // Anything not shaped like a link is refused before any query.
    if !secret.starts_with(RESET_PREFIX) || check_shape(secret).is_err() {
        return Ok(None);
    }
    let link =
        password_resets::find_by_digest(&state.db, &digest_key(state).digest(secret)).await?;
    let now = state.now();
    Ok(link.filter(|l| reset_link_works(l.expires_at, l.used_at, now)))
}

/// Whether a link's secret still works (the page says so before asking
/// for a password).
pub async fn link_works(state: &Core, secret: &str) -> Result<bool, ServiceError> {
    Ok(working_link(state, secret).await?.is_some())
}

/// Sets a new password with a mailed link: the link and every other link
/// of the account stop working, every session of the user ends, and the
/// audit log records it (from `address`).
pub async fn reset(
    state: &Core,
    secret: &str,
    password: &str,
    confirmation: &str,
    address: Option<std::net::IpAddr>,
) -> Result<User, ServiceError> {
    let refused = || FieldError::new("reset_password_token", RESET_LINK_REFUSED);
    let mut errors = check_new_password(password, "password", confirmation);
    let link = working_link(state, secret).await?;
    let user = match link {
        Some(link) => users::find_by_id(&state.db, link.user_id)
            .await?
            .filter(|u| u.blocked_at.is_none()),
        None => None,
    };
    let (Some(link), Some(user)) = (link, user) else {
        errors.insert(0, refused());
        return Err(ServiceError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let hash = state.passwords.hash(password).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if !password_resets::take(&mut tx, &link, now).await? {
        // Used or expired meanwhile (two tabs, say): one use only.
        tx.rollback().await?;
        return Err(ServiceError::Invalid(vec![refused()]));
    }
    let epoch = users::set_password_with(&mut *tx, user.id, &hash).await?;
    let actor = Actor::user(&user).from(address);
    let event = Event::new(Action::PasswordReset)
        .on_user(&user)
        .details("with a reset link");
    audit::record(&mut *tx, &actor, event, now).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "password reset with a link");
    Ok(User {
        session_epoch: epoch,
        ..user
    })
}
