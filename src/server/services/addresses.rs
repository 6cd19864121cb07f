//! Where tokens are used from (issue 22): a token's allow list enforced
//! on every surface (REST, GraphQL, Git over HTTP, the registry), a
//! request from elsewhere refused and its owner told once per address per
//! day, and the first use of a token (or any of its rotations) from an
//! address not seen before mailed to its owner and put on the record.
//!
//! Both run on the request path, but a database write happens only the
//! first time this instance sees a token family with an address (or a
//! refused address on a day): memory answers the rest, and a write that
//! fails is forgotten (to be tried on the next use), never failing the
//! request it came with.

use super::audit::{self, Action, Actor, Event};
use super::mail::{self, Mail};
use super::ServiceError;
use crate::domain::ids::TokenId;
use crate::domain::network::canonical;
use crate::paths;
use crate::server::db::addresses;
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use crate::server::log_limit::LogLimit;
use crate::server::state::Core;
use crate::server::token_cache::Authenticated;
use quick_cache::sync::Cache;
use std::net::IpAddr;

/// At most this many "used from a new address" mails per token family and
/// UTC day: a leaked token tried from a botnet fills the audit log, not
/// its owner's inbox.
pub const NEW_ADDRESS_MAILS_PER_DAY: i64 = 10;

/// What this instance already wrote: (family, address) pairs seen, and
/// (token, address, day) refusals recorded. Bounded; forgetting one costs
/// an insert that changes nothing.
#[derive(Debug)]
pub struct AddressMemory {
    seen: Cache<(TokenId, IpAddr), ()>,
    refused: Cache<(TokenId, IpAddr, i64), ()>,
}

impl Default for AddressMemory {
    fn default() -> Self {
        Self {
            seen: Cache::new(100_000),
            refused: Cache::new(10_000),
        }
    }
}

fn day_of(now: i64) -> i64 {
    now.div_euclid(86_400)
}

/// Whether `auth`'s token may be used from `address`
/// (`domain::network::AllowList::permits`). A refusal is
/// `InvalidCredentials`, the answer of a wrong token (401 on every
/// surface), and is recorded: the audit log and a mail to the owner, once
/// per token, address and day.
pub async fn admit(
    state: &Core,
    auth: &Authenticated,
    address: Option<IpAddr>,
) -> Result<(), ServiceError> {
    if auth.token.allowed_ips.permits(address) {
        return Ok(());
    }
    metrics::counter!("forgekey_token_address_refusals_total").increment(1);
    if let Some(ip) = address.map(canonical) {
        let key = (auth.token.id, ip, day_of(state.now()));
        if state.addresses.refused.get(&key).is_none() {
            state.addresses.refused.insert(key, ());
            if let Err(e) = record_refusal(state, &auth.token, &auth.user, ip).await {
                state.addresses.refused.remove(&key);
                warn_once(&e, "could not record a refused token use");
            }
        }
    }
    Err(ServiceError::InvalidCredentials)
}

async fn record_refusal(
    state: &Core,
    token: &Token,
    owner: &User,
    ip: IpAddr,
) -> Result<(), ServiceError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let address = ip.to_string();
    if !addresses::note_refusal(&mut *tx, token.id, &address, day_of(now)).await? {
        tx.rollback().await?;
        return Ok(());
    }
    let actor = Actor {
        id: None,
        name: "a client outside the token's allowed addresses".to_owned(),
        acted_as: None,
        address: Some(ip),
    };
    let event = Event::new(Action::TokenRefusedFromAddress)
        .on_user(owner)
        .on_token(token)
        .details(format!("from {address}, not in {}", token.allowed_ips));
    audit::record(&mut *tx, &actor, event, now).await?;
    let mail = refused_mail(owner, token, &address, now, &mail::base_url(state));
    mail::queue(&mut *tx, &mail, now).await?;
    tx.commit().await?;
    tracing::warn!(
        user_id = %owner.id,
        token_id = %token.id,
        address = %address,
        "a token was presented from outside its allowed addresses"
    );
    Ok(())
}

/// Notes a use of `auth`'s token from `address`: when it was last used
/// (`UsageRecorder`), and, the first time its family is seen from that
/// address, an audit row and a mail to its owner.
pub async fn note_use(state: &Core, auth: &Authenticated, address: Option<IpAddr>) {
    let now = state.now();
    state.usage.note(&state.db, &auth.token, now, address);
    let Some(ip) = address.map(canonical) else {
        return;
    };
    let key = (auth.token.family_id, ip);
    if state.addresses.seen.get(&key).is_some() {
        return;
    }
    // Marked first, so requests arriving together write once.
    state.addresses.seen.insert(key, ());
    if let Err(e) = record_new_address(state, &auth.token, &auth.user, ip, now).await {
        state.addresses.seen.remove(&key);
        warn_once(&e, "could not record where a token was used from");
    }
}

async fn record_new_address(
    state: &Core,
    token: &Token,
    owner: &User,
    ip: IpAddr,
    now: i64,
) -> Result<(), ServiceError> {
    let address = ip.to_string();
    let mut tx = state.db.begin_write().await?;
    if !addresses::remember(&mut *tx, token.family_id, &address, now).await? {
        tx.rollback().await?;
        return Ok(());
    }
    let event = Event::new(Action::TokenUsedFromNewAddress)
        .on_user(owner)
        .on_token(token)
        .details(format!("first use from {address}"));
    let actor = Actor::user(owner).from(Some(ip));
    audit::record(&mut *tx, &actor, event, now).await?;
    let today = day_of(now) * 86_400;
    let mailed_today = addresses::count_new_since(&mut *tx, token.family_id, today).await?;
    if mailed_today <= NEW_ADDRESS_MAILS_PER_DAY {
        let mail = new_address_mail(owner, token, &address, now, &mail::base_url(state));
        mail::queue(&mut *tx, &mail, now).await?;
    }
    tx.commit().await?;
    tracing::info!(
        user_id = %owner.id,
        token_id = %token.id,
        address = %address,
        "a token was used from a new address"
    );
    Ok(())
}

/// Forgets refusals older than a day and the addresses of token families
/// that no longer exist (part of the daily jobs).
pub async fn prune(state: &Core) -> Result<u64, ServiceError> {
    Ok(addresses::prune(&state.db, day_of(state.now()) - 1).await?)
}

fn warn_once(e: &ServiceError, what: &'static str) {
    static LINES: LogLimit = LogLimit::every(10);
    LINES.now(|held_back| tracing::warn!(error = %e, held_back, "{what}"));
}

fn kind(token: &Token) -> &'static str {
    if token.impersonation {
        "impersonation token"
    } else {
        "personal access token"
    }
}

/// Tells `owner` that `token` was used from `address` for the first time.
pub fn new_address_mail(owner: &User, token: &Token, address: &str, now: i64, base: &str) -> Mail {
    let kind = kind(token);
    Mail {
        to: owner.email.clone(),
        subject: format!("Your {kind} was used from a new address"),
        body: format!(
            "Hello {name},\n\n\
             Your {kind} \"{token_name}\" was used from {address} at {when}, the first time \
             from that address.\n\n\
             If that was you or a tool of yours, there is nothing to do. If not, its secret may \
             have leaked: revoke it at once at:\n{base}{tokens_path}\n",
            name = owner.username,
            token_name = token.name,
            when = crate::domain::instant::date_time(now),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// Tells `owner` that a request with `token` came from `address`, outside
/// its allowed addresses, and was refused.
pub fn refused_mail(owner: &User, token: &Token, address: &str, now: i64, base: &str) -> Mail {
    let kind = kind(token);
    Mail {
        to: owner.email.clone(),
        subject: format!("A request with your {kind} was refused"),
        body: format!(
            "Hello {name},\n\n\
             A request with your {kind} \"{token_name}\" came from {address} at {when}. The \
             token may only be used from {allowed}, so the request was refused. (You get this \
             mail once a day per address.)\n\n\
             If that was a tool of yours, allow its address in a new token. If not, the secret \
             has leaked: revoke the token at:\n{base}{tokens_path}\n",
            name = owner.username,
            token_name = token.name,
            allowed = token.allowed_ips.entries().join(", "),
            when = crate::domain::instant::date_time(now),
            tokens_path = paths::TOKENS,
        ),
    }
}
