//! Recording when and from where a token was last used, without a write
//! per request: at most one write per token per interval (decided in memory
//! first, then by a conditional update, so instances sharing PostgreSQL
//! write at most once per interval between them), off the request path,
//! and in batches: uses due within a moment go out in one transaction, so
//! a hundred thousand tokens used for the first time cost a few hundred
//! transactions, not a hundred thousand tasks waiting for a connection.

use crate::domain::ids::TokenId;
use crate::server::db::tokens::{self, Token};
use crate::server::db::Db;
use quick_cache::sync::Cache;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// GitLab's interval: ten minutes.
pub const INTERVAL_SECONDS: i64 = 600;
/// How many distinct recent client addresses are kept.
pub const MAX_IPS: usize = 5;
/// How long uses gather before they are written.
const GATHER: Duration = Duration::from_millis(50);
/// Uses per transaction.
const BATCH: usize = 500;

type Pending = HashMap<TokenId, (i64, Vec<String>)>;

/// Token id → when its use was last written (or queued). Bounded like the
/// token cache, forgetting the least used first (never all at once: a
/// forgotten token costs one conditional update that writes nothing).
pub struct UsageRecorder {
    attempts: Cache<TokenId, i64>,
    /// Uses waiting to be written; at most one writer is scheduled for them.
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageRecorder")
            .field("tracked", &self.attempts.len())
            .finish()
    }
}

impl Default for UsageRecorder {
    fn default() -> Self {
        Self::with_capacity(crate::server::token_cache::DEFAULT_CAPACITY)
    }
}

/// The addresses to store: `ip` first, then the previous ones, distinct.
pub fn merge_ips(ip: Option<IpAddr>, previous: &[String]) -> Vec<String> {
    let mut ips: Vec<String> = ip.map(|ip| ip.to_string()).into_iter().collect();
    for old in previous {
        if !ips.contains(old) {
            ips.push(old.clone());
        }
    }
    ips.truncate(MAX_IPS);
    ips
}

impl UsageRecorder {
    /// Tracks about `capacity` tokens (the token cache's capacity).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            attempts: Cache::new(capacity.max(1)),
            pending: Mutex::default(),
        }
    }

    /// Notes a use of `token` at `now`; it is written shortly, in the
    /// background, when due.
    pub fn note(self: &Arc<Self>, db: &Db, token: &Token, now: i64, ip: Option<IpAddr>) {
        let recent = |t: i64| now - t < INTERVAL_SECONDS;
        if token.last_used_at.is_some_and(recent)
            || self.attempts.get(&token.id).is_some_and(recent)
        {
            return;
        }
        self.attempts.insert(token.id, now);
        let ips = merge_ips(ip, &token.last_used_ips);
        let first = {
            let Ok(mut pending) = self.pending.lock() else {
                return;
            };
            let first = pending.is_empty();
            pending.insert(token.id, (now, ips));
            first
        };
        if first {
            let (recorder, db) = (self.clone(), db.clone());
            tokio::spawn(async move {
                tokio::time::sleep(GATHER).await;
                recorder.write_pending(&db).await;
            });
        }
    }

    /// Writes every pending use, a batch per transaction. A batch that
    /// fails is forgotten, so those tokens' next uses are noted again.
    async fn write_pending(&self, db: &Db) {
        let taken = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return,
        };
        let uses: Vec<_> = taken
            .into_iter()
            .map(|(id, (now, ips))| (id, now, ips))
            .collect();
        for batch in uses.chunks(BATCH) {
            match tokens::record_uses(db, batch, INTERVAL_SECONDS).await {
                Ok(0) => {}
                Ok(written) => tracing::debug!(written, "token use recorded"),
                Err(e) => {
                    for (id, ..) in batch {
                        self.attempts.remove(id);
                    }
                    static LINES: crate::server::log_limit::LogLimit =
                        crate::server::log_limit::LogLimit::every(10);
                    LINES.now(|held_back| {
                        tracing::warn!(error = %e, held_back, "could not record tokens' use")
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_newest_first_and_bounded() {
        let old: Vec<String> = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]
            .map(String::from)
            .to_vec();
        let ip: IpAddr = "10.0.0.3".parse().unwrap();
        assert_eq!(
            merge_ips(Some(ip), &old),
            ["10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5"]
        );
        let new: IpAddr = "::1".parse().unwrap();
        assert_eq!(merge_ips(Some(new), &old)[0], "::1");
        assert_eq!(merge_ips(Some(new), &old).len(), 5);
        assert_eq!(merge_ips(None, &old[..1]), ["10.0.0.1"]);
    }
}
