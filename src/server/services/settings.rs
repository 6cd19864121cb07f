//! Instance settings, read through a one-second cache: the API's hot path
//! and every Git request consult them. A change made through this module
//! applies at once on this instance; one made elsewhere (another instance,
//! the command line) within a second.

use super::ServiceError;
use crate::server::db::settings::{self, Settings};
use crate::server::state::AppState;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct SettingsCache(Mutex<Option<(Instant, Settings)>>);

impl SettingsCache {
    fn fresh(&self) -> Option<Settings> {
        let cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cached
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, settings)| settings)
    }

    fn store(&self, settings: Settings) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), settings));
    }
}

pub async fn current(state: &AppState) -> Result<Settings, ServiceError> {
    if let Some(settings) = state.settings.fresh() {
        return Ok(settings);
    }
    let settings = settings::get(&state.db).await?;
    state.settings.store(settings);
    Ok(settings)
}

/// Drops this instance's cached copy (the settings just changed).
pub fn forget(state: &AppState) {
    *state.settings.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
}
