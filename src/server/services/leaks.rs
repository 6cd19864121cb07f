//! Reports of leaked tokens: whoever finds a secret in public (a secret
//! scanner, a colleague reading a paste) may have it revoked without
//! signing in, as GitHub's credential revocation API allows. The answer is
//! the same whether or not a secret existed, so a report teaches nothing;
//! owners are mailed (one mail each per report) and every revocation is on
//! the record.

use super::audit::{self, Action, Actor, Event};
use super::tokens::digest;
use super::{attempts, mail, ServiceError};
use crate::domain::ids::UserId;
use crate::domain::quota::HourlyQuota;
use crate::domain::token::{recognize, Recognized, TokenDigest};
use crate::server::db::tokens::{self, Token};
use crate::server::db::users;
use crate::server::state::Core;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// The most secrets one report may name.
pub const MAX_SECRETS: usize = 1_000;

/// Reports an address may make an hour (each of up to [`MAX_SECRETS`]).
pub const REPORTS_PER_ADDRESS_PER_HOUR: u32 = 60;

/// The name leak reports go by in the audit log (they have no account).
pub const REPORTER: &str = "leak report";

/// Why a report was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum NotTaken {
    /// No secret, or more than [`MAX_SECRETS`].
    Count,
    /// The address has made its reports for the hour.
    TooMany,
    Failed(ServiceError),
}

impl From<ServiceError> for NotTaken {
    fn from(e: ServiceError) -> Self {
        Self::Failed(e)
    }
}

/// Revokes every active token among `secrets` reported from `address`
/// and mails each owner once. Returns how many were revoked (for the
/// record and the tests: callers must not tell the reporter). Strings
/// that cannot be secrets are dropped by shape and checksum before any
/// query.
pub async fn report(
    state: &Core,
    address: Option<IpAddr>,
    secrets: &[String],
) -> Result<usize, NotTaken> {
    if secrets.is_empty() || secrets.len() > MAX_SECRETS {
        return Err(NotTaken::Count);
    }
    let quota = HourlyQuota::per_hour(REPORTS_PER_ADDRESS_PER_HOUR);
    if !attempts::take_leak_report(state, address, quota).await? {
        return Err(NotTaken::TooMany);
    }
    // Each distinct secret once, those that cannot be one dropped by their
    // shape and checksum; then one query per 500.
    let digests: Vec<TokenDigest> = secrets
        .iter()
        .map(|s| s.trim())
        .filter(|s| recognize(s) == Recognized::Secret)
        .collect::<BTreeSet<&str>>()
        .into_iter()
        .map(|s| digest(state, s))
        .collect();
    let mut by_owner: BTreeMap<UserId, Vec<Token>> = BTreeMap::new();
    let found = tokens::find_by_digests(&state.db, &digests)
        .await
        .map_err(ServiceError::from)?;
    let now = state.now();
    for token in found {
        if token.revocable(now) {
            by_owner.entry(token.user_id).or_default().push(token);
        }
    }
    let actor = Actor {
        id: None,
        name: REPORTER.to_owned(),
        acted_as: None,
        address,
    };
    let mut revoked = 0;
    for (owner_id, reported) in by_owner {
        revoked += revoke_for_owner(state, &actor, owner_id, &reported).await?;
    }
    tracing::info!(
        address = ?address,
        named = secrets.len(),
        revoked,
        "leaked tokens reported"
    );
    Ok(revoked)
}

/// Revokes one owner's reported tokens with their audit rows and one mail,
/// in one transaction; a token revoked meanwhile is left out.
async fn revoke_for_owner(
    state: &Core,
    actor: &Actor,
    owner_id: UserId,
    reported: &[Token],
) -> Result<usize, ServiceError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let owner = users::find_by_id_with(&mut *tx, owner_id).await?;
    let mut revoked = Vec::new();
    for token in reported {
        if let Some(token) = tokens::set_revoked(&mut *tx, token.id, Some(now)).await? {
            let mut event = Event::new(Action::TokenRevokedAsLeaked).on_token(&token);
            if let Some(owner) = &owner {
                event = event.on_user(owner);
            }
            audit::record(&mut *tx, actor, event, now).await?;
            revoked.push(token);
        }
    }
    if let (Some(owner), false) = (&owner, revoked.is_empty()) {
        let listed: Vec<&Token> = revoked.iter().collect();
        let message = mail::leaked(owner, &listed, &mail::base_url(state));
        mail::queue(&mut *tx, &message, now).await?;
    }
    tx.commit().await?;
    for token in &revoked {
        state.token_cache.forget_token(token.id);
    }
    Ok(revoked.len())
}
