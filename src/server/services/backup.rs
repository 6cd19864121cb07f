//! Backups of the installation's data.

use crate::server::db::backup::{self, BackupError};
use crate::server::state::Core;

/// Writes a consistent copy of the embedded database to `to` while the
/// server keeps serving. Tokens and sessions in it work only with the same
/// server secret: the operator keeps that beside it.
pub async fn write(core: &Core, to: &std::path::Path) -> Result<(), BackupError> {
    backup::write_sqlite(&core.db, to).await
}
