use super::clock::Clock;
use super::config::WebConfig;
use super::db::Db;
use super::git::GitState;
use super::passwords::Passwords;
use super::services::settings::SettingsCache;
use super::token_cache::TokenCache;
use super::usage::UsageRecorder;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Everything a request handler or server function may need.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub usage: Arc<UsageRecorder>,
    pub token_cache: Arc<TokenCache>,
    pub git: Arc<GitState>,
    pub settings: Arc<SettingsCache>,
}

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}
