//! Instants and dates as people and machines read them: "Nov 22, 2026",
//! "in 30 days", "3 hours ago", `2026-11-22T01:01:01.000Z`.
//! Pure and in both builds, so the server's render, the browser's hydration,
//! the API and the CLI agree.

use time::{Date, OffsetDateTime};

fn at(unix_seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The UTC date of a unix instant.
pub fn date_of(unix_seconds: i64) -> Date {
    at(unix_seconds).date()
}

/// "Nov 22, 2026" (UTC).
pub fn date(unix_seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = at(unix_seconds);
    format!(
        "{} {}, {}",
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.day(),
        t.year()
    )
}

/// "Nov 22, 2026 01:01:01 UTC": a date with its time of day.
pub fn date_time(unix_seconds: i64) -> String {
    let machine = machine(unix_seconds);
    format!("{} {} UTC", date(unix_seconds), &machine[11..19])
}

/// For `<time datetime=…>`: RFC 3339 in UTC, `2026-11-22T01:01:01Z`.
pub fn machine(unix_seconds: i64) -> String {
    Rfc3339::seconds(unix_seconds).to_string()
}

/// As GitLab's API writes instants: `2026-11-22T01:01:01.000Z`.
pub fn machine_millis(unix_seconds: i64) -> String {
    Rfc3339::millis(unix_seconds).to_string()
}

/// An instant in RFC 3339, UTC, formatted by hand on the stack: the API
/// writes several instants per answer on its busiest routes, straight into
/// the response (it serializes as a string). Years outside 0000–9999 read
/// as the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfc3339 {
    unix_seconds: i64,
    millis: bool,
}

impl Rfc3339 {
    /// `2026-11-22T01:01:01Z`
    pub fn seconds(unix_seconds: i64) -> Self {
        Self {
            unix_seconds,
            millis: false,
        }
    }

    /// `2026-11-22T01:01:01.000Z`, as GitLab's API writes instants.
    pub fn millis(unix_seconds: i64) -> Self {
        Self {
            unix_seconds,
            millis: true,
        }
    }
}

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (mut days, mut secs) = (
            self.unix_seconds.div_euclid(86_400),
            self.unix_seconds.rem_euclid(86_400),
        );
        let (mut year, mut month, mut day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            (days, secs) = (0, 0);
            (year, month, day) = civil_from_days(days);
        }
        let mut out = *b"0000-00-00T00:00:00.000Z";
        put_digits(&mut out[0..4], year);
        put_digits(&mut out[5..7], i64::from(month));
        put_digits(&mut out[8..10], i64::from(day));
        put_digits(&mut out[11..13], secs / 3600);
        put_digits(&mut out[14..16], secs / 60 % 60);
        put_digits(&mut out[17..19], secs % 60);
        let text = if self.millis {
            &out[..]
        } else {
            out[19] = b'Z';
            &out[..20]
        };
        f.write_str(std::str::from_utf8(text).map_err(|_| std::fmt::Error)?)
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `n` (non-negative) as decimal digits filling `out`, zero-padded.
fn put_digits(out: &mut [u8], mut n: i64) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// "in 3 days", "2 hours ago", "just now".
pub fn relative(now: i64, then: i64) -> String {
    let delta = then - now;
    let magnitude = delta.unsigned_abs();
    let (n, unit) = match magnitude {
        0..=59 => return "just now".to_owned(),
        60..=3_599 => (magnitude / 60, "minute"),
        3_600..=86_399 => (magnitude / 3_600, "hour"),
        86_400..=2_591_999 => (magnitude / 86_400, "day"),
        2_592_000..=31_535_999 => (magnitude / 2_592_000, "month"),
        _ => (magnitude / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if delta > 0 {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_agrees_with_the_time_crate() {
        use time::format_description::well_known::Rfc3339;
        let samples = (-100_000_i64..100_000)
            .step_by(997)
            .map(|d| d * 86_400 + (d.rem_euclid(86_400) * 7919) % 86_400)
            .chain([0, 951_782_400, 4_107_542_400, 253_402_300_799]);
        for t in samples {
            let expected = OffsetDateTime::from_unix_timestamp(t)
                .unwrap()
                .format(&Rfc3339)
                .unwrap();
            assert_eq!(machine(t), expected, "{t}");
        }
        assert_eq!(machine_millis(86_399), "1970-01-01T23:59:59.000Z");
        assert_eq!(
            machine(253_402_300_800),
            "1970-01-01T00:00:00Z",
            "year 10000"
        );
        assert_eq!(machine(-62_167_219_201), "1970-01-01T00:00:00Z", "year -1");
    }

    use super::*;

    const T0: i64 = 1_795_305_600; // 2026-11-22T00:00:00Z

    #[test]
    fn instants_serialize_as_json_strings() {
        assert_eq!(
            serde_json::to_string(&Rfc3339::millis(T0 + 3_661)).unwrap(),
            "\"2026-11-22T01:01:01.000Z\""
        );
        assert_eq!(
            serde_json::to_string(&Some(Rfc3339::seconds(T0))).unwrap(),
            "\"2026-11-22T00:00:00Z\""
        );
    }

    #[test]
    fn dates_read_like_gitlabs() {
        assert_eq!(date(T0), "Nov 22, 2026");
        assert_eq!(date(T0 - 1), "Nov 21, 2026");
        assert_eq!(machine(T0 + 3_661), "2026-11-22T01:01:01Z");
        assert_eq!(machine_millis(T0 + 3_661), "2026-11-22T01:01:01.000Z");
    }

    #[test]
    fn relative_times_pick_the_largest_whole_unit() {
        assert_eq!(relative(T0, T0 + 30), "just now");
        assert_eq!(relative(T0, T0 + 60), "in 1 minute");
        assert_eq!(relative(T0, T0 - 7_200), "2 hours ago");
        assert_eq!(relative(T0, T0 + 30 * 86_400), "in 1 month");
        assert_eq!(relative(T0, T0 + 29 * 86_400), "in 29 days");
        assert_eq!(relative(T0, T0 + 86_399), "in 23 hours");
        assert_eq!(relative(T0, T0 - 400 * 86_400), "1 year ago");
    }
}
