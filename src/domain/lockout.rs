//! Account lockout after repeated failed sign-ins.

/// How many consecutive failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            lock_seconds: 10 * 60,
        }
    }
}

/// Whether an account may try a password now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    Open,
    /// Locked until this instant (unix seconds).
    Locked {
        until: i64,
    },
}

impl LockoutPolicy {
    /// `locked_until` is the stored lock, if any; `now` is unix seconds.
    pub fn state(&self, locked_until: Option<i64>, now: i64) -> LockState {
        match locked_until {
            Some(until) if until > now => LockState::Locked { until },
            _ => LockState::Open,
        }
    }

    /// After a failure brought the consecutive count to `failures`: the lock
    /// to store, if this failure locks the account.
    pub fn lock_after_failure(&self, failures: i64, now: i64) -> Option<i64> {
        (failures >= self.max_failures).then_some(now + self.lock_seconds)
    }
}

/// Minutes a person waits for a lock ending at `until`, rounded up.
pub fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now).max(0) + 59) / 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_lock_for_ten_minutes() {
        let p = LockoutPolicy::default();
        let now = 1_000_000;
        for n in 1..10 {
            assert_eq!(p.lock_after_failure(n, now), None);
        }
        assert_eq!(p.lock_after_failure(10, now), Some(now + 600));
    }

    #[test]
    fn lock_ends_exactly_at_its_instant() {
        let p = LockoutPolicy::default();
        let until = 1_000_600;
        assert_eq!(p.state(Some(until), until - 1), LockState::Locked { until });
        assert_eq!(p.state(Some(until), until), LockState::Open);
        assert_eq!(p.state(None, until), LockState::Open);
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(minutes_left(660, 60), 10);
        assert_eq!(minutes_left(661, 60), 11);
        assert_eq!(minutes_left(60, 60), 0);
    }
}
