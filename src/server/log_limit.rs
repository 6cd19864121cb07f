//! Log lines that a flood would repeat per request (the database is down,
//! say) are written at most once per interval, saying how many were held
//! back meanwhile.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// One kind of repeated line.
#[derive(Debug)]
pub struct LogLimit {
    interval_seconds: i64,
    last: AtomicI64,
    held_back: AtomicU64,
}

impl LogLimit {
    pub const fn every(interval_seconds: i64) -> Self {
        Self {
            interval_seconds,
            last: AtomicI64::new(i64::MIN),
            held_back: AtomicU64::new(0),
        }
    }

    /// Calls `log` with the number of lines held back since the last one,
    /// if a line may be written at `now` (unix seconds); else counts it.
    pub fn at(&self, now: i64, log: impl FnOnce(u64)) {
        let last = self.last.load(Ordering::Acquire);
        let due = last == i64::MIN || now - last >= self.interval_seconds;
        if due
            && self
                .last
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            log(self.held_back.swap(0, Ordering::AcqRel));
        } else {
            self.held_back.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// [`Self::at`] on the system clock.
    pub fn now(&self, log: impl FnOnce(u64)) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.at(now, log);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_count_held_back() {
        let limit = LogLimit::every(10);
        let mut written = Vec::new();
        for now in [100, 100, 101, 105, 110, 111, 125] {
            limit.at(now, |held| written.push((now, held)));
        }
        assert_eq!(written, vec![(100, 0), (110, 3), (125, 1)]);
    }
}
