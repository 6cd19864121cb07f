//! The daily jobs (rules in `domain::expiry`): expiry notices (60, 30 and
//! 7 days ahead at 01:00 UTC, the day itself at 02:00 UTC) and the purge of revoked tokens. Every server instance runs a
//! scheduler (`server::jobs`); a lease in the database makes each job run once a day across
//! instances. Operators run a job by hand with `forgekey jobs run`.
//!
//! Notices go out in batches of owners, each batch one transaction that
//! marks the tokens notified and queues the mail together: a crash loses
//! at most an uncommitted batch, which the next run sends, once.

use super::{audit, mail, settings, ServiceError};
use crate::domain::expiry::{self, Job};
use crate::domain::ids::UserId;
use crate::domain::instant::date_of;
use crate::domain::lifetime::iso;
use crate::domain::token;
use crate::server::db::tokens::{self, Notice, Token, UnusedStep};
use crate::server::db::{jobs as leases, users};
use crate::server::state::Core;
use rand::RngCore;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A lease outlives any run; a crashed holder's lease runs out after it.
const LEASE_SECONDS: i64 = 30 * 60;
/// Revoked tokens deleted per statement.
const PURGE_BATCH: i64 = 5_000;

/// How a run proceeds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Owners per batch (one transaction, one mail each).
    pub batch_owners: i64,
    /// Simulates a crash in the middle of this batch (0-based): its tokens
    /// are marked and its mail queued, then the transaction is dropped.
    /// For tests of what a crash leaves behind.
    pub crash_in_batch: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            batch_owners: 500,
            crash_in_batch: None,
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub mails: u64,
    pub tokens: u64,
    pub deleted: u64,
    /// Tokens revoked (unused for too long).
    pub revoked: u64,
}

/// Runs `job` now (at the state's clock), without any lease.
pub async fn run(state: &Core, job: Job, limits: Limits) -> Result<Report, ServiceError> {
    match (job, Notice::of(job)) {
        (_, Some(notice)) => notify(state, job, notice, limits).await,
        (Job::RevokeUnused, None) => revoke_unused(state, limits).await,
        (_, None) => purge(state).await,
    }
}

/// Warns owners of tokens about to be revoked for disuse, and revokes
/// those warned a week ago and still unused (`domain::expiry::Unused`), in
/// batches: each one transaction that marks or revokes its tokens, writes
/// the audit records and queues one mail per owner.
async fn revoke_unused(state: &Core, limits: Limits) -> Result<Report, ServiceError> {
    let days = settings::current(state).await?.unused_token_revoke_days;
    let now = state.now();
    let Some(rule) = expiry::Unused::at(now, days) else {
        return Ok(Report::default());
    };
    let base = mail::base_url(state);
    let actor = audit::Actor {
        id: None,
        name: "unused token revocation".to_owned(),
        acted_as: None,
        address: None,
    };
    let mut report = Report::default();
    for step in [UnusedStep::Revoke, UnusedStep::Warn] {
        loop {
            let mut tx = state.db.begin_write().await?;
            let claimed =
                tokens::claim_unused(&mut *tx, step, &rule, now, limits.batch_owners).await?;
            if claimed.is_empty() {
                tx.rollback().await?;
                break;
            }
            let mut by_owner: BTreeMap<UserId, Vec<&Token>> = BTreeMap::new();
            for t in &claimed {
                by_owner.entry(t.user_id).or_default().push(t);
            }
            let ids: Vec<UserId> = by_owner.keys().copied().collect();
            for owner in users::find_many_with(&mut *tx, &ids).await? {
                let Some(owned) = by_owner.get(&owner.id) else {
                    continue;
                };
                let mail = match step {
                    UnusedStep::Warn => {
                        let on = date_of(now + expiry::UNUSED_WARNING_DAYS * 86_400);
                        mail::unused_warning(&owner, owned, days, on, &base)
                    }
                    UnusedStep::Revoke => {
                        for t in owned {
                            let event = audit::Event::new(audit::Action::TokenRevokedAsUnused)
                                .on_user(&owner)
                                .on_token(t)
                                .details(format!("unused for {days} days"));
                            audit::record(&mut *tx, &actor, event, now).await?;
                        }
                        mail::revoked_unused(&owner, owned, days, &base)
                    }
                };
                mail::queue(&mut *tx, &mail, now).await?;
                report.mails += 1;
            }
            tx.commit().await?;
            match step {
                UnusedStep::Warn => report.tokens += claimed.len() as u64,
                UnusedStep::Revoke => {
                    report.revoked += claimed.len() as u64;
                    for t in &claimed {
                        state.token_cache.forget_token(t.id);
                    }
                }
            }
        }
    }
    tracing::info!(
        days,
        warned = report.tokens,
        revoked = report.revoked,
        "unused tokens warned of and revoked"
    );
    Ok(report)
}

async fn notify(
    state: &Core,
    job: Job,
    notice: Notice,
    limits: Limits,
) -> Result<Report, ServiceError> {
    let now = state.now();
    let Some((first_day, last_day)) = job.expiry_dates(date_of(now)) else {
        return Ok(Report::default());
    };
    let range = (
        token::expires_at(first_day).unix_timestamp(),
        token::expires_at(last_day).unix_timestamp(),
    );
    let base = mail::base_url(state);
    let mut report = Report::default();
    let mut after = 0;
    for batch in 0.. {
        let owners = tokens::owners_due(
            &state.db,
            notice,
            range.0,
            range.1,
            after,
            limits.batch_owners,
        )
        .await?;
        let (Some(&first), Some(&last)) = (owners.first(), owners.last()) else {
            break;
        };
        let mut tx = state.db.begin_write().await?;
        let marked = tokens::mark_notified(&mut *tx, notice, range, (first, last), now).await?;
        let mut by_owner: BTreeMap<UserId, Vec<&Token>> = BTreeMap::new();
        for t in &marked {
            by_owner.entry(t.user_id).or_default().push(t);
        }
        let ids: Vec<UserId> = by_owner.keys().copied().collect();
        let mut mails = 0;
        for owner in users::find_many_with(&mut *tx, &ids).await? {
            let Some(owned) = by_owner.get_mut(&owner.id) else {
                continue;
            };
            owned.sort_by_key(|t| (t.expires_at, t.id));
            mail::queue(&mut *tx, &mail::expiring(&owner, owned, notice, &base), now).await?;
            mails += 1;
        }
        if limits.crash_in_batch == Some(batch) {
            drop(tx);
            tracing::error!(
                job = job.name(),
                batch,
                "simulated crash in the middle of a batch"
            );
            return Err(ServiceError::Internal);
        }
        tx.commit().await?;
        report.mails += mails;
        report.tokens += marked.len() as u64;
        after = last;
    }
    tracing::info!(
        job = job.name(),
        mails = report.mails,
        tokens = report.tokens,
        "expiry notices sent"
    );
    Ok(report)
}

async fn purge(state: &Core) -> Result<Report, ServiceError> {
    let retention = settings::current(state).await?.revoked_token_retention_days;
    let before = expiry::purge_before(state.now(), retention);
    let mut report = Report::default();
    loop {
        let deleted = tokens::purge_revoked(&state.db, before, PURGE_BATCH).await?;
        report.deleted += deleted;
        if deleted < PURGE_BATCH as u64 {
            break;
        }
    }
    tracing::info!(deleted = report.deleted, retention, "revoked tokens purged");
    // Password reset links a day past their expiry mean nothing any more
    // (not counted: the report counts tokens).
    let links = crate::server::db::password_resets::purge(&state.db, state.now() - 86_400).await?;
    tracing::info!(deleted = links, "expired password reset links purged");
    // Yesterday's refusals, and the addresses of token families gone.
    let addresses = super::addresses::prune(state).await?;
    tracing::info!(deleted = addresses, "address records purged");
    Ok(report)
}

/// Who holds a lease: one random name per process.
/// Gives back the leases of `holder`, an instance shutting down in the
/// middle of a job, so that another instance can run it at once instead
/// of after the lease runs out. (Its work so far is committed batch by
/// batch; the job picks up where it stopped.)
pub async fn release_leases(state: &Core, holder: &str) -> Result<u64, ServiceError> {
    Ok(leases::release_all(&state.db, holder).await?)
}

pub fn holder_name() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn today_of(now: i64) -> String {
    iso(date_of(now))
}

/// Runs `job` if it is due and no other instance runs it; `None` when it
/// was not this instance's to run.
pub async fn run_if_due(
    state: &Core,
    job: Job,
    holder: &str,
) -> Result<Option<Report>, ServiceError> {
    let now = state.now();
    let last = leases::last_day(&state.db, job.name()).await?;
    let last = last.and_then(|d| {
        time::Date::parse(
            &d,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
    });
    let at = OffsetDateTime::from_unix_timestamp(now).map_err(|_| ServiceError::Internal)?;
    if job.due(at, last).is_none() {
        return Ok(None);
    }
    run_leased(state, job, holder, false, Limits::default()).await
}

/// Runs `job` now under the lease (an operator's run: whether or not it
/// already ran today); `None` when another instance is running it.
pub async fn run_now(
    state: &Core,
    job: Job,
    holder: &str,
    limits: Limits,
) -> Result<Option<Report>, ServiceError> {
    run_leased(state, job, holder, true, limits).await
}

async fn run_leased(
    state: &Core,
    job: Job,
    holder: &str,
    force: bool,
    limits: Limits,
) -> Result<Option<Report>, ServiceError> {
    let now = state.now();
    let day = today_of(now);
    let claimed = leases::claim(
        &state.db,
        job.name(),
        holder,
        now,
        now + LEASE_SECONDS,
        &day,
        force,
    )
    .await?;
    if !claimed {
        return Ok(None);
    }
    match run(state, job, limits).await {
        Ok(report) => {
            leases::finish(&state.db, job.name(), holder, &day).await?;
            Ok(Some(report))
        }
        Err(e) => {
            leases::release(&state.db, job.name(), holder).await?;
            Err(e)
        }
    }
}
