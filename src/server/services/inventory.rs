//! The credentials inventory: every user's tokens (personal and
//! impersonation) for administrators, narrowed as
//! `domain::token::InventoryQuery` asks, and revoked in bulk once an
//! administrator confirms how many.

use super::audit::Actor;
use super::tokens::{narrow_to_state, set_token_revoked};
use super::{Conflict, ServiceError};
use crate::domain::account::unique_key;
use crate::domain::ids::UserId;
use crate::domain::token::InventoryQuery;
use crate::server::db::tokens::{self, Token, TokenFilter};
use crate::server::db::users;
use crate::server::state::Core;
use std::collections::BTreeMap;

/// A token as the inventory lists it: with its owner's username.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub token: Token,
    pub owner: String,
}

/// Tokens revoked per round of a bulk revocation.
const REVOKE_BATCH: i64 = 500;

/// The listing filter `query` stands for at `now`; `None` when it names
/// an owner who does not exist (nothing matches).
async fn filter_of(
    state: &Core,
    query: &InventoryQuery,
    now: i64,
) -> Result<Option<TokenFilter>, ServiceError> {
    let user_id = match &query.owner {
        None => None,
        Some(owner) => match users::find_by_username_key(&state.db, &unique_key(owner)).await? {
            Some(user) => Some(user.id),
            None => return Ok(None),
        },
    };
    let mut filter = TokenFilter {
        user_id,
        with_impersonation: true,
        scope: query.scope,
        unused_since: query.unused_for_days.map(|days| now - days * 86_400),
        ..Default::default()
    };
    narrow_to_state(&mut filter, query.state, now);
    if let Some(days) = query.expiring_within_days {
        filter.active_at = Some((true, now));
        let before = now + days * 86_400;
        filter.expires.before = Some(filter.expires.before.map_or(before, |b| b.min(before)));
    }
    Ok(Some(filter))
}

/// One page of the tokens `query` matches, newest first, and how many
/// match in all.
pub async fn page(
    state: &Core,
    query: &InventoryQuery,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Listed>, i64), ServiceError> {
    let Some(filter) = filter_of(state, query, state.now()).await? else {
        return Ok((Vec::new(), 0));
    };
    let (found, total) = tokens::page(&state.db, &filter, true, offset, limit).await?;
    let mut ids: Vec<UserId> = found.iter().map(|t| t.user_id).collect();
    ids.sort();
    ids.dedup();
    let owners: BTreeMap<UserId, String> = users::find_many_with(&state.db.pool, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let listed = found
        .into_iter()
        .map(|token| Listed {
            owner: owners.get(&token.user_id).cloned().unwrap_or_default(),
            token,
        })
        .collect();
    Ok((listed, total))
}

/// The active tokens among those `query` matches at `now` (what a bulk
/// revocation revokes), and how many; `None`: an owner who does not exist.
async fn active_filter(
    state: &Core,
    query: &InventoryQuery,
    now: i64,
) -> Result<Option<(TokenFilter, i64)>, ServiceError> {
    let Some(mut filter) = filter_of(state, query, now).await? else {
        return Ok(None);
    };
    filter.active_at = Some((true, now));
    let count = tokens::page(&state.db, &filter, true, 0, 0).await?.1;
    Ok(Some((filter, count)))
}

/// The active tokens among those `query` matches: what a bulk revocation
/// would revoke.
pub async fn active_matching(state: &Core, query: &InventoryQuery) -> Result<i64, ServiceError> {
    Ok(active_filter(state, query, state.now())
        .await?
        .map_or(0, |(_, count)| count))
}

/// Revokes every active token `query` matches, each on the record as
/// `actor`'s doing and mailed to its owner, provided `confirmed` is how
/// many match now (else nothing, `Conflict::MatchingChanged`). Returns how
/// many this call revoked (not those revoked meanwhile by someone else).
pub async fn revoke_matching(
    state: &Core,
    actor: &Actor,
    query: &InventoryQuery,
    confirmed: i64,
) -> Result<i64, ServiceError> {
    let found = active_filter(state, query, state.now()).await?;
    let matching = found.as_ref().map_or(0, |(_, count)| *count);
    if matching != confirmed {
        return Err(Conflict::MatchingChanged {
            confirmed,
            matching,
        }
        .into());
    }
    let Some((mut filter, _)) = found.filter(|_| matching > 0) else {
        return Ok(0);
    };
    let mut revoked = 0;
    loop {
        let (batch, more) = tokens::keyset(&state.db, &filter, false, REVOKE_BATCH).await?;
        for token in &batch {
            match set_token_revoked(state, actor, token.id, true).await {
                Ok(_) => revoked += 1,
                // Revoked or deleted meanwhile: nothing left to do.
                Err(ServiceError::NotFound | ServiceError::Conflict(Conflict::AlreadyRevoked)) => {}
                Err(e) => return Err(e),
            }
        }
        match (batch.last(), more) {
            (Some(last), true) => filter.ids.after = Some(last.id.get()),
            _ => break,
        }
    }
    tracing::info!(actor = %actor.name, revoked, "tokens revoked from the credentials inventory");
    Ok(revoked)
}
