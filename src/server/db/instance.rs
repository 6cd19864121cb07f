//! What identifies the installation a database belongs to.

use super::Db;
use sqlx::Row;

/// Records `fingerprint` as the database's server-secret fingerprint
/// unless one is recorded already, and answers the recorded one (the
/// first instance to start wins; the others compare).
pub async fn claim_fingerprint(
    db: &Db,
    fingerprint: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query(
        "INSERT INTO instance_identity (id, secret_fingerprint, created_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(fingerprint)
    .bind(now)
    .execute(&db.pool)
    .await?;
    sqlx::query("SELECT secret_fingerprint FROM instance_identity WHERE id = 1")
        .fetch_one(&db.pool)
        .await?
        .try_get("secret_fingerprint")
}
