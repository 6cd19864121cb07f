use super::clock::Clock;
use super::config::WebConfig;
use super::db::Db;
use super::git::state::GitState;
use super::passwords::Passwords;
use super::settings_cache::SettingsCache;
use super::sign_ups::SignUpLimiter;
use super::token_cache::TokenCache;
use super::usage::UsageRecorder;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a request handler or server function may need. Cloned for
/// every request (axum hands each handler its own), so it is one `Arc`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub usage: Arc<UsageRecorder>,
    pub token_cache: Arc<TokenCache>,
    pub git: Arc<GitState>,
    pub settings: Arc<SettingsCache>,
    pub sign_ups: Arc<SignUpLimiter>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
