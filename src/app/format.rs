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

fn rfc3339(unix_seconds: i64, fraction: &str) -> String {
    let t = instant(unix_seconds);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
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
