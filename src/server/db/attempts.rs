//! The attempt counters kept on each user's row (`domain::lockout`): read
//! and written under the row's write lock, so that the domain's rule sees
//! every racing attempt, on one instance or many sharing PostgreSQL.

use super::Db;
use crate::domain::ids::UserId;
use crate::domain::lockout::Attempts;
use sqlx::Row;

/// Which of a user's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Passwords: sign-in and every re-check of the password.
    Password,
    /// The second sign-in step: TOTP and recovery codes.
    SecondStep,
}

/// A counter's columns on `users` (no window column: failures count until
/// a right password).
struct Columns {
    failures: &'static str,
    window_start: Option<&'static str>,
    locked_until: &'static str,
    in_flight: &'static str,
    in_flight_until: &'static str,
}

impl Counter {
    fn columns(self) -> Columns {
        match self {
            Self::Password => Columns {
                failures: "failed_sign_ins",
                window_start: None,
                locked_until: "locked_until",
                in_flight: "sign_in_in_flight",
                in_flight_until: "sign_in_in_flight_until",
            },
            Self::SecondStep => Columns {
                failures: "otp_failures",
                window_start: Some("otp_failures_since"),
                locked_until: "otp_locked_until",
                in_flight: "otp_in_flight",
                in_flight_until: "otp_in_flight_until",
            },
        }
    }
}

/// Reads user `user_id`'s counter under the row's write lock, stores the
/// state `change` computes from it (when it differs) and returns what
/// `change` said; `None` when there is no such user.
pub async fn change<T>(
    db: &Db,
    counter: Counter,
    user_id: UserId,
    change: impl FnOnce(Attempts) -> (Attempts, T),
) -> Result<Option<T>, sqlx::Error> {
    let c = counter.columns();
    let mut tx = db.begin_write().await?;
    // A write that changes nothing takes the row's lock on PostgreSQL (and
    // SQLite's write lock is held since BEGIN IMMEDIATE).
    let locked = sqlx::query(&format!(
        "UPDATE users SET {f} = {f} WHERE id = $1",
        f = c.in_flight
    ))
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if locked.rows_affected() != 1 {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT {failures} AS failures, {window} AS window_start, {locked} AS locked_until, \
         {in_flight} AS in_flight, {until} AS in_flight_until FROM users WHERE id = $1",
        failures = c.failures,
        window = c.window_start.unwrap_or("NULL"),
        locked = c.locked_until,
        in_flight = c.in_flight,
        until = c.in_flight_until,
    ))
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    let before = Attempts {
        failures: row.try_get("failures")?,
        window_start: row.try_get::<Option<i64>, _>("window_start")?,
        locked_until: row.try_get("locked_until")?,
        in_flight: row.try_get("in_flight")?,
        in_flight_until: row.try_get("in_flight_until")?,
    };
    let (after, out) = change(before);
    if after != before {
        let window = c
            .window_start
            .map(|column| format!(", {column} = $6"))
            .unwrap_or_default();
        let sql = format!(
            "UPDATE users SET {failures} = $2, {locked} = $3, {in_flight} = $4, \
             {until} = $5{window} WHERE id = $1",
            failures = c.failures,
            locked = c.locked_until,
            in_flight = c.in_flight,
            until = c.in_flight_until,
        );
        let mut update = sqlx::query(&sql)
            .bind(user_id)
            .bind(after.failures)
            .bind(after.locked_until)
            .bind(after.in_flight)
            .bind(after.in_flight_until);
        if c.window_start.is_some() {
            update = update.bind(after.window_start);
        }
        update.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(Some(out))
}

/// The failures of a client address (Git over HTTP), shared by the
/// instances: read under the row's write lock (the row created on first
/// use), the state `change` computes stored, and what it said returned.
/// Checks in flight are not stored here (`in_flight` reads 0).
pub async fn change_address<T>(
    db: &Db,
    address: &str,
    now: i64,
    change: impl FnOnce(Attempts) -> (Attempts, T),
) -> Result<T, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO address_attempts (address, updated_at) VALUES ($1, $2) \
         ON CONFLICT (address) DO NOTHING",
    )
    .bind(address)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // Takes the row's lock (SQLite holds its write lock since BEGIN).
    sqlx::query("UPDATE address_attempts SET failures = failures WHERE address = $1")
        .bind(address)
        .execute(&mut *tx)
        .await?;
    let before = address_row(&mut *tx, address).await?.unwrap_or_default();
    let (after, out) = change(before);
    if after != before {
        sqlx::query(
            "UPDATE address_attempts SET failures = $2, window_start = $3, locked_until = $4, \
             updated_at = $5 WHERE address = $1",
        )
        .bind(address)
        .bind(after.failures)
        .bind(after.window_start)
        .bind(after.locked_until)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

async fn address_row<'e, E>(executor: E, address: &str) -> Result<Option<Attempts>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let Some(row) = sqlx::query(
        "SELECT failures, window_start, locked_until FROM address_attempts WHERE address = $1",
    )
    .bind(address)
    .fetch_optional(executor)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(Attempts {
        failures: row.try_get("failures")?,
        window_start: row.try_get("window_start")?,
        locked_until: row.try_get("locked_until")?,
        in_flight: 0,
        in_flight_until: None,
    }))
}

/// The stored failures and ban of `address` (nothing in flight).
pub async fn address_state(db: &Db, address: &str) -> Result<Attempts, sqlx::Error> {
    Ok(address_row(&db.pool, address).await?.unwrap_or_default())
}

/// Deletes address rows untouched since `before` that hold no ban in
/// force at `now`.
pub async fn purge_addresses(db: &Db, before: i64, now: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM address_attempts WHERE updated_at < $1 \
         AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(before)
    .bind(now)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// What a client address's hourly quota is for: each its own table of
/// next arrival times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaTable {
    SignUps,
    PasswordResets,
    LeakReports,
}

impl QuotaTable {
    fn table(self) -> &'static str {
        match self {
            Self::SignUps => "sign_up_quota",
            Self::PasswordResets => "password_reset_quota",
            Self::LeakReports => "leak_report_quota",
        }
    }
}

/// Takes one from `address`'s quota in `table` under the row's write lock:
/// `take` gets the stored arrival time and answers the one to store, or
/// `None` when the quota is spent. Rows whose time has passed are deleted
/// on the way. Returns whether one was taken.
pub async fn take_quota(
    db: &Db,
    table: QuotaTable,
    address: &str,
    now: i64,
    take: impl FnOnce(Option<i64>) -> Option<i64>,
) -> Result<bool, sqlx::Error> {
    let table = table.table();
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!("DELETE FROM {table} WHERE arrival <= $1"))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(&format!(
        "INSERT INTO {table} (address, arrival) VALUES ($1, $2) \
         ON CONFLICT (address) DO NOTHING"
    ))
    .bind(address)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let stored: i64 = sqlx::query_scalar(&format!(
        "UPDATE {table} SET arrival = arrival WHERE address = $1 RETURNING arrival"
    ))
    .bind(address)
    .fetch_one(&mut *tx)
    .await?;
    let Some(next) = take(Some(stored)) else {
        return Ok(false);
    };
    sqlx::query(&format!(
        "UPDATE {table} SET arrival = $2 WHERE address = $1"
    ))
    .bind(address)
    .bind(next)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}
