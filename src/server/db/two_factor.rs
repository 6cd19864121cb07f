//! Two-factor state of users and their recovery codes. Every change that
//! must happen once (accepting a step, using a recovery code) is one
//! conditional statement, so racing requests cannot both win. Wrong codes
//! are counted in `db::attempts`.

use super::{flag, Db};
use crate::domain::ids::UserId;
use sqlx::Row;

/// A user's two-factor record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpState {
    /// The sealed TOTP secret, while enrolling or enabled.
    pub sealed_secret: Option<String>,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

pub async fn state(db: &Db, user_id: UserId) -> Result<Option<OtpState>, sqlx::Error> {
    let row = sqlx::query("SELECT otp_secret, otp_enabled, otp_last_step FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&db.pool)
        .await?;
    row.map(|row| {
        Ok(OtpState {
            sealed_secret: row.try_get("otp_secret")?,
            enabled: flag(&row, "otp_enabled")?,
            last_step: row.try_get("otp_last_step")?,
        })
    })
    .transpose()
}

/// Stores a new secret for an enrolment in progress; false if two-factor
/// authentication is on already (its secret is never replaced).
pub async fn set_enrolment_secret(
    db: &Db,
    user_id: UserId,
    sealed: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET otp_secret = $1, otp_last_step = NULL \
         WHERE id = $2 AND otp_enabled = 0",
    )
    .bind(sealed)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns two-factor authentication on with the enrolment's secret (the
/// one `sealed` names, so a secret replaced meanwhile is not enabled),
/// remembering the confirming step, and stores the recovery code digests.
/// False if it is on already or the secret changed.
pub async fn enable(
    db: &Db,
    user_id: UserId,
    sealed: &str,
    step: i64,
    digests: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE users SET otp_enabled = 1, otp_enabled_at = $1, otp_last_step = $2, \
         otp_failures = 0, otp_failures_since = NULL, otp_locked_until = NULL \
         WHERE id = $3 AND otp_enabled = 0 AND otp_secret = $4",
    )
    .bind(now)
    .bind(step)
    .bind(user_id)
    .bind(sealed)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    insert_codes(&mut tx, user_id, digests, now).await?;
    tx.commit().await?;
    Ok(true)
}

async fn insert_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: UserId,
    digests: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for digest in digests {
        sqlx::query("INSERT INTO recovery_codes (user_id, digest, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(digest)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Replaces the recovery codes of a user with two-factor on; false if off.
pub async fn replace_recovery_codes(
    db: &Db,
    user_id: UserId,
    digests: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let enabled: Option<i64> =
        sqlx::query_scalar("SELECT otp_enabled FROM users WHERE id = $1 AND otp_enabled = 1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    if enabled.is_none() {
        return Ok(false);
    }
    insert_codes(&mut tx, user_id, digests, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Turns two-factor authentication off: secret, state and codes go.
pub async fn disable(db: &Db, user_id: UserId) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE users SET otp_secret = NULL, otp_enabled = 0, otp_enabled_at = NULL, \
         otp_last_step = NULL, otp_failures = 0, otp_failures_since = NULL, \
         otp_locked_until = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Accepts a TOTP step if it is newer than the last one accepted; of two
/// racing submissions of one code exactly one gets true.
pub async fn accept_step(db: &Db, user_id: UserId, step: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET otp_last_step = $1 \
         WHERE id = $2 AND otp_enabled = 1 AND (otp_last_step IS NULL OR otp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses a recovery code once; true for the one request that used it.
pub async fn use_recovery_code(
    db: &Db,
    user_id: UserId,
    digest: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 \
         WHERE user_id = $2 AND digest = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(digest)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many unused recovery codes a user has.
pub async fn recovery_codes_left(db: &Db, user_id: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(&db.pool)
        .await
}
