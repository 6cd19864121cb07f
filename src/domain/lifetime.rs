//! How long a personal access token may live. The one place that holds the
//! limit; administrators set `max_days` in the Admin Area.

use super::DomainError;
use time::macros::format_description;
use time::{Date, Duration};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifetimePolicy {
    /// The latest allowed expiry date is today plus this many days.
    pub max_days: i64,
    /// What the form suggests.
    pub suggested_days: i64,
    /// Whether every new token expires (GitLab's "require expiration
    /// date"): a token asked for without a date then lives as long as the
    /// limit allows; else such a token never expires.
    pub expiry_required: bool,
}

impl Default for LifetimePolicy {
    fn default() -> Self {
        Self {
            max_days: 365,
            suggested_days: 30,
            expiry_required: true,
        }
    }
}

/// The bounds of the administrators' limit, in days.
pub const MAX_DAYS_RANGE: std::ops::RangeInclusive<i64> = 1..=365;

/// How long a rotated token lives when the rotation names no expiry date
/// (GitLab: a week).
pub const ROTATION_DEFAULT_DAYS: i64 = 7;

impl LifetimePolicy {
    /// The expiry of a token rotated on `today` without an expiry date: a
    /// week later (never beyond the limit), or none while administrators
    /// allow tokens without one, as GitLab's rotation does.
    pub fn rotation_expiry(&self, today: Date) -> Option<Date> {
        if !self.expiry_required {
            return None;
        }
        let week = today + Duration::days(ROTATION_DEFAULT_DAYS);
        Some(week.min(self.latest(today)))
    }

    /// The policy for an administrator's limit (clamped to its bounds).
    pub fn with_max_days(max_days: i64) -> Self {
        Self {
            max_days: max_days.clamp(*MAX_DAYS_RANGE.start(), *MAX_DAYS_RANGE.end()),
            ..Self::default()
        }
    }

    /// The administrators' policy: the limit, and whether an expiry date
    /// is required.
    pub fn new(max_days: i64, expiry_required: bool) -> Self {
        Self {
            expiry_required,
            ..Self::with_max_days(max_days)
        }
    }

    /// Whether a token expiring on `expires_on` (never: `None`) lives
    /// longer than this policy allows a token made today to live: such
    /// tokens are revoked when an administrator lowers the limit.
    pub fn exceeded_by(&self, expires_on: Option<Date>, today: Date) -> bool {
        expires_on.is_none_or(|date| date > self.latest(today))
    }

    /// Parses an optional expiry date. Empty means the longest lifetime
    /// allowed (`latest`), as GitLab 16 gives a token created without a
    /// date, or "never" where administrators allow tokens without one; a
    /// date must be in range.
    pub fn parse_optional_expiry(
        &self,
        input: &str,
        today: Date,
    ) -> Result<Option<Date>, DomainError> {
        if input.trim().is_empty() {
            return Ok(self.expiry_required.then(|| self.latest(today)));
        }
        self.parse_expiry(input, today).map(Some)
    }

    /// What an empty expiry date means, in words for a form's hint.
    pub fn empty_expiry_means(&self, today: Date) -> String {
        if self.expiry_required {
            format!(
                "Leave it empty for the longest lifetime allowed, {} days (until {}).",
                self.max_days,
                iso(self.latest(today))
            )
        } else {
            "Leave it empty for a token that never expires.".to_owned()
        }
    }

    /// The earliest date a new token may expire on: tomorrow.
    pub fn earliest(&self, today: Date) -> Date {
        today + Duration::days(1)
    }

    pub fn latest(&self, today: Date) -> Date {
        today + Duration::days(self.max_days)
    }

    pub fn suggested(&self, today: Date) -> Date {
        today + Duration::days(self.suggested_days.min(self.max_days))
    }

    /// Parses an expiry date typed as `YYYY-MM-DD` and checks it is in range.
    pub fn parse_expiry(&self, input: &str, today: Date) -> Result<Date, DomainError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(DomainError::field(
                "expires_at",
                "Choose an expiration date.",
            ));
        }
        let date =
            Date::parse(input, format_description!("[year]-[month]-[day]")).map_err(|_| {
                DomainError::field("expires_at", "Enter the expiration date as YYYY-MM-DD.")
            })?;
        if date < self.earliest(today) {
            return Err(DomainError::field(
                "expires_at",
                "The expiration date must be in the future (tomorrow at the earliest).",
            ));
        }
        let latest = self.latest(today);
        if date > latest {
            return Err(DomainError::field(
                "expires_at",
                format!(
                    "The expiration date can be at most {} days from today ({}).",
                    self.max_days,
                    iso(latest)
                ),
            ));
        }
        Ok(date)
    }
}

/// `YYYY-MM-DD`.
pub fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_without_a_date_lasts_a_week_or_never_as_gitlab() {
        let today = time::macros::date!(2026 - 01 - 01);
        let policy = LifetimePolicy::default();
        assert_eq!(
            policy.rotation_expiry(today),
            Some(time::macros::date!(2026 - 01 - 08))
        );
        // Never beyond the limit.
        let short = LifetimePolicy::with_max_days(3);
        assert_eq!(
            short.rotation_expiry(today),
            Some(time::macros::date!(2026 - 01 - 04))
        );
        let optional = LifetimePolicy {
            expiry_required: false,
            ..LifetimePolicy::default()
        };
        assert_eq!(optional.rotation_expiry(today), None);
    }
    use time::macros::date;

    fn message(e: DomainError) -> String {
        let DomainError::Invalid(fields) = e;
        assert_eq!(fields[0].field, "expires_at");
        fields[0].message.clone()
    }

    #[test]
    fn range_is_tomorrow_to_a_year_with_thirty_days_suggested() {
        let p = LifetimePolicy::default();
        let today = date!(2026 - 11 - 22);
        assert_eq!(p.earliest(today), date!(2026 - 11 - 23));
        assert_eq!(p.latest(today), date!(2027 - 11 - 22));
        assert_eq!(p.suggested(today), date!(2026 - 12 - 22));
        assert_eq!(iso(p.suggested(today)), "2026-12-22");
    }

    #[test]
    fn past_today_and_too_late_dates_are_refused_clearly() {
        let p = LifetimePolicy::default();
        let today = date!(2026 - 11 - 22);
        assert!(message(p.parse_expiry("2026-11-22", today).unwrap_err()).contains("future"));
        assert!(message(p.parse_expiry("2020-01-01", today).unwrap_err()).contains("future"));
        assert_eq!(
            message(p.parse_expiry("2027-11-23", today).unwrap_err()),
            "The expiration date can be at most 365 days from today (2027-11-22)."
        );
        assert_eq!(
            p.parse_expiry("2026-11-23", today),
            Ok(date!(2026 - 11 - 23))
        );
        assert_eq!(
            p.parse_expiry(" 2027-11-22 ", today),
            Ok(date!(2027 - 11 - 22))
        );
    }

    #[test]
    fn malformed_dates_are_refused() {
        let p = LifetimePolicy::default();
        let today = date!(2026 - 11 - 22);
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "22/12/2026",
            "tomorrow",
            "2026-12-1",
        ] {
            assert!(p.parse_expiry(bad, today).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_administrators_limit_bounds_the_range_and_what_exceeds_it() {
        let today = date!(2026 - 11 - 22);
        let p = LifetimePolicy::with_max_days(30);
        assert_eq!(p.latest(today), date!(2026 - 12 - 22));
        assert_eq!(
            message(p.parse_expiry("2026-12-23", today).unwrap_err()),
            "The expiration date can be at most 30 days from today (2026-12-22)."
        );
        assert_eq!(
            p.parse_expiry("2026-12-22", today),
            Ok(date!(2026 - 12 - 22))
        );
        assert!(!p.exceeded_by(Some(date!(2026 - 12 - 22)), today));
        assert!(p.exceeded_by(Some(date!(2026 - 12 - 23)), today));
        assert!(p.exceeded_by(None, today), "no expiry exceeds any limit");
        // Out-of-range limits are clamped, never trusted.
        assert_eq!(LifetimePolicy::with_max_days(0).max_days, 1);
        assert_eq!(LifetimePolicy::with_max_days(10_000).max_days, 365);
        assert_eq!(
            LifetimePolicy::with_max_days(-5).latest(today),
            date!(2026 - 11 - 23)
        );
    }

    #[test]
    fn no_date_means_the_limit_or_never_where_administrators_allow_it() {
        let today = date!(2026 - 11 - 22);
        let required = LifetimePolicy::new(30, true);
        assert_eq!(
            required.parse_optional_expiry(" ", today),
            Ok(Some(date!(2026 - 12 - 22)))
        );
        assert_eq!(
            required.empty_expiry_means(today),
            "Leave it empty for the longest lifetime allowed, 30 days (until 2026-12-22)."
        );
        assert_eq!(
            LifetimePolicy::default().parse_optional_expiry("", today),
            Ok(Some(date!(2027 - 11 - 22))),
            "365 days unless administrators set less"
        );
        let optional = LifetimePolicy::new(30, false);
        assert_eq!(optional.parse_optional_expiry("", today), Ok(None));
        assert_eq!(
            optional.empty_expiry_means(today),
            "Leave it empty for a token that never expires."
        );
        assert_eq!(
            optional.parse_optional_expiry("2026-12-01", today),
            Ok(Some(date!(2026 - 12 - 01)))
        );
        // A date, when given, still obeys the limit.
        assert!(optional.parse_optional_expiry("2027-01-01", today).is_err());
    }

    #[test]
    fn a_suggestion_never_exceeds_the_limit() {
        let p = LifetimePolicy {
            max_days: 7,
            suggested_days: 30,
            expiry_required: true,
        };
        let today = date!(2026 - 11 - 22);
        assert_eq!(p.suggested(today), date!(2026 - 11 - 29));
    }
}
