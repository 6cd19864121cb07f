//! Password hashing with argon2id (m = 19456 KiB, t = 2, p = 1).
//!
//! Each hash takes ~19 MiB and tens of milliseconds of CPU, so hashing runs
//! on the blocking pool behind a small semaphore: a flood of sign-ins waits
//! briefly for a permit and is then told to try again, instead of exhausting
//! memory or starving the async runtime.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    #[error("the server is busy hashing passwords")]
    Busy,
    #[error("password hashing failed")]
    Failed,
}

#[derive(Clone, Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    wait: Duration,
    /// A hash of a random password, verified against when the user does not
    /// exist so that the response takes as long as for a wrong password.
    dummy: Arc<OnceCell<String>>,
    /// Hashes computed so far (hash or verify), for tests and metrics.
    operations: Arc<AtomicU64>,
}

fn argon2() -> Argon2<'static> {
    match Params::new(19_456, 2, 1, None) {
        Ok(params) => Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        // The constants above are valid; fall back to the crate's defaults,
        // which are the same OWASP recommendation.
        Err(_) => Argon2::default(),
    }
}

impl Passwords {
    /// `concurrency` hashes at once; a caller waits at most `wait` for a turn.
    pub fn new(concurrency: usize, wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
            dummy: Arc::new(OnceCell::new()),
            operations: Arc::new(AtomicU64::new(0)),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| HashError::Busy)?
            .map_err(|_| HashError::Failed)?;
        self.operations.fetch_add(1, Ordering::Relaxed);
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|_| HashError::Failed)?;
        Ok(out)
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
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|_| HashError::Failed)
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
            .run(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| {
                        argon2()
                            .verify_password(password.as_bytes(), &parsed)
                            .is_ok()
                    })
                    .unwrap_or(false)
            })
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
    async fn a_full_queue_answers_busy_instead_of_waiting_forever() {
        let p = Passwords::new(1, Duration::from_millis(50));
        let _held = p.permits.clone().acquire_owned().await.unwrap();
        assert_eq!(p.hash("whatever1").await, Err(HashError::Busy));
    }
}
