//! The fast path of token authentication: a bounded in-memory map from a
//! secret's digest to its token and owner, so a busy client does not cost
//! a database query per request.
//!
//! It weakens nothing: this instance drops a token's entry the moment it
//! revokes or rotates it; changes made elsewhere (another instance, the
//! command line) reach it through the change feed (`server::change_feed`),
//! within a second by polling and at once when PostgreSQL notifies; while
//! the feed is not known to be current, an entry is trusted for at most
//! `TTL_SECONDS`. Expiry is checked against the clock on every request.
//!
//! It holds up under load: when full it evicts the entries used least
//! (quick_cache's S3-FIFO, sharded), never the whole map; many requests
//! with the same uncached token wait for one database lookup, not one
//! each; and a rotated-away secret, once handled, is refused from memory.

use crate::domain::ids::{TokenId, UserId};
use crate::domain::token::TokenDigest;
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use axum::body::Bytes;
use quick_cache::sync::{Cache, DefaultLifecycle, EntryAction, EntryResult, PlaceholderGuard};
use quick_cache::UnitWeighter;
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

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

/// How long an entry is trusted without asking the database again, when
/// the change feed is not current.
pub const TTL_SECONDS: i64 = 1;
/// How long an entry is trusted while the change feed is current (a
/// backstop: every change that matters reaches the feed).
pub const MAX_AGE_SECONDS: i64 = 300;
/// The feed is current when it was read at most this long ago (it is read
/// twice a second; a reader starved by load gets this much slack before
/// entries fall back to the one-second TTL).
pub const FEED_MAX_LAG_SECONDS: i64 = 2;
/// How many tokens are remembered unless configured otherwise.
pub const DEFAULT_CAPACITY: usize = 100_000;
/// How many rotated-away secrets are remembered as refused.
const DEAD_CAPACITY: usize = 10_000;

#[derive(Debug, Clone)]
struct Entry {
    auth: Authenticated,
    loaded_at: i64,
}

impl Entry {
    /// Whether the entry may answer at `now`; `feed_current`: every change
    /// made before about `now` has been applied to the cache.
    fn usable(&self, now: i64, feed_current: bool) -> bool {
        let age = now - self.loaded_at;
        let trusted_for = if feed_current {
            MAX_AGE_SECONDS
        } else {
            TTL_SECONDS
        };
        (0..trusted_for).contains(&age) && self.auth.token.auth_state(now).is_active()
    }
}

/// Hashes a digest by its first bytes. Digests are HMAC outputs under the
/// server's key, uniform and beyond a client's choosing, so SipHash (the
/// default, against chosen keys) would only add work to every request.
#[derive(Default, Clone)]
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

type Hash = BuildHasherDefault<DigestHasher>;
type Map<V> = Cache<TokenDigest, V, UnitWeighter, Hash>;
type Guard<'a> = PlaceholderGuard<
    'a,
    TokenDigest,
    Entry,
    UnitWeighter,
    Hash,
    DefaultLifecycle<TokenDigest, Entry>,
>;

fn map<V: Clone>(capacity: usize) -> Map<V> {
    let capacity = capacity.max(1);
    Cache::with(
        capacity,
        capacity as u64,
        UnitWeighter,
        Hash::default(),
        DefaultLifecycle::default(),
    )
}

pub struct TokenCache {
    entries: Map<Entry>,
    /// Rotated-away secrets, refused without a query; `true` once their
    /// family was revoked (presented to a rotation endpoint), which is then
    /// not done again.
    dead: Map<bool>,
    /// Bumped by every forgetting: a load that began before one may have
    /// read what was just forgotten, so it is not remembered.
    forgotten: AtomicU64,
    /// When (state clock) the change feed was last read and applied.
    synced_at: AtomicI64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("len", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .finish()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

/// What the cache knows of a secret.
pub enum Lookup<'a> {
    /// Loaded less than a TTL ago and active now.
    Hit(Authenticated),
    /// A rotated-away secret: refused without a query (unless presented to
    /// a rotation endpoint before its family was revoked).
    Dead,
    /// Not known: load it and [`Loader::fill`] the answer. Concurrent
    /// lookups of the same secret wait for this one.
    Miss(Loader<'a>),
}

/// The right to load one secret's entry.
pub struct Loader<'a> {
    cache: &'a TokenCache,
    guard: Option<Guard<'a>>,
    forgotten: u64,
}

impl Loader<'_> {
    /// Remembers an active token just read from the database, unless
    /// something was forgotten since the read began.
    pub fn fill(self, auth: &Authenticated, now: i64) {
        let Some(guard) = self.guard else {
            return;
        };
        if self.cache.forgotten.load(Ordering::Acquire) == self.forgotten {
            let _ = guard.insert(Entry {
                auth: auth.clone(),
                loaded_at: now,
            });
        }
        // Otherwise the guard drops: whoever waits loads for itself.
    }
}

impl TokenCache {
    /// A cache remembering at most about `capacity` tokens.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: map(capacity),
            dead: map(DEAD_CAPACITY),
            forgotten: AtomicU64::new(0),
            synced_at: AtomicI64::new(i64::MIN),
        }
    }

    /// Whether the change feed was applied recently enough at `now`.
    fn feed_current(&self, now: i64) -> bool {
        let synced = self.synced_at.load(Ordering::Acquire);
        synced != i64::MIN && (0..=FEED_MAX_LAG_SECONDS).contains(&(now - synced))
    }

    /// Records that every change read from the feed at `at` is applied.
    pub fn synced(&self, at: i64) {
        self.synced_at.store(at, Ordering::Release);
    }

    /// Forgets the tokens in `tokens` and every token of the users in
    /// `users` (changes read from the feed).
    pub fn forget_changed(&self, tokens: &HashSet<TokenId>, users: &HashSet<UserId>) {
        if tokens.is_empty() && users.is_empty() {
            return;
        }
        self.forget_where(|t| tokens.contains(&t.id) || users.contains(&t.user_id));
    }

    /// The token and owner for `digest`, if loaded less than a TTL ago and
    /// still active at `now`.
    pub fn get(&self, digest: &TokenDigest, now: i64) -> Option<Authenticated> {
        let feed_current = self.feed_current(now);
        self.entries
            .get(digest)
            .filter(|e| e.usable(now, feed_current))
            .map(|e| e.auth)
    }

    /// What is known of `digest` at `now`, for a request to a rotation
    /// endpoint or not; on a miss, the right to load it (or, if another
    /// request is loading it, its result once loaded).
    pub async fn lookup(&self, digest: &TokenDigest, now: i64, rotation: bool) -> Lookup<'_> {
        if let Some(hit) = self.get(digest, now) {
            return Lookup::Hit(hit);
        }
        if let Some(family_revoked) = self.dead.get(digest) {
            if family_revoked || !rotation {
                return Lookup::Dead;
            }
        }
        let forgotten = self.forgotten.load(Ordering::Acquire);
        let feed_current = self.feed_current(now);
        let usable = |_: &TokenDigest, e: &mut Entry| {
            if e.usable(now, feed_current) {
                EntryAction::Retain(e.auth.clone())
            } else {
                EntryAction::ReplaceWithGuard
            }
        };
        let guard = match self.entries.entry_async(digest, usable).await {
            EntryResult::Retained(auth) => return Lookup::Hit(auth),
            EntryResult::Vacant(guard) | EntryResult::Replaced(guard, _) => Some(guard),
            EntryResult::Removed(..) | EntryResult::Timeout => None,
        };
        Lookup::Miss(Loader {
            cache: self,
            guard,
            forgotten,
        })
    }

    /// Remembers an active token as if just read from the database.
    #[cfg(test)]
    pub(crate) fn put(&self, digest: &TokenDigest, auth: &Authenticated, now: i64) {
        self.entries.insert(
            digest.clone(),
            Entry {
                auth: auth.clone(),
                loaded_at: now,
            },
        );
    }

    /// Remembers that `digest` is a rotated-away secret (whose family was
    /// revoked, if `family_revoked`): it is refused from memory from now on.
    pub fn bury(&self, digest: &TokenDigest, family_revoked: bool) {
        if family_revoked || self.dead.get(digest).is_none() {
            self.dead.insert(digest.clone(), family_revoked);
        }
    }

    /// Forgets a token at once (it was revoked or rotated here).
    pub fn forget_token(&self, token_id: TokenId) {
        self.forget_where(|t| t.id == token_id);
    }

    /// Forgets every token of a user (blocked, deleted, password reset…),
    /// or of a rotation family.
    pub fn forget_where(&self, matches: impl Fn(&Token) -> bool) {
        self.forgotten.fetch_add(1, Ordering::AcqRel);
        self.entries.retain(|_, e| !matches(&e.auth.token));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
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
            description: None,
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
            allowed_ips: Default::default(),
            projects: Default::default(),
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
    fn a_full_map_evicts_the_least_used_not_everything() {
        let cache = TokenCache::with_capacity(1_000);
        let hot = TokenDigest::of(b"k", "hot");
        cache.put(&hot, &auth(0, 1_000), 5);
        for i in 1..5_000 {
            assert!(cache.get(&hot, 5).is_some(), "the hot token stays, at {i}");
            let d = TokenDigest::of(b"k", &i.to_string());
            cache.put(&d, &auth(i, 1_000), 5);
        }
        assert!(cache.len() <= 1_000, "{}", cache.len());
        assert!(cache.len() >= 900, "evicted one by one: {}", cache.len());
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_secret_load_it_once() {
        let cache = Arc::new(TokenCache::default());
        let d = TokenDigest::of(b"k", "cold");
        let loads = Arc::new(AtomicU64::new(0));
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, d, loads, barrier) =
                    (cache.clone(), d.clone(), loads.clone(), barrier.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    match cache.lookup(&d, 5, false).await {
                        Lookup::Hit(a) => a.token.id,
                        Lookup::Dead => panic!("not dead"),
                        Lookup::Miss(loader) => {
                            loads.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                            let a = auth(7, 1_000);
                            loader.fill(&a, 5);
                            a.token.id
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), TokenId(7));
        }
        assert_eq!(
            loads.load(Ordering::SeqCst),
            1,
            "one load for fifty requests"
        );
    }

    #[tokio::test]
    async fn a_load_that_raced_a_forgetting_is_not_remembered() {
        let cache = TokenCache::default();
        let d = TokenDigest::of(b"k", "raced");
        let Lookup::Miss(loader) = cache.lookup(&d, 5, false).await else {
            panic!("a miss");
        };
        // Read from the database (still active), then revoked meanwhile.
        cache.forget_token(TokenId(3));
        loader.fill(&auth(3, 1_000), 5);
        assert!(cache.get(&d, 5).is_none());
        assert!(matches!(cache.lookup(&d, 5, false).await, Lookup::Miss(_)));
    }

    #[tokio::test]
    async fn a_buried_secret_is_refused_from_memory() {
        let cache = TokenCache::default();
        let d = TokenDigest::of(b"k", "rotated");
        cache.bury(&d, false);
        assert!(matches!(cache.lookup(&d, 5, false).await, Lookup::Dead));
        // At a rotation endpoint, its family is yet to be revoked: loaded.
        assert!(matches!(cache.lookup(&d, 5, true).await, Lookup::Miss(_)));
        cache.bury(&d, true);
        assert!(matches!(cache.lookup(&d, 5, true).await, Lookup::Dead));
        // Once revoked, the family is not revoked again.
        cache.bury(&d, false);
        assert!(matches!(cache.lookup(&d, 5, true).await, Lookup::Dead));
    }
}
