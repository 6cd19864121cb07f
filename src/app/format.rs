//! How instants read on a page: "Nov 22, 2026", "in 30 days", "3 hours ago".
//! Pure, so the server's render and the browser's hydration agree.

use time::OffsetDateTime;

fn instant(unix_seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// "Nov 22, 2026" (UTC).
pub fn date(unix_seconds: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = instant(unix_seconds);
    format!(
        "{} {}, {}",
        MONTHS[usize::from(u8::from(t.month())) - 1],
        t.day(),
        t.year()
    )
}

/// For `<time datetime=…>`: RFC 3339 in UTC, `2026-11-22T01:01:01Z`.
pub fn machine(unix_seconds: i64) -> String {
    rfc3339(unix_seconds, "")
}

/// As GitLab's API writes instants: `2026-11-22T01:01:01.000Z`.
pub fn machine_millis(unix_seconds: i64) -> String {
    rfc3339(unix_seconds, ".000")
}

/// Formats by hand (the API writes several instants per answer, on its
/// busiest routes); years outside 0000–9999 read as the epoch.
fn rfc3339(unix_seconds: i64, fraction: &str) -> String {
    let (mut days, mut secs) = (
        unix_seconds.div_euclid(86_400),
        unix_seconds.rem_euclid(86_400),
    );
    let (mut year, mut month, mut day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        (days, secs) = (0, 0);
        (year, month, day) = civil_from_days(days);
    }
    let mut out = String::with_capacity(20 + fraction.len());
    push_digits(&mut out, year, 4);
    out.push('-');
    push_digits(&mut out, i64::from(month), 2);
    out.push('-');
    push_digits(&mut out, i64::from(day), 2);
    out.push('T');
    push_digits(&mut out, secs / 3600, 2);
    out.push(':');
    push_digits(&mut out, secs / 60 % 60, 2);
    out.push(':');
    push_digits(&mut out, secs % 60, 2);
    out.push_str(fraction);
    out.push('Z');
    out
}

/// `n` (non-negative) zero-padded to `width` digits.
fn push_digits(out: &mut String, n: i64, width: u32) {
    for k in (0..width).rev() {
        let digit = (n / 10_i64.pow(k)) % 10;
        out.push(char::from(b'0' + digit as u8));
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
