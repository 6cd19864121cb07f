//! Every check of a user's secret goes through here: the attempt is
//! reserved before the secret is checked and settled after
//! (`domain::lockout`), so a synchronized burst gets no more secrets checked
//! than the limit allows.

use super::ServiceError;
use crate::domain::ids::UserId;
use crate::domain::lockout::{AttemptLimit, Attempts, Outcome, Refused};
use crate::server::clock::Clock;
use crate::server::db::attempts::{self, Counter};
use crate::server::db::Db;
use crate::server::slots::until_a_slot;
use crate::server::state::Core;
use std::net::IpAddr;
use std::sync::Arc;

/// Why no attempt may be made now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotNow {
    Locked { until: i64 },
    Failed(ServiceError),
}

impl From<sqlx::Error> for NotNow {
    fn from(e: sqlx::Error) -> Self {
        Self::Failed(e.into())
    }
}

fn limit_of(counter: Counter) -> AttemptLimit {
    match counter {
        Counter::Password => AttemptLimit::SIGN_IN,
        Counter::SecondStep => AttemptLimit::SECOND_STEP,
    }
}

/// One reserved attempt. Settle it with what the check found; dropped
/// unsettled (the request was abandoned mid-check), it counts as wrong.
#[derive(Debug)]
#[must_use = "settle the attempt with what the check found"]
pub struct Attempt {
    db: Db,
    clock: Arc<dyn Clock>,
    counter: Counter,
    user_id: UserId,
    settled: bool,
}

/// Reserves an attempt at user `user_id`'s secret, waiting briefly while
/// every slot is held by attempts still being checked.
pub async fn reserve(state: &Core, counter: Counter, user_id: UserId) -> Result<Attempt, NotNow> {
    let limit = limit_of(counter);
    let reserved = until_a_slot(|| async {
        let now = state.now();
        attempts::change(&state.db, counter, user_id, |before| {
            match limit.reserve(before, now) {
                Ok(after) => (after, Ok(())),
                Err(refused) => (before, Err(refused)),
            }
        })
        .await?
        .ok_or(NotNow::Failed(ServiceError::NotFound))
    })
    .await?;
    match reserved {
        Ok(()) => Ok(Attempt {
            db: state.db.clone(),
            clock: state.clock.clone(),
            counter,
            user_id,
            settled: false,
        }),
        Err(Refused::Locked { until }) => Err(NotNow::Locked { until }),
        Err(Refused::Full) => Err(NotNow::Failed(ServiceError::Busy)),
    }
}

async fn settle_now(
    db: &Db,
    clock: &dyn Clock,
    counter: Counter,
    user_id: UserId,
    outcome: Outcome,
) -> Result<Option<i64>, sqlx::Error> {
    let limit = limit_of(counter);
    let now = clock.now();
    let lock = attempts::change(db, counter, user_id, |before| {
        limit.settle(before, outcome, now)
    })
    .await?
    .flatten();
    if outcome == Outcome::Wrong && lock.is_some_and(|until| until == now + limit.lock_seconds) {
        tracing::warn!(user_id = %user_id, ?counter, "locked after repeated wrong secrets");
    }
    Ok(lock)
}

impl Attempt {
    /// Records how the check ended; for a wrong secret, the lock in force
    /// after it, if any.
    pub async fn settle(mut self, outcome: Outcome) -> Result<Option<i64>, ServiceError> {
        self.settled = true;
        Ok(settle_now(
            &self.db,
            self.clock.as_ref(),
            self.counter,
            self.user_id,
            outcome,
        )
        .await?)
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime left (shutting down): the reservation lapses with
            // its lease.
            return;
        };
        let (db, clock, counter, user_id) = (
            self.db.clone(),
            self.clock.clone(),
            self.counter,
            self.user_id,
        );
        runtime.spawn(async move {
            if let Err(e) = settle_now(&db, clock.as_ref(), counter, user_id, Outcome::Wrong).await
            {
                tracing::error!(error = %e, user_id = %user_id, "cannot settle an abandoned attempt");
            }
        });
    }
}

/// Why an address may not authenticate now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressRefused {
    Banned {
        until: i64,
    },
    /// Every slot stayed held by checks still running, or the database
    /// could not say.
    Failed(ServiceError),
}

impl From<sqlx::Error> for AddressRefused {
    fn from(e: sqlx::Error) -> Self {
        Self::Failed(e.into())
    }
}

const ADDRESS_LIMIT: AttemptLimit = AttemptLimit::GIT_HTTP_ADDRESS;
/// Address rows untouched this long and holding no ban are deleted.
const ADDRESS_ROW_IDLE_SECONDS: i64 = 86_400;

/// Until when `ip` is refused, if it is now (banned by any instance).
pub async fn address_banned_until(state: &Core, ip: IpAddr) -> Result<Option<i64>, ServiceError> {
    let now = state.now();
    let here = state.git.checks.banned_until(ip, now);
    let stored = attempts::address_state(&state.db, &ip.to_string())
        .await?
        .locked_until
        .filter(|until| *until > now);
    Ok(here.max(stored))
}

/// Reserves one authentication from `ip` (Git over HTTP) under the
/// address's limit: its failures and ban are shared by every instance
/// through the database (one limit for all); the checks in flight are
/// this instance's, so a synchronized burst spread over N instances gets
/// at most N times the limit checked before the ban. Waits briefly while
/// every slot is held.
pub async fn reserve_address(state: &Core, ip: IpAddr) -> Result<AddressAttempt, AddressRefused> {
    let address = ip.to_string();
    let reserved = until_a_slot(|| async {
        let stored = attempts::address_state(&state.db, &address).await?;
        Ok::<_, AddressRefused>(
            state
                .git
                .checks
                .reserve(ip, stored, state.now(), ADDRESS_LIMIT),
        )
    })
    .await?;
    match reserved {
        Ok(()) => Ok(AddressAttempt {
            db: state.db.clone(),
            clock: state.clock.clone(),
            checks: state.git.checks.clone(),
            ip,
            settled: false,
        }),
        Err(Refused::Locked { until }) => Err(AddressRefused::Banned { until }),
        Err(Refused::Full) => Err(AddressRefused::Failed(ServiceError::Busy)),
    }
}

/// One reserved authentication from an address. A success gives the slot
/// back without clearing the address's failures (another client behind it
/// may be the one guessing); dropped unsettled, it counts as a failure.
#[derive(Debug)]
#[must_use = "settle the attempt with what the check found"]
pub struct AddressAttempt {
    db: Db,
    clock: Arc<dyn Clock>,
    checks: Arc<crate::server::git::state::AddressChecks>,
    ip: IpAddr,
    settled: bool,
}

/// Counts one failure of `ip` in the database (for every instance).
async fn count_address_failure(db: &Db, clock: &dyn Clock, ip: IpAddr) -> Result<(), sqlx::Error> {
    let now = clock.now();
    let lock = attempts::change_address(db, &ip.to_string(), now, |stored| {
        // Settles as one check in flight would (the check was this
        // instance's; none is stored).
        let checked = Attempts {
            in_flight: 1,
            in_flight_until: Some(now + 1),
            ..stored
        };
        let (after, lock) = ADDRESS_LIMIT.settle(checked, Outcome::Wrong, now);
        (
            Attempts {
                in_flight: 0,
                in_flight_until: None,
                ..after
            },
            lock,
        )
    })
    .await?;
    if lock == Some(now + ADDRESS_LIMIT.lock_seconds) {
        // A good moment to drop rows no one uses any more.
        attempts::purge_addresses(db, now - ADDRESS_ROW_IDLE_SECONDS, now).await?;
    }
    Ok(())
}

impl AddressAttempt {
    /// Records how the check ended: `Wrong` for refused credentials
    /// (counted here at once, and in the database for every instance),
    /// `Unchecked` for accepted ones or none checked (nothing is written).
    pub async fn settle(mut self, outcome: Outcome) -> Result<(), ServiceError> {
        self.settled = true;
        self.settle_here(outcome);
        if outcome == Outcome::Wrong {
            count_address_failure(&self.db, self.clock.as_ref(), self.ip).await?;
        }
        Ok(())
    }

    fn settle_here(&self, outcome: Outcome) {
        let now = self.clock.now();
        let lock = self.checks.settle(self.ip, outcome, now, ADDRESS_LIMIT);
        if outcome == Outcome::Wrong && lock == Some(now + ADDRESS_LIMIT.lock_seconds) {
            tracing::warn!(ip = %self.ip, "address refused for an hour after failed Git authentications");
        }
    }
}

impl Drop for AddressAttempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        self.settle_here(Outcome::Wrong);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (db, clock, ip) = (self.db.clone(), self.clock.clone(), self.ip);
        runtime.spawn(async move {
            if let Err(e) = count_address_failure(&db, clock.as_ref(), ip).await {
                tracing::error!(error = %e, %ip, "cannot count an abandoned attempt");
            }
        });
    }
}

/// Takes one sign-up from `ip`'s quota, shared by every instance; false
/// when the address has used its share. Without a known address (not
/// served over TCP) nothing is limited.
pub async fn take_sign_up(
    state: &Core,
    ip: Option<IpAddr>,
    quota: crate::domain::quota::HourlyQuota,
) -> Result<bool, ServiceError> {
    take_quota(state, attempts::QuotaTable::SignUps, ip, quota).await
}

/// Takes one password reset request from `ip`'s quota, as
/// [`take_sign_up`] does sign-ups.
pub async fn take_password_reset(
    state: &Core,
    ip: Option<IpAddr>,
    quota: crate::domain::quota::HourlyQuota,
) -> Result<bool, ServiceError> {
    take_quota(state, attempts::QuotaTable::PasswordResets, ip, quota).await
}

/// Takes one report of leaked tokens from `ip`'s quota, as
/// [`take_sign_up`] does sign-ups.
pub async fn take_leak_report(
    state: &Core,
    ip: Option<IpAddr>,
    quota: crate::domain::quota::HourlyQuota,
) -> Result<bool, ServiceError> {
    take_quota(state, attempts::QuotaTable::LeakReports, ip, quota).await
}

async fn take_quota(
    state: &Core,
    table: attempts::QuotaTable,
    ip: Option<IpAddr>,
    quota: crate::domain::quota::HourlyQuota,
) -> Result<bool, ServiceError> {
    let Some(ip) = ip else {
        return Ok(true);
    };
    let now = state.now();
    Ok(
        attempts::take_quota(&state.db, table, &ip.to_string(), now, |stored| {
            quota.take(stored, now)
        })
        .await?,
    )
}
