//! `forgekey backup`: a consistent copy of the embedded database, taken
//! while the server runs.

use super::{CliError, Storage};
use crate::server::services::backup;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write (it must not exist yet).
    #[arg(long)]
    to: PathBuf,
}

pub async fn run(storage: &Storage, args: BackupArgs) -> Result<(), CliError> {
    backup::write(&storage.cli_core(), &args.to)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    println!(
        "Backed up to {}. Keep the server secret with it (FORGEKEY_SECRET or <data-dir>/secret.key, \
         fingerprint {}): tokens and sessions in the backup work only with that secret.",
        args.to.display(),
        storage.secret.fingerprint()
    );
    Ok(())
}
