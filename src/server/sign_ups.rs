//! How many sign-ups one client address may make: each costs a password
//! hash and makes an account, so an address may make `per_hour` at once,
//! then one every hour / `per_hour` (`domain::quota`, counted in the
//! database so that every instance enforces one limit:
//! `services::attempts::take_sign_up`). The server's default is ten an
//! hour (`--sign-ups-per-address-per-hour`).

use crate::domain::quota::HourlyQuota;

pub const DEFAULT_PER_HOUR: u32 = 10;

#[derive(Debug, Clone, Copy)]
pub struct SignUpLimiter(HourlyQuota);

impl Default for SignUpLimiter {
    fn default() -> Self {
        Self::per_hour(DEFAULT_PER_HOUR)
    }
}

impl SignUpLimiter {
    /// At most `per_hour` sign-ups an hour from one address (at least one).
    pub fn per_hour(per_hour: u32) -> Self {
        Self(HourlyQuota::per_hour(per_hour))
    }

    pub fn quota(&self) -> HourlyQuota {
        self.0
    }
}
