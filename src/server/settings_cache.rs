//! This instance's copy of the instance settings, trusted for a second:
//! the API's hot path and every Git request consult them
//! (`services::settings` reads through it).

use crate::domain::settings::Settings;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct SettingsCache(Mutex<Option<(Instant, Settings)>>);

impl SettingsCache {
    /// The copy, if stored less than a second ago.
    pub fn fresh(&self) -> Option<Settings> {
        let cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, settings)| settings)
    }

    pub fn store(&self, settings: Settings) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), settings));
    }

    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
