//! Addresses refused after repeated failed Git authentications. Kept in
//! memory per instance and bounded: entries end with their window or ban.

use crate::domain::lockout::{Failures, WindowedLockout};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Default)]
pub struct AddressBans {
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: Failures,
    banned_until: Option<i64>,
}

impl AddressBans {
    const POLICY: WindowedLockout = WindowedLockout::GIT_HTTP_ADDRESS;

    /// Until when `ip` is refused, if it is now.
    pub fn banned_until(&self, ip: IpAddr, now: i64) -> Option<i64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&ip)
            .and_then(|e| e.banned_until)
            .filter(|until| *until > now)
    }

    /// Counts a failed authentication; returns the ban it started, if any.
    pub fn failed(&self, ip: IpAddr, now: i64) -> Option<i64> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let policy = Self::POLICY;
            entries.retain(|_, e| {
                e.banned_until.is_some_and(|u| u > now)
                    || e.failures
                        .window_start
                        .is_some_and(|s| now - s < policy.window_seconds)
            });
        }
        let entry = entries.entry(ip).or_default();
        let (failures, ban) = Self::POLICY.after_failure(entry.failures, now);
        entry.failures = failures;
        if ban.is_some() {
            entry.banned_until = ban;
            tracing::warn!(%ip, "address refused for an hour after failed Git authentications");
        }
        ban
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenth_failure_in_a_minute_bans_for_an_hour() {
        let bans = AddressBans::default();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        for i in 0..9 {
            assert_eq!(bans.failed(ip, 100 + i), None);
        }
        assert_eq!(bans.banned_until(ip, 110), None);
        assert_eq!(bans.failed(ip, 110), Some(3_710));
        assert_eq!(bans.banned_until(ip, 3_709), Some(3_710));
        assert_eq!(bans.banned_until(ip, 3_710), None);
        assert_eq!(bans.banned_until(other, 200), None);
    }
}
