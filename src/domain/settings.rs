//! The instance settings administrators change (Admin Area → Settings,
//! `forgekey settings`): one type with its defaults, its bounds, how a
//! typed value is checked, and how a change reads in the audit log.

use super::lifetime::{LifetimePolicy, MAX_DAYS_RANGE};
use super::DomainError;
use std::ops::RangeInclusive;

/// The settings as stored, as pages show them, as the command line prints
/// them (nothing in them is secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Passwords (of users without 2FA) authenticate Git over HTTP.
    pub git_password_auth: bool,
    /// Git over HTTP needs the username to be the token's owner.
    pub git_token_username_match: bool,
    /// Administrators' tokens need the `admin_mode` scope for admin work,
    /// and administrators re-authenticate before admin actions.
    pub admin_mode: bool,
    /// A new token expires at most this many days from today.
    pub token_max_lifetime_days: i64,
    /// Expired tokens stop authenticating (when off, they keep working).
    pub token_expiry_enforced: bool,
    /// Every new token needs an expiry date.
    pub token_expiry_required: bool,
    /// Revoked tokens are deleted this many days after revocation.
    pub revoked_token_retention_days: i64,
    /// Tokens unused for this many days are revoked by the daily jobs,
    /// their owners warned a week before (`domain::expiry::Unused`); 0: never.
    pub unused_token_revoke_days: i64,
}

impl Default for Settings {
    /// As a new instance starts.
    fn default() -> Self {
        Self {
            git_password_auth: true,
            git_token_username_match: false,
            admin_mode: false,
            token_max_lifetime_days: 365,
            token_expiry_enforced: true,
            token_expiry_required: true,
            revoked_token_retention_days: 30,
            unused_token_revoke_days: 0,
        }
    }
}

impl Settings {
    /// The rules for new tokens these settings make.
    pub fn lifetime_policy(&self) -> LifetimePolicy {
        LifetimePolicy::new(self.token_max_lifetime_days, self.token_expiry_required)
    }
}

/// How long revoked tokens are kept (so they can be unrevoked) before the
/// daily job deletes them, in days.
pub const RETENTION_DAYS_RANGE: RangeInclusive<i64> = 0..=3650;

/// After how many days without use tokens may be revoked (besides 0:
/// never): more than the week of warning before it.
pub const UNUSED_DAYS_RANGE: RangeInclusive<i64> = 14..=3650;

/// After how many days unused tokens are revoked, typed in days; 0 (or
/// nothing): never.
pub fn parse_unused_days(input: &str) -> Result<i64, DomainError> {
    let input = input.trim();
    if input.is_empty() || input == "0" {
        return Ok(0);
    }
    parse_days(
        "unused_token_revoke_days",
        input,
        UNUSED_DAYS_RANGE,
        "Unused tokens are revoked after a period that",
    )
    .map_err(|_| {
        DomainError::field(
            "unused_token_revoke_days",
            format!(
                "Unused tokens are revoked after {} to {} days, or never (0).",
                UNUSED_DAYS_RANGE.start(),
                UNUSED_DAYS_RANGE.end()
            ),
        )
    })
}

/// The bounds of the token lifetime limit, in days.
pub const MAX_LIFETIME_DAYS_RANGE: RangeInclusive<i64> = MAX_DAYS_RANGE;

/// The administrator's maximum token lifetime, typed in days.
pub fn parse_max_lifetime_days(input: &str) -> Result<i64, DomainError> {
    parse_days(
        "token_max_lifetime_days",
        input,
        MAX_DAYS_RANGE,
        "The maximum lifetime",
    )
}

/// How many days revoked tokens are kept, typed in days.
pub fn parse_retention_days(input: &str) -> Result<i64, DomainError> {
    parse_days(
        "revoked_token_retention_days",
        input,
        RETENTION_DAYS_RANGE,
        "The retention",
    )
}

fn parse_days(
    field: &str,
    input: &str,
    range: RangeInclusive<i64>,
    what: &str,
) -> Result<i64, DomainError> {
    let out_of_range = || {
        DomainError::field(
            field,
            format!(
                "{what} must be a whole number of days from {} to {}.",
                range.start(),
                range.end()
            ),
        )
    };
    let days: i64 = input.trim().parse().map_err(|_| out_of_range())?;
    if range.contains(&days) {
        Ok(days)
    } else {
        Err(out_of_range())
    }
}

/// `name: old → new` for each setting that changed.
pub fn describe_changes(old: &Settings, new: &Settings) -> Vec<String> {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let mut changes = Vec::new();
    let mut flag = |name: &str, a: bool, b: bool| {
        if a != b {
            changes.push(format!("{name}: {} → {}", on_off(a), on_off(b)));
        }
    };
    flag("admin mode", old.admin_mode, new.admin_mode);
    flag(
        "git password authentication",
        old.git_password_auth,
        new.git_password_auth,
    );
    flag(
        "git username must match token owner",
        old.git_token_username_match,
        new.git_token_username_match,
    );
    flag(
        "token expiry enforced",
        old.token_expiry_enforced,
        new.token_expiry_enforced,
    );
    flag(
        "token expiry required",
        old.token_expiry_required,
        new.token_expiry_required,
    );
    if old.token_max_lifetime_days != new.token_max_lifetime_days {
        changes.push(format!(
            "token maximum lifetime: {} → {} days",
            old.token_max_lifetime_days, new.token_max_lifetime_days
        ));
    }
    if old.revoked_token_retention_days != new.revoked_token_retention_days {
        changes.push(format!(
            "revoked token retention: {} → {} days",
            old.revoked_token_retention_days, new.revoked_token_retention_days
        ));
    }
    if old.unused_token_revoke_days != new.unused_token_revoke_days {
        let days = |d: i64| {
            if d == 0 {
                "never".to_owned()
            } else {
                format!("after {d} days")
            }
        };
        changes.push(format!(
            "unused tokens revoked: {} → {}",
            days(old.unused_token_revoke_days),
            days(new.unused_token_revoke_days)
        ));
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_whole_days_in_range() {
        assert_eq!(parse_max_lifetime_days("30"), Ok(30));
        assert_eq!(parse_max_lifetime_days(" 365 "), Ok(365));
        assert_eq!(parse_max_lifetime_days("1"), Ok(1));
        for bad in ["0", "366", "-1", "", "thirty", "7.5", "1e3"] {
            let Err(DomainError::Invalid(fields)) = parse_max_lifetime_days(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!(fields[0].field, "token_max_lifetime_days");
            assert_eq!(
                fields[0].message,
                "The maximum lifetime must be a whole number of days from 1 to 365."
            );
        }
        assert_eq!(parse_retention_days("0"), Ok(0));
        assert_eq!(parse_retention_days("3650"), Ok(3650));
        assert!(parse_retention_days("3651").is_err());
        assert!(parse_retention_days("-1").is_err());
        assert_eq!(parse_unused_days(""), Ok(0));
        assert_eq!(parse_unused_days("0"), Ok(0));
        assert_eq!(parse_unused_days("14"), Ok(14));
        assert_eq!(parse_unused_days(" 365 "), Ok(365));
        for bad in ["7", "13", "3651", "-1", "a year"] {
            let Err(DomainError::Invalid(fields)) = parse_unused_days(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!(
                fields[0].message,
                "Unused tokens are revoked after 14 to 3650 days, or never (0)."
            );
        }
    }

    #[test]
    fn changes_read_as_old_to_new() {
        let old = Settings::default();
        let new = Settings {
            admin_mode: true,
            token_max_lifetime_days: 30,
            ..old
        };
        assert_eq!(
            describe_changes(&old, &new),
            [
                "admin mode: off → on",
                "token maximum lifetime: 365 → 30 days"
            ]
        );
        assert!(describe_changes(&new, &new).is_empty());
        let unused = Settings {
            unused_token_revoke_days: 90,
            ..old
        };
        assert_eq!(
            describe_changes(&old, &unused),
            ["unused tokens revoked: never → after 90 days"]
        );
    }

    #[test]
    fn the_defaults_are_within_the_bounds() {
        let s = Settings::default();
        assert!(MAX_LIFETIME_DAYS_RANGE.contains(&s.token_max_lifetime_days));
        assert!(RETENTION_DAYS_RANGE.contains(&s.revoked_token_retention_days));
        assert_eq!(s.lifetime_policy().max_days, 365);
    }
}
