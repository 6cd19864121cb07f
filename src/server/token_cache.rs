//! The fast path of token authentication: a bounded in-memory map from a
//! secret's digest to its token and owner, so a busy client does not cost
//! a database query per request.
//!
//! It weakens nothing: an entry is trusted for at most `TTL_SECONDS` (so a
//! revocation made by another instance sharing the database takes effect
//! within a second), this instance drops a token's entry the moment it
//! revokes or rotates it, and expiry is still checked against the clock on
//! every request.

use crate::domain::ids::TokenId;
use crate::domain::token::TokenDigest;
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use axum::body::Bytes;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock, RwLock};

/// A presented secret that works, and whose it is (shared with the cache:
/// a hit copies no strings).
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub token: Arc<Token>,
    pub user: Arc<User>,
    /// The owner's `GET /api/v4/user` answer, rendered by the API at most
    /// once per cache entry and shared by every hit on it; it goes with the
    /// entry, so it is never older than the `user` beside it.
    pub user_answer: Arc<OnceLock<RenderedAnswer>>,
}

/// A JSON answer rendered for one base URL (links in it name the host).
#[derive(Debug)]
pub struct RenderedAnswer {
    pub base_url: String,
    pub body: Bytes,
}

/// How long an entry is trusted without asking the database again.
pub const TTL_SECONDS: i64 = 1;
/// At most this many tokens are remembered.
pub const CAPACITY: usize = 10_000;

#[derive(Debug, Clone)]
struct Entry {
    auth: Authenticated,
    loaded_at: i64,
}

/// Hashes a digest by its first bytes. Digests are HMAC outputs under the
/// server's key, uniform and beyond a client's choosing, so SipHash (the
/// default, against chosen keys) would only add work to every request.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut first = [0u8; 8];
        let n = bytes.len().min(8);
        first[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(first);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Map = HashMap<TokenDigest, Entry, BuildHasherDefault<DigestHasher>>;

#[derive(Debug, Default)]
pub struct TokenCache {
    entries: RwLock<Map>,
}

impl TokenCache {
    /// The token and owner for `digest`, if loaded less than a TTL ago and
    /// still active at `now`.
    pub fn get(&self, digest: &TokenDigest, now: i64) -> Option<Authenticated> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(digest)?;
        let fresh = now >= entry.loaded_at && now - entry.loaded_at < TTL_SECONDS;
        (fresh && entry.auth.token.is_active(now)).then(|| entry.auth.clone())
    }

    /// Remembers an active token just read from the database.
    pub fn put(&self, digest: &TokenDigest, auth: &Authenticated, now: i64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, e| now - e.loaded_at < TTL_SECONDS);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(
            digest.clone(),
            Entry {
                auth: auth.clone(),
                loaded_at: now,
            },
        );
    }

    /// Forgets a token at once (it was revoked or rotated here).
    pub fn forget_token(&self, token_id: TokenId) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| e.auth.token.id != token_id);
        }
    }

    /// Forgets every token of a user (blocked, deleted, password reset…),
    /// or of a rotation family.
    pub fn forget_where(&self, matches: impl Fn(&Token) -> bool) {
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|_, e| !matches(&e.auth.token));
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    fn auth(id: i64, expires_at: i64) -> Authenticated {
        Authenticated {
            token: Arc::new(token(id, expires_at)),
            user: Arc::new(user()),
            user_answer: Arc::default(),
        }
    }

    fn token(id: i64, expires_at: i64) -> Token {
        Token {
            id: TokenId(id),
            user_id: UserId(1),
            name: "t".into(),
            scopes: vec![],
            created_at: 0,
            expires_at: Some(expires_at),
            last_used_at: None,
            last_used_ips: vec![],
            revoked_at: None,
            family_id: TokenId(id),
            rotated_at: None,
            impersonation: false,
            created_by: None,
        }
    }

    fn user() -> User {
        User {
            id: UserId(1),
            username: "u".into(),
            email: "u@example.com".into(),
            is_admin: false,
            two_factor_enabled: false,
            session_epoch: 0,
            created_at: 0,
            last_sign_in_at: None,
            blocked_at: None,
        }
    }

    #[test]
    fn entries_live_one_second_and_never_past_expiry() {
        let cache = TokenCache::default();
        let d = TokenDigest::of(b"k", "secret");
        cache.put(&d, &auth(1, 1_000), 100);
        assert!(cache.get(&d, 100).is_some());
        assert!(cache.get(&d, 101).is_none(), "stale after the TTL");
        cache.put(&d, &auth(1, 1_000), 999);
        assert!(cache.get(&d, 999).is_some());
        cache.put(&d, &auth(1, 1_000), 1_000);
        assert!(cache.get(&d, 1_000).is_none(), "expired at its instant");
        assert!(cache.get(&TokenDigest::of(b"k", "other"), 999).is_none());
    }

    #[test]
    fn forgetting_is_immediate() {
        let cache = TokenCache::default();
        let (a, b) = (TokenDigest::of(b"k", "a"), TokenDigest::of(b"k", "b"));
        cache.put(&a, &auth(1, 1_000), 5);
        cache.put(&b, &auth(2, 1_000), 5);
        cache.forget_token(TokenId(1));
        assert!(cache.get(&a, 5).is_none());
        assert!(cache.get(&b, 5).is_some());
        cache.forget_where(|t| t.user_id == UserId(1));
        assert!(cache.is_empty());
    }

    #[test]
    fn the_map_is_bounded() {
        let cache = TokenCache::default();
        for i in 0..(CAPACITY as i64 + 10) {
            let d = TokenDigest::of(b"k", &i.to_string());
            cache.put(&d, &auth(i, 1_000), 5);
        }
        assert!(cache.len() <= CAPACITY);
    }
}
