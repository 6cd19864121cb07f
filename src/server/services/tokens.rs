//! Personal access tokens: create (the only moment a secret exists in
//! clear), list, revoke.

use super::ServiceError;
use crate::domain::lifetime::LifetimePolicy;
use crate::domain::token::{self, format_secret, NewToken, TokenDigest, RANDOM_BYTES};
use crate::server::db::tokens::{self, NewTokenRow, Token};
use crate::server::db::users::User;
use crate::server::state::AppState;
use rand::RngCore;
use time::{Date, OffsetDateTime};

const DIGEST_KEY_LABEL: &str = "forgekey personal access token digest v1";

/// A token just created, with its secret: shown once, then dropped.
pub struct Created {
    pub token: Token,
    pub secret: String,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// The UTC date of a unix instant.
pub fn date_of(unix_seconds: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .date()
}

pub fn policy(_state: &AppState) -> LifetimePolicy {
    LifetimePolicy::default()
}

pub fn digest(state: &AppState, secret: &str) -> TokenDigest {
    TokenDigest::of(&state.config.secret.subkey(DIGEST_KEY_LABEL), secret)
}

pub async fn create<S: AsRef<str>>(
    state: &AppState,
    user: &User,
    name: &str,
    expires_on: &str,
    scopes: &[S],
) -> Result<Created, ServiceError> {
    let now = state.now();
    let new = NewToken::parse(
        name,
        expires_on,
        scopes,
        user.is_admin,
        date_of(now),
        &policy(state),
    )?;
    let mut random = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let secret = format_secret(token::DEFAULT_PREFIX, &random);
    let digest = digest(state, &secret);
    let token = tokens::insert(
        &state.db,
        &NewTokenRow {
            user_id: user.id,
            name: &new.name,
            digest: &digest,
            scopes: &new.scopes,
            created_at: now,
            expires_at: token::expires_at(new.expires_on).unix_timestamp(),
        },
    )
    .await?;
    tracing::info!(
        user_id = user.id,
        token_id = token.id,
        "personal access token created"
    );
    Ok(Created { token, secret })
}

pub async fn list(state: &AppState, user_id: i64) -> Result<Vec<Token>, ServiceError> {
    Ok(tokens::list_for_user(&state.db, user_id).await?)
}

/// Revokes one of the user's tokens. Revoking twice is fine; another
/// user's token id answers `NotFound`, exactly like a missing one.
pub async fn revoke(state: &AppState, user_id: i64, id: i64) -> Result<Token, ServiceError> {
    let token = tokens::revoke(&state.db, user_id, id, state.now())
        .await?
        .ok_or(ServiceError::NotFound)?;
    tracing::info!(user_id, token_id = id, "personal access token revoked");
    Ok(token)
}

/// Revokes any user's token (the command line, and later the Admin Area).
pub async fn revoke_any(state: &AppState, id: i64) -> Result<Token, ServiceError> {
    let token = tokens::find(&state.db, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    revoke(state, token.user_id, id).await
}
