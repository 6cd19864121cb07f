//! When a mail that could not be sent is tried again: after a delay that
//! doubles from a minute up to an hour, and not after the eighth failure.

/// Failed attempts after which a mail is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// The delay in seconds before the next attempt, after `failures` failed
/// attempts (1 or more); `None` when the mail is given up.
pub fn retry_delay(failures: i64) -> Option<i64> {
    if failures >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = u32::try_from(failures.max(1) - 1).unwrap_or(0).min(6);
    Some((60_i64 << doublings).min(3_600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_an_hour_then_give_up() {
        let delays: Vec<_> = (1..=9).map(retry_delay).collect();
        assert_eq!(
            delays,
            [
                Some(60),
                Some(120),
                Some(240),
                Some(480),
                Some(960),
                Some(1_920),
                Some(3_600),
                None,
                None
            ]
        );
        assert_eq!(retry_delay(0), Some(60));
    }
}
