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

/// A lock after bursts of failures: `max_failures` within
/// `window_seconds` lock for `lock_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowedLockout {
    pub max_failures: i64,
    pub window_seconds: i64,
    pub lock_seconds: i64,
}

impl WindowedLockout {
    /// The second sign-in step: 5 wrong codes in 5 minutes lock it for 15.
    pub const SECOND_STEP: Self = Self {
        max_failures: 5,
        window_seconds: 5 * 60,
        lock_seconds: 15 * 60,
    };

    /// Git over HTTP: 10 failed authentications from one address within a
    /// minute refuse that address for an hour.
    pub const GIT_HTTP_ADDRESS: Self = Self {
        max_failures: 10,
        window_seconds: 60,
        lock_seconds: 60 * 60,
    };
}

/// The failure count a user carries: how many, since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: i64,
    pub window_start: Option<i64>,
}

impl WindowedLockout {
    /// After one more wrong code at `now`: the new count, and the lock to
    /// store when this failure reaches the limit (the count then restarts).
    pub fn after_failure(&self, before: Failures, now: i64) -> (Failures, Option<i64>) {
        let in_window = before
            .window_start
            .is_some_and(|start| now - start < self.window_seconds);
        let failures = if in_window {
            Failures {
                count: before.count + 1,
                window_start: before.window_start,
            }
        } else {
            Failures {
                count: 1,
                window_start: Some(now),
            }
        };
        if failures.count >= self.max_failures {
            (Failures::default(), Some(now + self.lock_seconds))
        } else {
            (failures, None)
        }
    }
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

    #[test]
    fn five_wrong_codes_within_the_window_lock_the_second_step() {
        let policy = WindowedLockout::SECOND_STEP;
        let mut failures = Failures::default();
        let now = 1_000_000;
        for i in 0..4 {
            let (next, lock) = policy.after_failure(failures, now + i * 10);
            assert_eq!(lock, None);
            failures = next;
        }
        assert_eq!(failures.count, 4);
        let (after, lock) = policy.after_failure(failures, now + 60);
        assert_eq!(lock, Some(now + 60 + 15 * 60));
        assert_eq!(after, Failures::default());
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let policy = WindowedLockout::SECOND_STEP;
        let old = Failures {
            count: 4,
            window_start: Some(1_000_000),
        };
        let (after, lock) = policy.after_failure(old, 1_000_000 + 5 * 60);
        assert_eq!(lock, None);
        assert_eq!(
            after,
            Failures {
                count: 1,
                window_start: Some(1_000_000 + 5 * 60)
            }
        );
    }

    #[test]
    fn ten_failed_git_logins_in_a_minute_ban_the_address_for_an_hour() {
        let policy = WindowedLockout::GIT_HTTP_ADDRESS;
        let mut failures = Failures::default();
        for i in 0..9 {
            let (next, lock) = policy.after_failure(failures, 1_000 + i * 6);
            assert_eq!(lock, None);
            failures = next;
        }
        assert_eq!(policy.after_failure(failures, 1_059).1, Some(1_059 + 3_600));
        // Spread over more than a minute, they don't.
        assert_eq!(policy.after_failure(failures, 1_060).1, None);
    }
}
