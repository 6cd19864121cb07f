//! Every check of a user's secret goes through here: the attempt is
//! reserved before the secret is checked and settled after
//! (`domain::lockout`), so a synchronized burst gets no more secrets checked
//! than the limit allows.

use super::ServiceError;
use crate::domain::ids::UserId;
use crate::domain::lockout::{AttemptLimit, Outcome, Refused};
use crate::server::clock::Clock;
use crate::server::db::attempts::{self, Counter};
use crate::server::db::Db;
use crate::server::slots::until_a_slot;
use crate::server::state::Core;
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
