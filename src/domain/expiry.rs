//! The daily jobs around token expiry, as GitLab (17.6) schedules them: at
//! 01:00 UTC owners hear of tokens expiring within sixty, thirty and seven
//! days, at 02:00 UTC of tokens expiring that day, and revoked tokens past
//! their retention are deleted. When each is due and what it covers, for
//! an injected `now`.

use time::{Date, Duration, OffsetDateTime, Time};

/// How far ahead the first notice looks, in days.
pub const NOTICE_DAYS: i64 = 7;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Job {
    /// Tokens expiring in 31 to 60 days.
    Expiring60Days,
    /// Tokens expiring in 8 to 30 days.
    Expiring30Days,
    /// Tokens expiring within the next seven days (after today).
    ExpiringSoon,
    /// Tokens expiring today.
    ExpiringToday,
    /// Revoked tokens older than the retention are deleted.
    PurgeRevoked,
    /// Tokens unused for the instance's period are revoked, their owners
    /// warned a week before ([`Unused`]).
    RevokeUnused,
}

impl Job {
    pub const ALL: [Job; 6] = [
        Self::Expiring60Days,
        Self::Expiring30Days,
        Self::ExpiringSoon,
        Self::ExpiringToday,
        Self::PurgeRevoked,
        Self::RevokeUnused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Expiring60Days => "expiring-60-days",
            Self::Expiring30Days => "expiring-30-days",
            Self::ExpiringSoon => "expiring-soon",
            Self::ExpiringToday => "expiring-today",
            Self::PurgeRevoked => "purge-revoked",
            Self::RevokeUnused => "revoke-unused",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|j| j.name() == name)
    }

    /// The time of day (UTC) the job runs.
    pub fn at(self) -> Time {
        match self {
            Self::Expiring60Days
            | Self::Expiring30Days
            | Self::ExpiringSoon
            | Self::PurgeRevoked
            | Self::RevokeUnused => Time::from_hms(1, 0, 0),
            Self::ExpiringToday => Time::from_hms(2, 0, 0),
        }
        .unwrap_or(Time::MIDNIGHT)
    }

    /// The day whose run is due at `now`, given the last day it ran for:
    /// today once its time has come, if today has not run yet.
    pub fn due(self, now: OffsetDateTime, last_run: Option<Date>) -> Option<Date> {
        let today = now.date();
        let time_has_come = now.time() >= self.at();
        let not_yet_today = last_run.is_none_or(|day| day < today);
        (time_has_come && not_yet_today).then_some(today)
    }

    /// For the notices: the first and last expiry dates covered on `today`.
    pub fn expiry_dates(self, today: Date) -> Option<(Date, Date)> {
        let ahead = |first: i64, last: i64| {
            Some((today + Duration::days(first), today + Duration::days(last)))
        };
        match self {
            Self::Expiring60Days => ahead(31, 60),
            Self::Expiring30Days => ahead(NOTICE_DAYS + 1, 30),
            Self::ExpiringSoon => ahead(1, NOTICE_DAYS),
            Self::ExpiringToday => Some((today, today)),
            Self::PurgeRevoked | Self::RevokeUnused => None,
        }
    }

    /// For the early notices: only tokens made to last longer than this
    /// many days hear of it (whoever just made a token for 20 days needs
    /// no "expires within 30 days" mail the next morning). The later
    /// notices go to every token.
    pub fn lifetime_over_days(self) -> Option<i64> {
        match self {
            Self::Expiring60Days => Some(60),
            Self::Expiring30Days => Some(30),
            Self::ExpiringSoon | Self::ExpiringToday | Self::PurgeRevoked | Self::RevokeUnused => {
                None
            }
        }
    }
}

/// How many days before revoking an unused token its owner is warned.
pub const UNUSED_WARNING_DAYS: i64 = 7;

/// Which tokens the unused-token job warns of and revokes at an instant,
/// for the instance's period (GitHub revokes classic tokens unused for a
/// year). A token is idle since its last use, or its creation if never
/// used. Its owner is warned once it has been idle for the period less a
/// week; it is revoked once idle for the whole period **and** warned at
/// least a week before, with no use since: turning the setting on warns
/// first and revokes a week later, never at once, and a token used after
/// its warning is warned again when idle again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unused {
    /// Idle since at or before this instant: warn.
    pub warn_idle_since: i64,
    /// Idle since at or before this instant: revoke, if warned in time.
    pub revoke_idle_since: i64,
    /// Warned at or before this instant: in time.
    pub warned_by: i64,
}

impl Unused {
    /// The cut-offs at `now` for a period of `days` (0: the job does
    /// nothing).
    pub fn at(now: i64, days: i64) -> Option<Self> {
        (days > UNUSED_WARNING_DAYS).then(|| Self {
            warn_idle_since: now - (days - UNUSED_WARNING_DAYS) * 86_400,
            revoke_idle_since: now - days * 86_400,
            warned_by: now - UNUSED_WARNING_DAYS * 86_400,
        })
    }

    /// Whether a token idle since `idle_since`, warned at `warned_at`, is
    /// warned now.
    pub fn warns(&self, idle_since: i64, warned_at: Option<i64>) -> bool {
        idle_since <= self.warn_idle_since && warned_at.is_none_or(|w| w < idle_since)
    }

    /// Whether it is revoked now.
    pub fn revokes(&self, idle_since: i64, warned_at: Option<i64>) -> bool {
        idle_since <= self.revoke_idle_since
            && warned_at.is_some_and(|w| w <= self.warned_by && w >= idle_since)
    }
}

/// Revoked tokens revoked at or before this instant are deleted.
pub fn purge_before(now: i64, retention_days: i64) -> i64 {
    now - retention_days.max(0) * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn unused_tokens_are_warned_a_week_before_they_are_revoked() {
        const DAY: i64 = 86_400;
        assert_eq!(Unused::at(1_000 * DAY, 0), None);
        let now = 1_000 * DAY;
        let rule = Unused::at(now, 90).unwrap();
        // Idle 82 days: nothing yet; 83 days: warned (once).
        assert!(!rule.warns(now - 82 * DAY, None));
        assert!(rule.warns(now - 83 * DAY, None));
        assert!(!rule.warns(now - 83 * DAY, Some(now - DAY)));
        // Idle for years when the setting is turned on: warned, not revoked.
        assert!(rule.warns(now - 900 * DAY, None));
        assert!(!rule.revokes(now - 900 * DAY, None));
        // Warned only yesterday: not yet; warned a week ago: revoked.
        assert!(!rule.revokes(now - 900 * DAY, Some(now - DAY)));
        assert!(rule.revokes(now - 900 * DAY, Some(now - 7 * DAY)));
        // Used after the warning: neither revoked nor (until idle again
        // long enough) warned.
        let used = now - 30 * DAY;
        assert!(!rule.revokes(used, Some(now - 40 * DAY)));
        assert!(!rule.warns(used, Some(now - 40 * DAY)));
        assert!(rule.warns(now - 85 * DAY, Some(now - 100 * DAY)));
    }

    #[test]
    fn names_round_trip() {
        for job in Job::ALL {
            assert_eq!(Job::parse(job.name()), Some(job));
        }
        assert_eq!(Job::parse("everything"), None);
    }

    #[test]
    fn each_job_is_due_once_a_day_from_its_time() {
        let soon = Job::ExpiringSoon;
        let today = date!(2026 - 11 - 22);
        assert_eq!(soon.due(datetime!(2026-11-22 00:59:59 UTC), None), None);
        assert_eq!(soon.due(datetime!(2026-11-22 01:00 UTC), None), Some(today));
        assert_eq!(
            soon.due(datetime!(2026-11-22 23:59 UTC), Some(date!(2026 - 11 - 21))),
            Some(today),
            "late (the server was down at 01:00) is still today's run"
        );
        assert_eq!(soon.due(datetime!(2026-11-22 13:00 UTC), Some(today)), None);
        assert_eq!(
            soon.due(datetime!(2026-11-23 01:00 UTC), Some(today)),
            Some(date!(2026 - 11 - 23))
        );
        let same_day = Job::ExpiringToday;
        assert_eq!(same_day.due(datetime!(2026-11-22 01:30 UTC), None), None);
        assert_eq!(
            same_day.due(datetime!(2026-11-22 02:00 UTC), None),
            Some(today)
        );
        assert_eq!(Job::PurgeRevoked.at(), Time::from_hms(1, 0, 0).unwrap());
    }

    #[test]
    fn notices_cover_the_next_seven_days_and_today() {
        let today = date!(2026 - 11 - 22);
        assert_eq!(
            Job::ExpiringSoon.expiry_dates(today),
            Some((date!(2026 - 11 - 23), date!(2026 - 11 - 29)))
        );
        assert_eq!(Job::ExpiringToday.expiry_dates(today), Some((today, today)));
        // GitLab 17.6's earlier notices, each window after the next.
        assert_eq!(
            Job::Expiring30Days.expiry_dates(today),
            Some((date!(2026 - 11 - 30), date!(2026 - 12 - 22)))
        );
        assert_eq!(
            Job::Expiring60Days.expiry_dates(today),
            Some((date!(2026 - 12 - 23), date!(2027 - 01 - 21)))
        );
        assert_eq!(Job::Expiring60Days.lifetime_over_days(), Some(60));
        assert_eq!(Job::ExpiringSoon.lifetime_over_days(), None);
        assert_eq!(Job::Expiring30Days.at(), Job::ExpiringSoon.at());
        assert_eq!(Job::PurgeRevoked.expiry_dates(today), None);
    }

    #[test]
    fn purge_keeps_revoked_tokens_for_the_retention() {
        assert_eq!(purge_before(10 * 86_400, 3), 7 * 86_400);
        assert_eq!(purge_before(10 * 86_400, 0), 10 * 86_400);
        assert_eq!(purge_before(10 * 86_400, -4), 10 * 86_400);
    }
}
