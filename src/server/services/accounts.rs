//! Sign-up, sign-in with lockout, and password changes and resets.

use super::attempts::{self, NotNow};
use super::audit::{self, Action, Actor, Event};
use super::ServiceError;
use crate::domain::account::{unique_key, validate_password, NewAccount};
use crate::domain::ids::UserId;
use crate::domain::lockout::{minutes_left, Outcome};
use crate::domain::FieldError;
use crate::server::db::attempts::Counter;
use crate::server::db::users::{self, Credentials, InsertUserError, NewUser, User};
use crate::server::state::Core;

const USERNAME_TAKEN: &str = "Username has already been taken.";
const EMAIL_TAKEN: &str = "Email has already been taken.";

/// Creates an account. The first account ever created is an administrator;
/// `admin` makes this one an administrator too.
pub async fn register(
    state: &Core,
    username: &str,
    email: &str,
    password: &str,
    admin: bool,
) -> Result<User, ServiceError> {
    let account = NewAccount::parse(username, email, password)?;
    let username_key = unique_key(&account.username);
    let email_key = unique_key(&account.email);

    // Checked first so the form shows both duplicates at once; the unique
    // indexes still decide when two sign-ups race.
    let (username_taken, email_taken) = users::taken(&state.db, &username_key, &email_key).await?;
    let mut errors = Vec::new();
    if username_taken {
        errors.push(FieldError::new("username", USERNAME_TAKEN));
    }
    if email_taken {
        errors.push(FieldError::new("email", EMAIL_TAKEN));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }

    let password_hash = state.passwords.hash(password).await?;
    let new = NewUser {
        username: &account.username,
        username_key: &username_key,
        email: &account.email,
        email_key: &email_key,
        password_hash: &password_hash,
        admin,
        now: state.now(),
    };
    users::insert(&state.db, &new).await.map_err(|e| match e {
        InsertUserError::UsernameTaken => ServiceError::field("username", USERNAME_TAKEN),
        InsertUserError::EmailTaken => ServiceError::field("email", EMAIL_TAKEN),
        InsertUserError::Db(e) => e.into(),
    })
}

/// Checks a username-or-email and password. Unknown users and wrong
/// passwords get the same error after the same amount of hashing work; ten
/// consecutive failures lock the account for ten minutes.
pub async fn authenticate(state: &Core, login: &str, password: &str) -> Result<User, ServiceError> {
    let credentials = find_login(state, login).await?;
    authenticate_found(state, credentials, password).await
}

/// The account a username or email names, with its password hash.
pub async fn find_login(state: &Core, login: &str) -> Result<Option<Credentials>, ServiceError> {
    Ok(users::find_credentials(&state.db, &unique_key(login)).await?)
}

/// `authenticate` for an account already looked up (`None`: unknown).
pub async fn authenticate_found(
    state: &Core,
    credentials: Option<Credentials>,
    password: &str,
) -> Result<User, ServiceError> {
    let Some(credentials) = credentials else {
        state.passwords.verify(password, None).await?;
        return Err(ServiceError::InvalidCredentials);
    };
    check_password(state, &credentials, password).await?;
    // Said only to someone who knows the password.
    if credentials.user.is_blocked() {
        return Err(ServiceError::Blocked);
    }
    Ok(credentials.user)
}

/// Checks the signed-in user's password again before a sensitive change
/// (admin mode, two-factor settings). Wrong ones count towards the
/// account's lock, as at sign-in.
pub async fn recheck_password(
    state: &Core,
    user_id: UserId,
    password: &str,
) -> Result<Credentials, ServiceError> {
    let credentials = users::find_credentials_by_id(&state.db, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    check_password(state, &credentials, password).await?;
    Ok(credentials)
}

/// One attempt at a user's password: reserved before the hash is checked,
/// so that no burst gets more passwords checked than the lock allows.
async fn check_password(
    state: &Core,
    credentials: &Credentials,
    password: &str,
) -> Result<(), ServiceError> {
    let attempt = attempts::reserve(state, Counter::Password, credentials.user.id)
        .await
        .map_err(|refused| match refused {
            NotNow::Locked { until } => ServiceError::Locked {
                minutes: minutes_left(until, state.now()),
            },
            NotNow::Failed(e) => e,
        })?;
    let matches = match state
        .passwords
        .verify(password, Some(&credentials.password_hash))
        .await
    {
        Ok(matches) => matches,
        Err(e) => {
            attempt.settle(Outcome::Unchecked).await?;
            return Err(e.into());
        }
    };
    if matches {
        attempt.settle(Outcome::Right).await?;
        return Ok(());
    }
    match attempt.settle(Outcome::Wrong).await? {
        Some(until) => Err(ServiceError::Locked {
            minutes: minutes_left(until, state.now()),
        }),
        None => Err(ServiceError::InvalidCredentials),
    }
}

/// Records a completed sign-in (password, and the second step if any).
pub async fn record_sign_in(state: &Core, user: &User) -> Result<(), ServiceError> {
    users::record_sign_in(&state.db, user.id, state.now()).await?;
    Ok(())
}

/// Changes a password after checking the current one. Every session of the
/// user ends; the returned user carries the new session epoch, with which
/// the caller keeps its own session alive.
pub async fn change_password(
    state: &Core,
    user_id: UserId,
    current: &str,
    new: &str,
    confirmation: &str,
) -> Result<User, ServiceError> {
    let mut errors = crate::domain::account::check_new_password(new, "new_password", confirmation);
    let credentials = match recheck_password(state, user_id, current).await {
        Ok(credentials) => Some(credentials),
        Err(ServiceError::InvalidCredentials) => {
            errors.insert(
                0,
                FieldError::new(
                    "current_password",
                    "You must provide a valid current password.",
                ),
            );
            None
        }
        Err(other) => return Err(other),
    };
    let credentials = match credentials {
        Some(credentials) if errors.is_empty() => credentials,
        _ => return Err(ServiceError::Invalid(errors)),
    };
    let hash = state.passwords.hash(new).await?;
    let epoch = users::set_password(&state.db, user_id, &hash).await?;
    Ok(User {
        session_epoch: epoch,
        ..credentials.user
    })
}

/// Sets a new password for someone who cannot give the current one (an
/// operator's command, for instances without mail): every session of the
/// user ends, and the audit log records who did it.
pub async fn reset_password(
    state: &Core,
    actor: &Actor,
    user: &User,
    new: &str,
) -> Result<(), ServiceError> {
    validate_password(new, "password").map_err(|e| ServiceError::Invalid(vec![e]))?;
    let hash = state.passwords.hash(new).await?;
    users::set_password(&state.db, user.id, &hash).await?;
    audit::record_now(
        state,
        actor,
        Event::new(Action::PasswordReset).on_user(user),
    )
    .await
}

/// One page of users matching `filter`, oldest first, and how many match
/// in all.
pub async fn users_page(
    state: &Core,
    filter: &users::UserFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), ServiceError> {
    Ok(users::page(&state.db, filter, offset, limit).await?)
}

/// A user by id.
pub async fn find(state: &Core, id: UserId) -> Result<Option<User>, ServiceError> {
    Ok(users::find_by_id(&state.db, id).await?)
}

/// A user by username (any case).
pub async fn find_by_username(state: &Core, username: &str) -> Result<Option<User>, ServiceError> {
    Ok(users::find_by_username_key(&state.db, &unique_key(username)).await?)
}
