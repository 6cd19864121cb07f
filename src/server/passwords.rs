//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1).
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU, so hashing runs
//! on the blocking pool behind a small semaphore: a flood of sign-ins waits
//! briefly for a permit and is then told to try again, instead of exhausting
//! memory or starving the async runtime.
//!
//! The 19 MiB are allocated once per permit and reused: allocated and freed
//! per hash on whichever blocking thread ran it, they stayed with those
//! threads' allocator arenas after a flood (RSS 63 MB → 702 MB, 518 MB
//! half an hour later).

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    #[error("the server is busy hashing passwords")]
    Busy,
    #[error("password hashing failed")]
    Failed,
}

/// Memory for one hash, kept for the next.
type Blocks = Box<[Block]>;

#[derive(Clone, Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    wait: Duration,
    /// At most one buffer per permit, each allocated on first need.
    memory: Arc<Mutex<Vec<Blocks>>>,
    /// A hash of a random password, verified against when the user does not
    /// exist so that the response takes as long as for a wrong password.
    dummy: Arc<OnceCell<String>>,
    /// Hashes computed so far (hash or verify), for tests and metrics.
    operations: Arc<AtomicU64>,
}

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

fn params() -> Params {
    // The constants are valid; should they not be, the crate's defaults
    // are the same OWASP recommendation.
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN)).unwrap_or_default()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
}

/// Hashes `password` with `salt` into a PHC string, in `memory`.
fn hash_in(password: &[u8], salt: &SaltString, memory: &mut [Block]) -> Option<String> {
    let mut raw_salt = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut raw_salt).ok()?;
    let mut out = [0u8; OUTPUT_LEN];
    argon2()
        .hash_password_into_with_memory(password, raw_salt, &mut out, memory)
        .ok()?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: (&params()).try_into().ok()?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).ok()?),
    };
    Some(phc.to_string())
}

/// Whether `password` matches `hash`. Hashes with this module's
/// parameters are checked in `memory`; any other (older parameters) the
/// usual way, allocating.
fn verify_in(password: &[u8], hash: &str, memory: &mut [Block]) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let ours = parsed.algorithm == argon2::ARGON2ID_IDENT
        && parsed.version == Some(Version::V0x13.into())
        && Params::try_from(&parsed).is_ok_and(|p| p == params());
    let (Some(salt), Some(expected), true) = (parsed.salt, parsed.hash, ours) else {
        return argon2().verify_password(password, &parsed).is_ok();
    };
    let mut raw_salt = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut raw_salt) else {
        return false;
    };
    let mut out = [0u8; OUTPUT_LEN];
    if expected.len() != OUTPUT_LEN
        || argon2()
            .hash_password_into_with_memory(password, raw_salt, &mut out, memory)
            .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|out| out == expected)
}

impl Passwords {
    /// `concurrency` hashes at once; a caller waits at most `wait` for a turn.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
            memory: Arc::default(),
            dummy: Arc::new(OnceCell::new()),
            operations: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free, with a
    /// buffer for one hash that goes back to the pool afterwards.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                metrics::counter!("forgekey_password_hash_busy_total").increment(1);
                HashError::Busy
            })?
            .map_err(|_| HashError::Failed)?;
        self.operations.fetch_add(1, Ordering::Relaxed);
        let memory = self.memory.clone();
        let out = tokio::task::spawn_blocking(move || {
            let taken = memory.lock().ok().and_then(|mut free| free.pop());
            let mut blocks = taken.unwrap_or_else(|| {
                vec![Block::default(); params().block_count()].into_boxed_slice()
            });
            let out = work(&mut blocks);
            if let Ok(mut free) = memory.lock() {
                free.push(blocks);
            }
            drop(permit);
            out
        })
        .await
        .map_err(|_| HashError::Failed)?;
        Ok(out)
    }

    /// Allocates every permit's buffer now (the server does at start), so
    /// that hashing's memory is fixed from the first request on.
    pub fn preallocate(&self) {
        let Ok(mut free) = self.memory.lock() else {
            return;
        };
        let permits = self.permits.available_permits();
        while free.len() < permits {
            free.push(vec![Block::default(); params().block_count()].into_boxed_slice());
        }
    }

    /// How many hash buffers exist (at most one per permit).
    pub fn buffers(&self) -> usize {
        self.memory.lock().map_or(0, |free| free.len())
    }

    /// Hashes that could start now.
    pub fn free_slots(&self) -> usize {
        self.permits.available_permits()
    }

    pub fn operations(&self) -> u64 {
        self.operations.load(Ordering::Relaxed)
    }

    /// Takes every permit, as a flood of sign-ins would.
    #[cfg(test)]
    pub(crate) async fn occupy_all(&self, n: u32) -> tokio::sync::OwnedSemaphorePermit {
        self.permits.clone().acquire_many_owned(n).await.unwrap()
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let password = password.to_owned();
        self.run(move |memory| {
            let salt = SaltString::generate(&mut OsRng);
            hash_in(password.as_bytes(), &salt, memory).ok_or(HashError::Failed)
        })
        .await?
    }

    /// Verifies `password` against `hash`; with no hash (unknown user) it
    /// does the same work against a dummy hash and answers false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, HashError> {
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy_hash().await?, false),
        };
        let password = password.to_owned();
        let matches = self
            .run(move |memory| verify_in(password.as_bytes(), &hash, memory))
            .await?;
        Ok(real && matches)
    }

    async fn dummy_hash(&self) -> Result<String, HashError> {
        self.dummy
            .get_or_try_init(|| async {
                let mut random = [0u8; 24];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
                self.hash(&hex::encode(random)).await
            })
            .await
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_chosen_cost() {
        let p = Passwords::new(2, Duration::from_secs(5));
        let hash = p.hash("correct horse").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(p.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!p.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(!p.verify("correct horse", None).await.unwrap());
        assert!(!p.verify("x", Some("not a hash")).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_match_the_crates_own_both_ways() {
        let p = Passwords::new(2, Duration::from_secs(5));
        // Ours, checked by argon2's own verifier.
        let ours = p.hash("correct horse").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2().verify_password(b"correct horse", &parsed).is_ok());
        assert!(argon2().verify_password(b"wrong", &parsed).is_err());
        // Argon2's own (as stored before), checked by ours.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = argon2()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(p.verify("battery staple", Some(&theirs)).await.unwrap());
        assert!(!p.verify("battery stapler", Some(&theirs)).await.unwrap());
        // Other parameters (a cheaper hash from another setting) still work.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"old one", &salt)
        .unwrap()
        .to_string();
        assert!(p.verify("old one", Some(&cheap)).await.unwrap());
        assert!(!p.verify("old two", Some(&cheap)).await.unwrap());
    }

    #[tokio::test]
    async fn hashing_reuses_one_buffer_per_permit() {
        let p = Passwords::new(2, Duration::from_secs(5));
        let hashes: Vec<_> = (0..8)
            .map(|i| {
                let p = p.clone();
                tokio::spawn(async move { p.hash(&format!("password {i}")).await })
            })
            .collect();
        for h in hashes {
            h.await.unwrap().unwrap();
        }
        assert!((1..=2).contains(&p.buffers()), "{}", p.buffers());
        assert_eq!(p.operations(), 8);
        p.preallocate();
        assert_eq!(p.buffers(), 2, "one per permit, no more");
        p.hash("after").await.unwrap();
        assert_eq!(p.buffers(), 2);
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_instead_of_waiting_forever() {
        let p = Passwords::new(1, Duration::from_millis(50));
        let _held = p.permits.clone().acquire_owned().await.unwrap();
        assert_eq!(p.hash("whatever1").await, Err(HashError::Busy));
    }
}
