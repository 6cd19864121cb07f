//! A per-hour quota in whole seconds (the generic cell rate algorithm, as
//! rate limiters implement it in memory): `per_hour` at once, then one every
//! hour / `per_hour`. The state is one instant, the "theoretical arrival
//! time", so it can be kept in a database row shared by instances.

/// At most `per_hour` an hour, all of them at once if need be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourlyQuota {
    per_hour: i64,
}

impl HourlyQuota {
    /// At least one an hour.
    pub fn per_hour(per_hour: u32) -> Self {
        Self {
            per_hour: i64::from(per_hour.max(1)),
        }
    }

    /// Seconds between two once the burst is spent.
    pub fn interval(self) -> i64 {
        (3_600 / self.per_hour).max(1)
    }

    /// Takes one at `now` given the stored arrival time (`None`: never
    /// used): the one to store, or `None` when the quota is spent.
    pub fn take(self, stored: Option<i64>, now: i64) -> Option<i64> {
        let interval = self.interval();
        let tolerance = interval * (self.per_hour - 1);
        let arrival = stored.unwrap_or(now).max(now);
        (arrival - now <= tolerance).then_some(arrival + interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_at_once_then_one_every_six_minutes() {
        let quota = HourlyQuota::per_hour(10);
        let mut stored = None;
        for _ in 0..10 {
            stored = Some(quota.take(stored, 1_000).unwrap());
        }
        assert_eq!(quota.take(stored, 1_000), None);
        assert_eq!(quota.take(stored, 1_359), None);
        let next = quota.take(stored, 1_360).unwrap();
        assert_eq!(
            quota.take(Some(next), 1_360),
            None,
            "one, not another burst"
        );
        // An hour of quiet gives the whole burst back.
        let mut later = Some(next);
        for _ in 0..10 {
            later = Some(quota.take(later, 1_360 + 3_600).unwrap());
        }
        assert_eq!(quota.take(later, 1_360 + 3_600), None);
        assert_eq!(HourlyQuota::per_hour(0).take(None, 5), Some(3_605));
    }
}
