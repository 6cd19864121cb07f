//! The installation as a whole: that every instance and command works with
//! the secret the database was first used with.

use super::ServiceError;
use crate::server::config::ServerSecret;
use crate::server::db::{instance, Db};

#[derive(Debug, thiserror::Error)]
pub enum SecretCheck {
    #[error(
        "this database was first used with another server secret (fingerprint {recorded}; this \
         one's is {ours}): with it every token and session would be refused. Give every instance \
         and command the same secret: FORGEKEY_SECRET, or the same <data-dir>/secret.key"
    )]
    Mismatch { recorded: String, ours: String },
    #[error("cannot check the server secret against the database: {0}")]
    Failed(ServiceError),
}

/// Refuses a secret other than the one the database was first used with
/// (recording this one if it is the first).
pub async fn check_secret(db: &Db, secret: &ServerSecret, now: i64) -> Result<(), SecretCheck> {
    let ours = secret.fingerprint();
    let recorded = instance::claim_fingerprint(db, &ours, now)
        .await
        .map_err(|e| SecretCheck::Failed(e.into()))?;
    if recorded == ours {
        Ok(())
    } else {
        Err(SecretCheck::Mismatch { recorded, ours })
    }
}
