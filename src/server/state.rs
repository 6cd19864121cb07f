//! The state the server runs on, in two rings: `Core`, what services work
//! with (database, configuration and keys, clock, caches), and around it
//! what only the web needs (Leptos' options, the sign-up limiter). Services
//! take `&Core`, so the command line and the jobs need no web parts, and a
//! handler passes its `&AppState` as it is (it dereferences to the core).

use super::clock::Clock;
use super::config::WebConfig;
use super::db::Db;
use super::git::state::GitState;
use super::passwords::Passwords;
use super::probes::Readiness;
use super::registry::key::SigningKey;
use super::services::addresses::AddressMemory;
use super::settings_cache::SettingsCache;
use super::sign_ups::SignUpLimiter;
use super::token_cache::TokenCache;
use super::usage::UsageRecorder;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What services work with. No web framework in it.
#[derive(Debug)]
pub struct Core {
    pub db: Db,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    pub passwords: Passwords,
    pub usage: Arc<UsageRecorder>,
    /// Where tokens were used from, as this instance already recorded it.
    pub addresses: Arc<AddressMemory>,
    pub token_cache: Arc<TokenCache>,
    pub git: Arc<GitState>,
    pub settings: Arc<SettingsCache>,
    /// What registry tokens are signed with (`None`: this core signs none,
    /// and `/jwt/auth` is not found).
    pub registry_key: Option<Arc<SigningKey>>,
}

impl Core {
    /// A core on `db` with its caches empty, Git repositories under
    /// `repositories`, and password hashing sized to this machine: one
    /// hash per core at once, a request waiting at most 3 s for its turn.
    pub fn new(db: Db, config: WebConfig, clock: Arc<dyn Clock>, repositories: PathBuf) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            db,
            config: Arc::new(config),
            clock,
            passwords: Passwords::new(cores.max(2), Duration::from_secs(3)),
            usage: Default::default(),
            addresses: Default::default(),
            token_cache: Default::default(),
            git: Arc::new(GitState::new(repositories)),
            settings: Default::default(),
            registry_key: None,
        }
    }

    /// This core, signing registry tokens with `key`.
    pub fn with_registry_key(mut self, key: SigningKey) -> Self {
        self.registry_key = Some(Arc::new(key));
        self
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Everything a request handler or server function may need. Cloned for
/// every request (axum hands each handler its own), so it is one `Arc`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub core: Core,
    pub sign_ups: Arc<SignUpLimiter>,
    pub readiness: Readiness,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, core: Core) -> Self {
        Self::with_sign_ups(leptos_options, core, Arc::default())
    }

    pub fn with_sign_ups(
        leptos_options: LeptosOptions,
        core: Core,
        sign_ups: Arc<SignUpLimiter>,
    ) -> Self {
        Self(Arc::new(Shared {
            leptos_options,
            core,
            sign_ups,
            readiness: Readiness::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl std::ops::Deref for Shared {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
