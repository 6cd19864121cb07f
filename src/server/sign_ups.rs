//! Sign-ups per client address: each costs a password hash and makes an
//! account, so one address may make `per_hour` at once, then one every
//! hour / `per_hour` (governor's GCRA, kept in memory per instance). The
//! server's default is ten an hour (`--sign-ups-per-address-per-hour`).

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

pub const DEFAULT_PER_HOUR: u32 = 10;

#[derive(Debug)]
pub struct SignUpLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl Default for SignUpLimiter {
    fn default() -> Self {
        Self::per_hour(DEFAULT_PER_HOUR)
    }
}

impl SignUpLimiter {
    /// At most `per_hour` sign-ups an hour from one address (at least one).
    pub fn per_hour(per_hour: u32) -> Self {
        let burst = NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(Duration::from_secs(3600) / burst.get())
            .unwrap_or_else(|| Quota::per_hour(burst))
            .allow_burst(burst);
        Self(RateLimiter::keyed(quota))
    }

    /// Takes one sign-up for `ip`; false when the address has used its
    /// share. Without a known address (not served over TCP) nothing is
    /// limited.
    pub fn allow(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else {
            return true;
        };
        if self.0.len() > 100_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&ip).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_sign_ups_from_one_address_then_it_waits() {
        let limiter = SignUpLimiter::default();
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        for _ in 0..10 {
            assert!(limiter.allow(Some(ip)));
        }
        assert!(!limiter.allow(Some(ip)));
        assert!(limiter.allow(Some("198.51.100.8".parse().unwrap())));
        assert!(limiter.allow(None));
    }
}
