//! What Git over HTTP keeps for the life of the server.

use super::bans::AddressBans;
use std::path::PathBuf;
use std::sync::Arc;

/// Where repositories live, and the addresses refused for now.
#[derive(Debug)]
pub struct GitState {
    pub repositories: PathBuf,
    pub bans: Arc<AddressBans>,
}

impl GitState {
    pub fn new(repositories: PathBuf) -> Self {
        Self {
            repositories,
            bans: Arc::default(),
        }
    }
}
