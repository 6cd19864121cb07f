//! Instance settings, read through a one-second cache: the API's hot path
//! and every Git request consult them. A change made through this module
//! applies at once on this instance; one made elsewhere (another instance,
//! the command line) within a second.

use super::ServiceError;
use crate::server::db::settings::{self, Settings};
use crate::server::state::Core;

pub async fn current(state: &Core) -> Result<Settings, ServiceError> {
    if let Some(settings) = state.settings.fresh() {
        return Ok(settings);
    }
    let settings = settings::get(&state.db).await?;
    state.settings.store(settings);
    Ok(settings)
}

/// Drops this instance's cached copy (the settings just changed).
pub fn forget(state: &Core) {
    state.settings.clear();
}

/// The settings as stored, bypassing this instance's cache (a form must
/// show what is saved).
pub async fn stored(state: &Core) -> Result<Settings, ServiceError> {
    Ok(settings::get(&state.db).await?)
}
