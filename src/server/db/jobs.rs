//! Leases for the daily jobs: one row per job says which day last ran and
//! who holds it now, so that instances sharing a database run each job
//! once a day between them.

use super::Db;

/// Takes the lease on `job` for `holder` until `until`, if no one holds it
/// (or their lease ran out: they crashed) and, unless `force`, the job has
/// not run for `day` (`YYYY-MM-DD`) yet. One conditional update: of
/// several instances trying at once, one wins.
pub async fn claim(
    db: &Db,
    job: &str,
    holder: &str,
    now: i64,
    until: i64,
    day: &str,
    force: bool,
) -> Result<bool, sqlx::Error> {
    sqlx::query("INSERT INTO job_runs (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(job)
        .execute(&db.pool)
        .await?;
    let day_condition = if force {
        ""
    } else {
        "AND (last_day IS NULL OR last_day < $5)"
    };
    let sql = format!(
        "UPDATE job_runs SET holder = $1, lease_until = $2 \
         WHERE name = $3 AND (lease_until IS NULL OR lease_until <= $4) {day_condition}"
    );
    let mut query = sqlx::query(&sql)
        .bind(holder)
        .bind(until)
        .bind(job)
        .bind(now);
    if !force {
        query = query.bind(day);
    }
    Ok(query.execute(&db.pool).await?.rows_affected() == 1)
}

/// Records `day` as done and gives the lease back.
pub async fn finish(db: &Db, job: &str, holder: &str, day: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE job_runs SET last_day = $1, holder = NULL, lease_until = NULL \
         WHERE name = $2 AND holder = $3",
    )
    .bind(day)
    .bind(job)
    .bind(holder)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Gives the lease back without recording a run (the job failed).
pub async fn release(db: &Db, job: &str, holder: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE job_runs SET holder = NULL, lease_until = NULL WHERE name = $1 AND holder = $2",
    )
    .bind(job)
    .bind(holder)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Gives back every lease `holder` has (it is shutting down).
pub async fn release_all(db: &Db, holder: &str) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE job_runs SET holder = NULL, lease_until = NULL WHERE holder = $1")
            .bind(holder)
            .execute(&db.pool)
            .await?
            .rows_affected(),
    )
}

/// The last day `job` ran for, if it ever did.
pub async fn last_day(db: &Db, job: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT last_day FROM job_runs WHERE name = $1")
            .bind(job)
            .fetch_optional(&db.pool)
            .await?
            .flatten(),
    )
}
