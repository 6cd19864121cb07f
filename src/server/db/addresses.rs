//! Where tokens were used from: the addresses seen per rotation family,
//! and the refusals of requests from outside a token's allow list (one a
//! token, address and day).

use crate::domain::ids::TokenId;

/// Remembers that token family `family_id` was used from `address`;
/// `true` when it had never been before.
pub async fn remember<'e, E>(
    executor: E,
    family_id: TokenId,
    address: &str,
    now: i64,
) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let inserted = sqlx::query(
        "INSERT INTO token_addresses (family_id, address, first_seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (family_id, address) DO NOTHING",
    )
    .bind(family_id)
    .bind(address)
    .bind(now)
    .execute(executor)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// How many addresses token family `family_id` was first seen from at or
/// after `since`.
pub async fn count_new_since<'e, E>(
    executor: E,
    family_id: TokenId,
    since: i64,
) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM token_addresses WHERE family_id = $1 AND first_seen_at >= $2",
    )
    .bind(family_id)
    .bind(since)
    .fetch_one(executor)
    .await
}

/// Records a refused request with token `token_id` from `address` on UTC
/// day `day` (days since 1970); `true` for the first of that day.
pub async fn note_refusal<'e, E>(
    executor: E,
    token_id: TokenId,
    address: &str,
    day: i64,
) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let inserted = sqlx::query(
        "INSERT INTO token_address_refusals (token_id, address, day) VALUES ($1, $2, $3) \
         ON CONFLICT (token_id, address, day) DO NOTHING",
    )
    .bind(token_id)
    .bind(address)
    .bind(day)
    .execute(executor)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Forgets refusals of days before `day`, and the addresses of token
/// families no token is left of; returns how many rows went.
pub async fn prune(db: &super::Db, day: i64) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let refusals = sqlx::query("DELETE FROM token_address_refusals WHERE day < $1")
        .bind(day)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let addresses = sqlx::query(
        "DELETE FROM token_addresses WHERE NOT EXISTS (SELECT 1 FROM personal_access_tokens t \
         WHERE t.id = token_addresses.family_id OR t.family_id = token_addresses.family_id)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(refusals + addresses)
}
