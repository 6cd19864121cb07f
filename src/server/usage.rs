//! Recording when and from where a token was last used, without a write
//! per request: at most one write per token per interval (decided in memory
//! first, then by a conditional update, so instances sharing PostgreSQL
//! write at most once per interval between them), off the request path.

use crate::domain::ids::TokenId;
use crate::server::db::tokens::{self, Token};
use crate::server::db::Db;
use quick_cache::sync::Cache;
use std::net::IpAddr;

/// GitLab's interval: ten minutes.
pub const INTERVAL_SECONDS: i64 = 600;
/// How many distinct recent client addresses are kept.
pub const MAX_IPS: usize = 5;

/// Token id → when its use was last written (or tried). Bounded like the
/// token cache, forgetting the least used first (never all at once: a
/// forgotten token costs one conditional update that writes nothing).
pub struct UsageRecorder {
    attempts: Cache<TokenId, i64>,
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
        }
    }

    /// Notes a use of `token` at `now`; writes in the background when due.
    pub fn note(&self, db: &Db, token: &Token, now: i64, ip: Option<IpAddr>) {
        let recent = |t: i64| now - t < INTERVAL_SECONDS;
        if token.last_used_at.is_some_and(recent)
            || self.attempts.get(&token.id).is_some_and(recent)
        {
            return;
        }
        // Two requests racing here both write; the update is conditional,
        // so the database keeps one.
        self.attempts.insert(token.id, now);
        let ips = merge_ips(ip, &token.last_used_ips);
        let (db, id) = (db.clone(), token.id);
        tokio::spawn(async move {
            match tokens::record_use(&db, id, now, INTERVAL_SECONDS, &ips).await {
                Ok(true) => tracing::debug!(token_id = %id, "token use recorded"),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(token_id = %id, error = %e, "could not record a token's use")
                }
            }
        });
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
