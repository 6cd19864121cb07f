//! Online backups of the embedded database.

use super::{Backend, Db};

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "PostgreSQL is backed up with its own tools: pg_dump --format=custom --file=FILE \
         \"$DATABASE_URL\" (and restored with pg_restore --clean --dbname=\"$DATABASE_URL\" FILE)"
    )]
    Postgres,
    #[error("{0} already exists: a backup never overwrites a file")]
    Exists(String),
    #[error("cannot write the backup: {0}")]
    Write(#[from] sqlx::Error),
}

/// Writes a consistent copy of the SQLite database to `to` while it keeps
/// serving (`VACUUM INTO` reads one snapshot; writers go on meanwhile).
pub async fn write_sqlite(db: &Db, to: &std::path::Path) -> Result<(), BackupError> {
    if db.backend != Backend::Sqlite {
        return Err(BackupError::Postgres);
    }
    if to.exists() {
        return Err(BackupError::Exists(to.display().to_string()));
    }
    sqlx::query("VACUUM INTO $1")
        .bind(to.to_string_lossy().into_owned())
        .execute(&db.pool)
        .await?;
    Ok(())
}
