//! Limits on guessing secrets (passwords, two-factor codes, Git
//! credentials) that hold when the guesses arrive together.
//!
//! Each attempt is *reserved* before its secret is checked and *settled*
//! after: a reservation is granted only while the failures already counted
//! plus the attempts still being checked stay under the limit. So a burst of
//! any size released at once gets at most `max_failures` secrets checked;
//! the rest wait for a free slot or are refused. A failure counts when it is
//! settled; the one that reaches the limit starts the lock. A crashed
//! checker cannot hold slots for ever: reservations lapse together after
//! [`IN_FLIGHT_LEASE_SECONDS`] without a new one.

/// How long reservations that were never settled keep their slots.
pub const IN_FLIGHT_LEASE_SECONDS: i64 = 60;

/// How many failures, within which window, lock for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub max_failures: i64,
    /// Failures older than this stop counting; `None`: failures count until
    /// a right secret or the lock (consecutive failures).
    pub window_seconds: Option<i64>,
    pub lock_seconds: i64,
}

impl AttemptLimit {
    /// Passwords: ten consecutive failures lock the account for ten minutes.
    pub const SIGN_IN: Self = Self {
        max_failures: 10,
        window_seconds: None,
        lock_seconds: 10 * 60,
    };

    /// The second sign-in step: 5 wrong codes in 5 minutes lock it for 15.
    pub const SECOND_STEP: Self = Self {
        max_failures: 5,
        window_seconds: Some(5 * 60),
        lock_seconds: 15 * 60,
    };

    /// Git over HTTP: 10 failed authentications from one address within a
    /// minute refuse that address for an hour.
    pub const GIT_HTTP_ADDRESS: Self = Self {
        max_failures: 10,
        window_seconds: Some(60),
        lock_seconds: 60 * 60,
    };
}

/// Where one counter stands (per account, per address…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Failures counted in the current window.
    pub failures: i64,
    /// When the current window began (the first failure in it).
    pub window_start: Option<i64>,
    pub locked_until: Option<i64>,
    /// Attempts reserved and not yet settled.
    pub in_flight: i64,
    /// Until when those reservations hold their slots.
    pub in_flight_until: Option<i64>,
}

/// Why an attempt may not be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Locked until this instant (unix seconds).
    Locked { until: i64 },
    /// Every remaining slot is held by attempts still being checked: wait
    /// for one to settle.
    Full,
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The secret was right: the failures start afresh.
    Right,
    /// The secret was wrong (or the attempt was abandoned mid-check): one
    /// more failure.
    Wrong,
    /// The secret was never checked (the server was busy): the slot is
    /// given back and nothing is counted.
    Unchecked,
}

impl AttemptLimit {
    fn lock_in_force(s: &Attempts, now: i64) -> Option<i64> {
        s.locked_until.filter(|until| *until > now)
    }

    fn live_in_flight(s: &Attempts, now: i64) -> i64 {
        match s.in_flight_until {
            Some(until) if until > now => s.in_flight.max(0),
            _ => 0,
        }
    }

    /// Failures that still count at `now` (none once the window is over or
    /// a lock has run out).
    pub fn live_failures(&self, s: &Attempts, now: i64) -> i64 {
        if s.locked_until.is_some_and(|until| until <= now) {
            return 0;
        }
        match (self.window_seconds, s.window_start) {
            (Some(window), Some(start)) if now - start >= window => 0,
            _ => s.failures.max(0),
        }
    }

    /// Whether a counter holds nothing that still matters at `now` (no lock,
    /// no failure in the window, no attempt being checked): it may be
    /// forgotten.
    pub fn is_spent(&self, s: &Attempts, now: i64) -> bool {
        Self::lock_in_force(s, now).is_none()
            && Self::live_in_flight(s, now) == 0
            && self.live_failures(s, now) == 0
    }

    /// Reserves one attempt at `now`: the state to store before the secret
    /// is checked, or why no attempt may be made.
    pub fn reserve(&self, s: Attempts, now: i64) -> Result<Attempts, Refused> {
        if let Some(until) = Self::lock_in_force(&s, now) {
            return Err(Refused::Locked { until });
        }
        let failures = self.live_failures(&s, now);
        let in_flight = Self::live_in_flight(&s, now);
        if failures + in_flight >= self.max_failures {
            return Err(Refused::Full);
        }
        Ok(Attempts {
            failures,
            window_start: if failures == 0 { None } else { s.window_start },
            locked_until: None,
            in_flight: in_flight + 1,
            in_flight_until: Some(now + IN_FLIGHT_LEASE_SECONDS),
        })
    }

    /// Settles one reserved attempt at `now`: the state to store, and for a
    /// failure the lock in force after it (this one reached the limit, or
    /// another had).
    pub fn settle(&self, s: Attempts, outcome: Outcome, now: i64) -> (Attempts, Option<i64>) {
        let in_flight = (Self::live_in_flight(&s, now) - 1).max(0);
        let in_flight_until = if in_flight == 0 {
            None
        } else {
            s.in_flight_until
        };
        let base = Attempts {
            in_flight,
            in_flight_until,
            ..s
        };
        match outcome {
            Outcome::Unchecked => (base, None),
            Outcome::Right => (
                Attempts {
                    failures: 0,
                    window_start: None,
                    locked_until: Self::lock_in_force(&s, now),
                    ..base
                },
                None,
            ),
            Outcome::Wrong => {
                // A lock set meanwhile by another failure stands.
                if let Some(until) = Self::lock_in_force(&s, now) {
                    return (base, Some(until));
                }
                let live = self.live_failures(&s, now);
                let failures = live + 1;
                let window_start = if live == 0 {
                    Some(now)
                } else {
                    s.window_start.or(Some(now))
                };
                if failures >= self.max_failures {
                    let until = now + self.lock_seconds;
                    (
                        Attempts {
                            failures: 0,
                            window_start: None,
                            locked_until: Some(until),
                            ..base
                        },
                        Some(until),
                    )
                } else {
                    (
                        Attempts {
                            failures,
                            window_start,
                            locked_until: None,
                            ..base
                        },
                        None,
                    )
                }
            }
        }
    }
}

/// Minutes a person waits for a lock ending at `until`, rounded up.
pub fn minutes_left(until: i64, now: i64) -> i64 {
    ((until - now).max(0) + 59) / 60
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    /// Reserves and settles `outcome` at `now`; the lock it started.
    fn attempt(
        limit: AttemptLimit,
        s: &mut Attempts,
        outcome: Outcome,
        now: i64,
    ) -> Result<Option<i64>, Refused> {
        *s = limit.reserve(*s, now)?;
        let (after, lock) = limit.settle(*s, outcome, now);
        *s = after;
        Ok(lock)
    }

    #[test]
    fn ten_consecutive_wrong_passwords_lock_for_ten_minutes() {
        let limit = AttemptLimit::SIGN_IN;
        let mut s = Attempts::default();
        for i in 0..9 {
            // Consecutive: no window, so hours apart still count.
            assert_eq!(
                attempt(limit, &mut s, Outcome::Wrong, NOW + i * 3600),
                Ok(None)
            );
        }
        let at = NOW + 9 * 3600;
        assert_eq!(
            attempt(limit, &mut s, Outcome::Wrong, at),
            Ok(Some(at + 600))
        );
        assert_eq!(
            limit.reserve(s, at + 599),
            Err(Refused::Locked { until: at + 600 })
        );
        // The lock ends exactly at its instant, and counting starts afresh.
        assert_eq!(attempt(limit, &mut s, Outcome::Wrong, at + 600), Ok(None));
        assert_eq!(s.failures, 1);
    }

    #[test]
    fn a_right_password_starts_the_count_afresh() {
        let limit = AttemptLimit::SIGN_IN;
        let mut s = Attempts::default();
        for _ in 0..9 {
            attempt(limit, &mut s, Outcome::Wrong, NOW).unwrap();
        }
        assert_eq!(attempt(limit, &mut s, Outcome::Right, NOW), Ok(None));
        assert_eq!(s, Attempts::default());
    }

    #[test]
    fn a_burst_reserves_no_more_slots_than_the_limit() {
        let limit = AttemptLimit::SECOND_STEP;
        let mut s = Attempts::default();
        let mut granted = 0;
        for _ in 0..500 {
            match limit.reserve(s, NOW) {
                Ok(next) => {
                    s = next;
                    granted += 1;
                }
                Err(refused) => assert_eq!(refused, Refused::Full),
            }
        }
        assert_eq!(granted, 5);
        // Four wrong, then the fifth wrong locks; the burst is over.
        for _ in 0..4 {
            let (next, lock) = limit.settle(s, Outcome::Wrong, NOW);
            assert_eq!(lock, None);
            s = next;
        }
        let (s, lock) = limit.settle(s, Outcome::Wrong, NOW);
        assert_eq!(lock, Some(NOW + 900));
        assert_eq!(s.in_flight, 0);
        assert_eq!(
            limit.reserve(s, NOW),
            Err(Refused::Locked { until: NOW + 900 })
        );
    }

    #[test]
    fn failures_plus_attempts_in_flight_never_exceed_the_limit() {
        let limit = AttemptLimit::SIGN_IN;
        let mut s = Attempts::default();
        for _ in 0..7 {
            attempt(limit, &mut s, Outcome::Wrong, NOW).unwrap();
        }
        for _ in 0..3 {
            s = limit.reserve(s, NOW).unwrap();
        }
        assert_eq!(limit.reserve(s, NOW), Err(Refused::Full));
        // An unchecked attempt gives its slot back without counting.
        let (after, lock) = limit.settle(s, Outcome::Unchecked, NOW);
        assert_eq!(lock, None);
        assert_eq!((after.failures, after.in_flight), (7, 2));
        assert!(limit.reserve(after, NOW).is_ok());
    }

    #[test]
    fn a_right_secret_in_a_burst_does_not_lift_a_lock_set_meanwhile() {
        let limit = AttemptLimit::SECOND_STEP;
        let locked = Attempts {
            locked_until: Some(NOW + 900),
            in_flight: 1,
            in_flight_until: Some(NOW + 60),
            ..Attempts::default()
        };
        let (after, _) = limit.settle(locked, Outcome::Right, NOW);
        assert_eq!(after.locked_until, Some(NOW + 900));
        assert_eq!(after.in_flight, 0);
    }

    #[test]
    fn reservations_never_settled_lapse_after_the_lease() {
        let limit = AttemptLimit::SECOND_STEP;
        let mut s = Attempts::default();
        for _ in 0..5 {
            s = limit.reserve(s, NOW).unwrap();
        }
        assert_eq!(
            limit.reserve(s, NOW + IN_FLIGHT_LEASE_SECONDS - 1),
            Err(Refused::Full)
        );
        let again = limit.reserve(s, NOW + IN_FLIGHT_LEASE_SECONDS).unwrap();
        assert_eq!(again.in_flight, 1);
        // A late settlement of a lapsed reservation takes nothing below zero.
        let (after, _) = limit.settle(s, Outcome::Unchecked, NOW + 3600);
        assert_eq!(after.in_flight, 0);
    }

    #[test]
    fn failures_outside_the_window_start_a_new_count() {
        let limit = AttemptLimit::SECOND_STEP;
        let mut s = Attempts::default();
        for i in 0..4 {
            attempt(limit, &mut s, Outcome::Wrong, NOW + i * 10).unwrap();
        }
        assert_eq!(s.failures, 4);
        assert_eq!(attempt(limit, &mut s, Outcome::Wrong, NOW + 300), Ok(None));
        assert_eq!((s.failures, s.window_start), (1, Some(NOW + 300)));
    }

    #[test]
    fn ten_failed_git_logins_in_a_minute_ban_the_address_for_an_hour() {
        let limit = AttemptLimit::GIT_HTTP_ADDRESS;
        let mut s = Attempts::default();
        for i in 0..9 {
            assert_eq!(
                attempt(limit, &mut s, Outcome::Wrong, 1_000 + i * 6),
                Ok(None)
            );
        }
        let mut spread = s;
        assert_eq!(
            attempt(limit, &mut s, Outcome::Wrong, 1_059),
            Ok(Some(1_059 + 3_600))
        );
        // Spread over more than a minute, they don't.
        assert_eq!(attempt(limit, &mut spread, Outcome::Wrong, 1_060), Ok(None));
    }

    #[test]
    fn a_counter_is_spent_once_its_window_lock_and_lease_are_over() {
        let limit = AttemptLimit::GIT_HTTP_ADDRESS;
        let mut s = Attempts::default();
        assert!(limit.is_spent(&s, NOW));
        s = limit.reserve(s, NOW).unwrap();
        assert!(!limit.is_spent(&s, NOW));
        s = limit.settle(s, Outcome::Wrong, NOW).0;
        assert!(!limit.is_spent(&s, NOW + 59));
        assert!(limit.is_spent(&s, NOW + 60));
    }

    #[test]
    fn minutes_round_up() {
        assert_eq!(minutes_left(660, 60), 10);
        assert_eq!(minutes_left(661, 60), 11);
        assert_eq!(minutes_left(60, 60), 0);
    }
}
