//! Two-factor authentication: enrolment, the second sign-in step, recovery
//! codes, and the gate on passwords for non-browser clients.

use super::attempts::{self, NotNow};
use super::audit::{self, Action, Actor, Event};
use super::{Conflict, ServiceError};
use crate::domain::ids::UserId;
use crate::domain::lockout::{minutes_left, Outcome};
use crate::domain::token::DigestKey;
use crate::domain::two_factor::{
    self, normalize_recovery_code, password_gate, recovery_code, Authenticator, CodeRejected,
    PasswordRefused, RECOVERY_CODES, RECOVERY_CODE_BYTES, SECRET_BYTES,
};
use crate::server::db::attempts::Counter;
use crate::server::db::two_factor as db;
use crate::server::db::users::{self, User};
use crate::server::sealed::Sealer;
use crate::server::state::Core;
use rand::RngCore;

const SECRET_LABEL: &str = "forgekey totp secret v1";
const RECOVERY_DIGEST_LABEL: &str = "forgekey recovery code digest v1";
const WRONG_PASSWORD: &str = "Invalid password.";
const WRONG_CODE: &str = "Invalid two-factor code.";

/// What the enrolment page shows: the secret as a QR code and as a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub uri: String,
    pub manual_key: String,
    /// The QR code of `uri`, as an SVG document.
    pub qr_svg: String,
}

/// A user's two-factor status, for their settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub enabled: bool,
    pub recovery_codes_left: i64,
}

fn sealer(state: &Core) -> Sealer {
    Sealer::new(&state.config.secret, SECRET_LABEL)
}

/// Binds a sealed secret to its user: copied to another row it won't open.
fn aad(user_id: UserId) -> Vec<u8> {
    format!("users.otp_secret:{user_id}").into_bytes()
}

fn authenticator(state: &Core, user: &User, sealed: &str) -> Result<Authenticator, ServiceError> {
    let secret = sealer(state).open(sealed, &aad(user.id)).ok_or_else(|| {
        // Fail closed: a tampered value or another server secret.
        tracing::error!(user_id = %user.id, "a stored TOTP secret does not open");
        ServiceError::Internal
    })?;
    Authenticator::new(&secret, &user.username).ok_or(ServiceError::Internal)
}

fn recovery_digest(state: &Core, code: &str) -> String {
    DigestKey::new(&state.config.secret.subkey(RECOVERY_DIGEST_LABEL))
        .digest(code)
        .to_hex()
}

/// New recovery codes: what the user is shown, and what is stored.
fn new_recovery_codes(state: &Core) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; RECOVERY_CODE_BYTES];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            recovery_code(&bytes)
        })
        .collect();
    let digests = codes.iter().map(|c| recovery_digest(state, c)).collect();
    (codes, digests)
}

/// Checks the signed-in user's password for a sensitive change; wrong ones
/// count towards the account's lock.
pub async fn check_password(state: &Core, user: &User, password: &str) -> Result<(), ServiceError> {
    match super::accounts::recheck_password(state, user.id, password).await {
        Ok(_) => Ok(()),
        Err(ServiceError::InvalidCredentials) => {
            Err(ServiceError::field("password", WRONG_PASSWORD))
        }
        Err(other) => Err(other),
    }
}

pub async fn status(state: &Core, user: &User) -> Result<Status, ServiceError> {
    let otp = db::state(&state.db, user.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(Status {
        enabled: otp.enabled,
        recovery_codes_left: if otp.enabled {
            db::recovery_codes_left(&state.db, user.id).await?
        } else {
            0
        },
    })
}

/// Starts (or restarts) enrolment with a new random secret.
pub async fn begin_enrolment(state: &Core, user: &User) -> Result<(), ServiceError> {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let sealed = sealer(state)
        .seal(&secret, &aad(user.id))
        .ok_or(ServiceError::Internal)?;
    if !db::set_enrolment_secret(&state.db, user.id, &sealed).await? {
        return Err(Conflict::TwoFactorEnabled.into());
    }
    Ok(())
}

/// The enrolment in progress, if any.
pub async fn enrolment(state: &Core, user: &User) -> Result<Option<Enrolment>, ServiceError> {
    let otp = db::state(&state.db, user.id).await?;
    let Some(sealed) = otp.filter(|o| !o.enabled).and_then(|o| o.sealed_secret) else {
        return Ok(None);
    };
    let auth = authenticator(state, user, &sealed)?;
    let uri = auth.uri();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| {
            tracing::error!(error = %e, "cannot draw the QR code");
            ServiceError::Internal
        })?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(Some(Enrolment {
        manual_key: auth.manual_key(),
        uri,
        qr_svg,
    }))
}

/// Confirms enrolment with a code from the app: two-factor authentication
/// is on from now, and the new recovery codes are returned (shown once).
pub async fn confirm_enrolment(
    state: &Core,
    actor: &Actor,
    user: &User,
    code: &str,
) -> Result<Vec<String>, ServiceError> {
    let otp = db::state(&state.db, user.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if otp.enabled {
        return Err(Conflict::TwoFactorEnabled.into());
    }
    let sealed = otp.sealed_secret.ok_or(Conflict::NoEnrolment)?;
    let step = authenticator(state, user, &sealed)?
        .verify(code, state.now(), None)
        .map_err(|_| ServiceError::field("code", WRONG_CODE))?;
    let (codes, digests) = new_recovery_codes(state);
    if !db::enable(&state.db, user.id, &sealed, step, &digests, state.now()).await? {
        return Err(Conflict::EnrolmentChanged.into());
    }
    tracing::info!(user_id = %user.id, "two-factor authentication enabled");
    audit::record_now(
        state,
        actor,
        Event::new(Action::TwoFactorEnabled).on_user(user),
    )
    .await?;
    Ok(codes)
}

/// A new set of recovery codes; the old set stops working.
pub async fn regenerate_recovery_codes(
    state: &Core,
    actor: &Actor,
    user: &User,
) -> Result<Vec<String>, ServiceError> {
    let (codes, digests) = new_recovery_codes(state);
    if !db::replace_recovery_codes(&state.db, user.id, &digests, state.now()).await? {
        return Err(Conflict::TwoFactorNotEnabled.into());
    }
    tracing::info!(user_id = %user.id, "recovery codes regenerated");
    let event = Event::new(Action::RecoveryCodesRegenerated).on_user(user);
    audit::record_now(state, actor, event).await?;
    Ok(codes)
}

/// Turns two-factor authentication off (the user with their password, or
/// an operator for a user who lost every factor), on the record.
pub async fn disable(state: &Core, actor: &Actor, user: &User) -> Result<(), ServiceError> {
    db::disable(&state.db, user.id).await?;
    tracing::info!(user_id = %user.id, "two-factor authentication disabled");
    let event = Event::new(Action::TwoFactorDisabled).on_user(user);
    audit::record_now(state, actor, event).await?;
    Ok(())
}

/// The second sign-in step: a TOTP code (current or previous step, never
/// one already used) or an unused recovery code. Each answer is one
/// attempt towards the lock on this step, reserved before it is checked.
pub async fn verify_second_step(
    state: &Core,
    user: &User,
    answer: &str,
) -> Result<(), ServiceError> {
    let locked = |until: i64| ServiceError::TwoFactorLocked {
        minutes: minutes_left(until, state.now()),
    };
    let attempt = attempts::reserve(state, Counter::SecondStep, user.id)
        .await
        .map_err(|refused| match refused {
            NotNow::Locked { until } => locked(until),
            NotNow::Failed(e) => e,
        })?;
    // Read under the reservation: a racing answer may have used a step.
    let otp = db::state(&state.db, user.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let (Some(sealed), true) = (otp.sealed_secret.as_deref(), otp.enabled) else {
        attempt.settle(Outcome::Unchecked).await?;
        return Err(Conflict::TwoFactorNotEnabled.into());
    };
    let last_step = otp.last_step;
    let now = state.now();
    let accepted = if two_factor::looks_like_totp(answer) {
        match authenticator(state, user, sealed)?.verify(answer, now, last_step) {
            Ok(step) => db::accept_step(&state.db, user.id, step).await?,
            Err(CodeRejected::Replayed) => {
                tracing::warn!(user_id = %user.id, "a used two-factor code was replayed");
                false
            }
            Err(_) => false,
        }
    } else if let Some(code) = normalize_recovery_code(answer) {
        let used =
            db::use_recovery_code(&state.db, user.id, &recovery_digest(state, &code), now).await?;
        if used {
            tracing::info!(user_id = %user.id, "signed in with a recovery code");
        }
        used
    } else {
        false
    };
    if accepted {
        attempt.settle(Outcome::Right).await?;
        return Ok(());
    }
    match attempt.settle(Outcome::Wrong).await? {
        Some(until) => Err(locked(until)),
        None => Err(ServiceError::field("code", WRONG_CODE)),
    }
}

/// Why a non-browser client's username and password were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    #[error("invalid login or password")]
    InvalidCredentials,
    #[error("account locked for {minutes} more minutes")]
    Locked { minutes: i64 },
    #[error("password refused: {0:?}")]
    Refused(PasswordRefused),
    /// Not decided: busy, the database unavailable, an internal error.
    #[error("{0}")]
    Failed(ServiceError),
}

/// The one decision whether a username (or email) and password may
/// authenticate a non-browser client such as Git over HTTP.
/// `domain::two_factor::password_gate` decides first, before the password
/// is checked, so that a right and a wrong password get the same answer
/// whenever passwords are refused: with the instance's setting off
/// (`passwords_allowed`) everyone is told so, and a user with two-factor
/// authentication gets the same refusal as a wrong password, after the
/// same hashing work. Otherwise the password must be right, with the same
/// lockout as the sign-in form.
pub async fn authenticate_password_client(
    state: &Core,
    login: &str,
    password: &str,
    passwords_allowed: bool,
) -> Result<User, GateError> {
    let credentials = super::accounts::find_login(state, login)
        .await
        .map_err(GateError::Failed)?;
    let two_factor_enabled = credentials
        .as_ref()
        .is_some_and(|c| c.user.two_factor_enabled);
    match password_gate(two_factor_enabled, passwords_allowed) {
        Ok(()) => {}
        Err(PasswordRefused::TwoFactorEnabled) => {
            // As long as checking a wrong password takes.
            let _ = state.passwords.verify(password, None).await;
            return Err(GateError::InvalidCredentials);
        }
        Err(refused) => return Err(GateError::Refused(refused)),
    }
    super::accounts::authenticate_found(state, credentials, password)
        .await
        .map_err(|e| match e {
            ServiceError::InvalidCredentials | ServiceError::Invalid(_) | ServiceError::Blocked => {
                GateError::InvalidCredentials
            }
            ServiceError::Locked { minutes } => GateError::Locked { minutes },
            other => GateError::Failed(other),
        })
}

/// The user a pending sign-in belongs to, if it is still valid: not
/// expired, and the user's sessions not ended since (password change).
pub async fn pending_user(
    state: &Core,
    pending: &crate::server::session::PendingSignIn,
) -> Result<Option<User>, ServiceError> {
    if state.now() - pending.at >= two_factor::PENDING_SIGN_IN_SECONDS {
        return Ok(None);
    }
    let user = users::find_by_id(&state.db, pending.user_id).await?;
    Ok(user.filter(|u| {
        u.session_epoch == pending.session_epoch && u.two_factor_enabled && !u.is_blocked()
    }))
}
