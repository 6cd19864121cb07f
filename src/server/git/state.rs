//! What Git over HTTP keeps for the life of the server.

use crate::domain::lockout::{AttemptLimit, Attempts, Outcome, Refused};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where repositories live, and the authentications being checked now.
#[derive(Debug)]
pub struct GitState {
    pub repositories: PathBuf,
    pub checks: Arc<AddressChecks>,
}

impl GitState {
    pub fn new(repositories: PathBuf) -> Self {
        Self {
            repositories,
            checks: Arc::default(),
        }
    }
}

/// At most this many addresses are remembered.
const MAX_ADDRESSES: usize = 100_000;

/// This instance's view of each client address's authentications: the
/// checks in flight here, and the failures and ban as last known (its own
/// at once, other instances' as read from the database, which
/// `services::attempts` merges in before each check).
#[derive(Debug, Default)]
pub struct AddressChecks {
    entries: Mutex<HashMap<IpAddr, Attempts>>,
}

/// The stronger of two views of one address: the later ban, the more
/// failures that still count.
fn merge(mine: Attempts, stored: Attempts, limit: AttemptLimit, now: i64) -> Attempts {
    let locked_until = mine.locked_until.max(stored.locked_until);
    let (failures, window_start) =
        if limit.live_failures(&stored, now) > limit.live_failures(&mine, now) {
            (stored.failures, stored.window_start)
        } else {
            (mine.failures, mine.window_start)
        };
    Attempts {
        failures,
        window_start,
        locked_until,
        ..mine
    }
}

impl AddressChecks {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Attempts>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Until when this instance knows `ip` to be banned.
    pub fn banned_until(&self, ip: IpAddr, now: i64) -> Option<i64> {
        self.map()
            .get(&ip)
            .and_then(|e| e.locked_until)
            .filter(|until| *until > now)
    }

    /// Reserves a check from `ip` under `limit`, given what the database
    /// holds of the address (`stored`).
    pub fn reserve(
        &self,
        ip: IpAddr,
        stored: Attempts,
        now: i64,
        limit: AttemptLimit,
    ) -> Result<(), Refused> {
        let mut map = self.map();
        if map.len() >= MAX_ADDRESSES {
            map.retain(|_, e| !limit.is_spent(e, now));
        }
        let mine = map.get(&ip).copied().unwrap_or_default();
        let after = limit.reserve(merge(mine, stored, limit, now), now)?;
        map.insert(ip, after);
        Ok(())
    }

    /// Settles a reserved check here; the lock in force after a failure.
    pub fn settle(
        &self,
        ip: IpAddr,
        outcome: Outcome,
        now: i64,
        limit: AttemptLimit,
    ) -> Option<i64> {
        let mut map = self.map();
        let entry = map.get_mut(&ip)?;
        let (after, lock) = limit.settle(*entry, outcome, now);
        *entry = after;
        lock
    }
}
