//! Addresses refused after repeated failed Git authentications
//! (`AttemptLimit::GIT_HTTP_ADDRESS`). Kept in memory per instance and
//! bounded. Each authentication from an address is reserved before its
//! credentials are checked, so a burst from one address gets at most the
//! limit checked before the ban.

use crate::domain::lockout::{AttemptLimit, Attempts, Outcome, Refused};
use crate::server::clock::Clock;
use crate::server::slots::until_a_slot;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

const MAX_ENTRIES: usize = 100_000;
const LIMIT: AttemptLimit = AttemptLimit::GIT_HTTP_ADDRESS;

#[derive(Debug, Default)]
pub struct AddressBans {
    entries: Mutex<HashMap<IpAddr, Attempts>>,
}

/// Why an address may not authenticate now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRefused {
    Banned {
        until: i64,
    },
    /// Every slot stayed held by authentications still being checked.
    Busy,
}

impl AddressBans {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Attempts>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Until when `ip` is refused, if it is now.
    pub fn banned_until(&self, ip: IpAddr, now: i64) -> Option<i64> {
        self.entries()
            .get(&ip)
            .and_then(|e| e.locked_until)
            .filter(|until| *until > now)
    }

    fn try_reserve(&self, ip: IpAddr, now: i64) -> Result<(), Refused> {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| !LIMIT.is_spent(e, now));
        }
        let entry = entries.entry(ip).or_default();
        *entry = LIMIT.reserve(*entry, now)?;
        Ok(())
    }

    fn settle(&self, ip: IpAddr, outcome: Outcome, now: i64) {
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(&ip) else {
            return;
        };
        let (after, lock) = LIMIT.settle(*entry, outcome, now);
        if outcome == Outcome::Wrong && lock == Some(now + LIMIT.lock_seconds) {
            tracing::warn!(%ip, "address refused for an hour after failed Git authentications");
        }
        *entry = after;
    }

    /// Reserves one authentication from `ip`, waiting briefly while every
    /// slot is held by others from the same address.
    pub async fn reserve(
        self: &Arc<Self>,
        ip: IpAddr,
        clock: Arc<dyn Clock>,
    ) -> Result<AddressAttempt, AddressRefused> {
        let reserved = until_a_slot(|| {
            std::future::ready(Ok::<_, Infallible>(self.try_reserve(ip, clock.now())))
        })
        .await;
        match reserved {
            Ok(Ok(())) => Ok(AddressAttempt {
                bans: self.clone(),
                ip,
                clock,
                settled: false,
            }),
            Ok(Err(Refused::Locked { until })) => Err(AddressRefused::Banned { until }),
            Ok(Err(Refused::Full)) => Err(AddressRefused::Busy),
            Err(never) => match never {},
        }
    }
}

/// One reserved authentication from an address. A success gives the slot
/// back without clearing the address's failures (another client behind it
/// may be the one guessing); dropped unsettled, it counts as a failure.
#[derive(Debug)]
#[must_use = "settle the attempt with what the check found"]
pub struct AddressAttempt {
    bans: Arc<AddressBans>,
    ip: IpAddr,
    clock: Arc<dyn Clock>,
    settled: bool,
}

impl AddressAttempt {
    /// The credentials were refused.
    pub fn failed(mut self) {
        self.finish(Outcome::Wrong);
    }

    /// The credentials were accepted, or never checked.
    pub fn release(mut self) {
        self.finish(Outcome::Unchecked);
    }

    fn finish(&mut self, outcome: Outcome) {
        self.settled = true;
        self.bans.settle(self.ip, outcome, self.clock.now());
    }
}

impl Drop for AddressAttempt {
    fn drop(&mut self) {
        if !self.settled {
            self.finish(Outcome::Wrong);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::clock::ManualClock;

    #[tokio::test]
    async fn the_tenth_failure_in_a_minute_bans_for_an_hour() {
        let bans = Arc::new(AddressBans::default());
        let clock = ManualClock::at(100);
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for _ in 0..9 {
            bans.reserve(ip, Arc::new(clock.clone()))
                .await
                .unwrap()
                .failed();
            clock.advance(1);
        }
        assert_eq!(bans.banned_until(ip, 109), None);
        bans.reserve(ip, Arc::new(clock.clone()))
            .await
            .unwrap()
            .failed();
        assert_eq!(bans.banned_until(ip, 3_708), Some(3_709));
        assert_eq!(bans.banned_until(ip, 3_709), None);
        assert_eq!(bans.banned_until(other, 200), None);
        assert_eq!(
            bans.reserve(ip, Arc::new(clock.clone())).await.unwrap_err(),
            AddressRefused::Banned { until: 3_709 }
        );
    }

    #[tokio::test]
    async fn successes_give_their_slot_back_and_abandoned_checks_count() {
        let bans = Arc::new(AddressBans::default());
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::at(100));
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..50 {
            bans.reserve(ip, clock.clone()).await.unwrap().release();
        }
        for _ in 0..10 {
            drop(bans.reserve(ip, clock.clone()).await.unwrap());
        }
        assert_eq!(bans.banned_until(ip, 100), Some(3_700));
    }
}
