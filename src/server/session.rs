//! Browser sessions: tower-sessions with the sqlx store in the application's
//! own database, and the few keys Forgekey keeps in a session.

use super::db::users::User;
use super::db::{Backend, Timeouts};
use super::reveal;
use super::services::ServiceError;
use super::state::Core;
use crate::domain::ids::UserId;
use async_trait::async_trait;
use serde::{de::DeserializeOwned, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::{Session, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// The session store of whichever backend the application runs on.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// Opens the store on its own small pool to the same database, with
    /// the application's timeouts, and creates its table.
    pub async fn open(
        url: &str,
        backend: Backend,
        timeouts: Timeouts,
    ) -> Result<Self, sqlx::Error> {
        let store = match backend {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(timeouts.acquire)
                    .connect_with(options)
                    .await?;
                Self::Sqlite(SqliteStore::new(pool))
            }
            Backend::Postgres => {
                let options = PgConnectOptions::from_str(url)?.options([
                    (
                        "statement_timeout",
                        timeouts.statement.as_millis().to_string(),
                    ),
                    ("lock_timeout", timeouts.lock.as_millis().to_string()),
                ]);
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(timeouts.acquire)
                    .connect_with(options)
                    .await?;
                Self::Postgres(PostgresStore::new(pool))
            }
        };
        match &store {
            Self::Sqlite(s) => s.migrate().await?,
            Self::Postgres(s) => s.migrate().await?,
        }
        Ok(store)
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}

const USER_ID: &str = "user_id";
const EPOCH: &str = "epoch";
const FLASH: &str = "flash";
const PENDING: &str = "pending_sign_in";
const REAUTH_AT: &str = "reauthenticated_at";
const ADMIN_MODE_AT: &str = "admin_mode_at";

/// The session store fails only when its database does (its records are
/// ours, written by its own code): that is "unavailable, try again".
fn store_error(e: tower_sessions::session::Error) -> ServiceError {
    static LINES: crate::server::log_limit::LogLimit =
        crate::server::log_limit::LogLimit::every(10);
    LINES.now(|held_back| tracing::warn!(error = %e, held_back, "session store unavailable"));
    ServiceError::Unavailable
}

/// Signs `user` in on this session under a new session id: the id the
/// browser had before (possibly planted by someone else) dies.
pub async fn sign_in(session: &Session, user: &User) -> Result<(), ServiceError> {
    session.cycle_id().await.map_err(store_error)?;
    // Nothing of a previous user's sign-in carries over.
    session.remove_value(PENDING).await.map_err(store_error)?;
    session.remove_value(REAUTH_AT).await.map_err(store_error)?;
    session
        .remove_value(ADMIN_MODE_AT)
        .await
        .map_err(store_error)?;
    session
        .insert(USER_ID, user.id)
        .await
        .map_err(store_error)?;
    session
        .insert(EPOCH, user.session_epoch)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// Ends the session: its record is deleted and the cookie cleared.
pub async fn sign_out(session: &Session) -> Result<(), ServiceError> {
    session.flush().await.map_err(store_error)
}

/// The signed-in user, if the session belongs to one whose session epoch
/// has not moved on since (a password change ends all other sessions).
pub async fn current_user(session: &Session, state: &Core) -> Result<Option<User>, ServiceError> {
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(store_error)? else {
        return Ok(None);
    };
    let epoch = session.get::<i64>(EPOCH).await.map_err(store_error)?;
    let user = super::services::accounts::find(state, UserId(user_id)).await?;
    Ok(user.filter(|u| Some(u.session_epoch) == epoch && !u.is_blocked()))
}

/// Keeps this session signed in after the user's session epoch moved on.
pub async fn adopt_epoch(session: &Session, user: &User) -> Result<(), ServiceError> {
    session.cycle_id().await.map_err(store_error)?;
    session
        .insert(EPOCH, user.session_epoch)
        .await
        .map_err(store_error)
}

/// Stores a one-time message for the next page this session renders.
pub async fn set_flash<T: Serialize>(session: &Session, flash: &T) -> Result<(), ServiceError> {
    session.insert(FLASH, flash).await.map_err(store_error)
}

/// Takes the one-time message if `matches` accepts it, leaving it otherwise.
pub async fn take_flash<T: DeserializeOwned + Serialize>(
    session: &Session,
    matches: impl FnOnce(&T) -> bool,
) -> Result<Option<T>, ServiceError> {
    let Some(flash) = session.get::<T>(FLASH).await.map_err(store_error)? else {
        return Ok(None);
    };
    if !matches(&flash) {
        return Ok(None);
    }
    session.remove_value(FLASH).await.map_err(store_error)?;
    // Pages are streamed: the session layer may have saved the session
    // before this ran, so persist the removal now.
    session.save().await.map_err(store_error)?;
    Ok(Some(flash))
}

/// Keeps the one-time ticket for a sealed secret (see `reveal`).
pub async fn set_reveal(
    session: &Session,
    purpose: reveal::Purpose,
    ticket: &reveal::Ticket,
) -> Result<(), ServiceError> {
    session
        .insert(purpose.session_key, ticket)
        .await
        .map_err(store_error)
}

/// Takes the ticket, if any: it works once.
pub async fn take_reveal(
    session: &Session,
    purpose: reveal::Purpose,
) -> Result<Option<reveal::Ticket>, ServiceError> {
    let ticket = session
        .remove(purpose.session_key)
        .await
        .map_err(store_error)?;
    if ticket.is_some() {
        session.save().await.map_err(store_error)?;
    }
    Ok(ticket)
}

/// A sign-in whose password was right, waiting for its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct PendingSignIn {
    pub user_id: UserId,
    pub session_epoch: i64,
    /// When the password was verified (unix seconds).
    pub at: i64,
}

/// Starts the second step: a new session id, nobody signed in on it, and
/// the pending sign-in recorded.
pub async fn begin_second_step(
    session: &Session,
    user: &User,
    now: i64,
) -> Result<(), ServiceError> {
    session.cycle_id().await.map_err(store_error)?;
    for key in [USER_ID, EPOCH, REAUTH_AT] {
        session.remove_value(key).await.map_err(store_error)?;
    }
    let pending = PendingSignIn {
        user_id: user.id,
        session_epoch: user.session_epoch,
        at: now,
    };
    session.insert(PENDING, pending).await.map_err(store_error)
}

/// The pending sign-in, if any (expiry is the caller's rule).
pub async fn pending_sign_in(session: &Session) -> Result<Option<PendingSignIn>, ServiceError> {
    session.get(PENDING).await.map_err(store_error)
}

/// Drops the pending sign-in (done, expired or abandoned).
pub async fn clear_pending_sign_in(session: &Session) -> Result<(), ServiceError> {
    session.remove_value(PENDING).await.map_err(store_error)?;
    Ok(())
}

/// Signs the pending user in: the pending step ends, the session id cycles.
pub async fn complete_second_step(session: &Session, user: &User) -> Result<(), ServiceError> {
    clear_pending_sign_in(session).await?;
    sign_in(session, user).await
}

/// Records that the signed-in user re-entered their password now.
pub async fn set_reauthenticated(session: &Session, now: i64) -> Result<(), ServiceError> {
    session.insert(REAUTH_AT, now).await.map_err(store_error)
}

/// When the signed-in user last re-entered their password, if ever.
pub async fn reauthenticated_at(session: &Session) -> Result<Option<i64>, ServiceError> {
    session.get(REAUTH_AT).await.map_err(store_error)
}

/// Records that the signed-in administrator entered admin mode now.
pub async fn set_admin_mode(session: &Session, now: i64) -> Result<(), ServiceError> {
    session
        .insert(ADMIN_MODE_AT, now)
        .await
        .map_err(store_error)
}

/// When the signed-in administrator entered admin mode, if they have.
pub async fn admin_mode_at(session: &Session) -> Result<Option<i64>, ServiceError> {
    session.get(ADMIN_MODE_AT).await.map_err(store_error)
}
