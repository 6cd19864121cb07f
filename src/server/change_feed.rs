//! This instance's reader of the change feed (`services::tokens::
//! sync_changes`): twice a second, and at once when PostgreSQL notifies
//! that a token or user changed, what the token cache holds of changed
//! tokens is forgotten. A revocation made on another instance or by the
//! command line so applies here within a second (PostgreSQL: about a
//! network round trip).

use crate::server::db::Backend;
use crate::server::services::tokens::{sync_changes, FeedCursor};
use crate::server::state::AppState;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often the feed is read without a notification.
const INTERVAL: Duration = Duration::from_millis(500);
/// The PostgreSQL channel the triggers notify.
const CHANNEL: &str = "forgekey_auth_changes";

/// Starts reading the feed; with PostgreSQL at `url`, also listens for its
/// notifications.
pub fn spawn(state: AppState, url: String) -> Vec<tokio::task::JoinHandle<()>> {
    let poke = Arc::new(Notify::new());
    let mut tasks = Vec::new();
    if state.db.backend == Backend::Postgres {
        tasks.push(tokio::spawn(listen(url, poke.clone())));
    }
    tasks.push(tokio::spawn(async move {
        let mut cursor = FeedCursor::default();
        let mut failing = false;
        loop {
            match sync_changes(&state, &mut cursor).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("change feed read again");
                }
                Ok(_) => {}
                // Said once per outage: meanwhile the cache trusts entries
                // for a second only, as without a feed.
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "cannot read the change feed");
                }
                Err(_) => {}
            }
            let _ = tokio::time::timeout(INTERVAL, poke.notified()).await;
        }
    }));
    tasks
}

/// Listens on the channel and pokes the reader on each notification;
/// reconnects after a failure.
async fn listen(url: String, poke: Arc<Notify>) {
    let mut delay = Duration::from_millis(250);
    loop {
        match sqlx::postgres::PgListener::connect(&url).await {
            Ok(mut listener) => {
                if listener.listen(CHANNEL).await.is_ok() {
                    delay = Duration::from_millis(250);
                    // A missed notification costs at most one interval.
                    poke.notify_one();
                    while listener.recv().await.is_ok() {
                        poke.notify_one();
                    }
                }
            }
            Err(e) => tracing::debug!(error = %e, "change feed listener cannot connect"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
