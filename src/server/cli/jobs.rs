//! `forgekey jobs run`: a daily job by hand.

use super::{CliError, Storage};
use crate::domain::expiry::Job;
use crate::server::clock::{Clock, ManualClock, SystemClock};
use crate::server::services::jobs;
use clap::{Subcommand, ValueEnum};
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run one job now: expiring-60-days, expiring-30-days and expiring-soon (mail owners of
    /// tokens expiring within 60, 30 and 7 days; 01:00 UTC), expiring-today (tokens expiring
    /// today; 02:00 UTC) or purge-revoked (deletes revoked tokens past their retention). Each
    /// token gets each notice once, however often a job runs.
    Run {
        #[arg(value_enum)]
        name: JobName,
        /// Run as at this instant (RFC 3339, e.g. 2026-11-22T01:00:00Z), e.g. to catch up a day.
        #[arg(long)]
        at: Option<String>,
        /// The URL links in mail point to.
        #[arg(long, env = "FORGEKEY_PUBLIC_URL")]
        public_url: Option<url::Url>,
    },
}

/// The daily jobs by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JobName {
    #[value(name = "expiring-60-days")]
    Expiring60Days,
    #[value(name = "expiring-30-days")]
    Expiring30Days,
    ExpiringSoon,
    ExpiringToday,
    PurgeRevoked,
    RevokeUnused,
}

impl From<JobName> for Job {
    fn from(name: JobName) -> Self {
        match name {
            JobName::Expiring60Days => Job::Expiring60Days,
            JobName::Expiring30Days => Job::Expiring30Days,
            JobName::ExpiringSoon => Job::ExpiringSoon,
            JobName::ExpiringToday => Job::ExpiringToday,
            JobName::PurgeRevoked => Job::PurgeRevoked,
            JobName::RevokeUnused => Job::RevokeUnused,
        }
    }
}

pub async fn run(storage: &Storage, command: JobsCommand) -> Result<(), CliError> {
    let JobsCommand::Run {
        name,
        at,
        public_url,
    } = command;
    let job = Job::from(name);
    let clock: Arc<dyn Clock> = match at.as_deref() {
        Some(at) => {
            let at =
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        CliError(format!(
                        "--at must be an RFC 3339 instant such as 2026-11-22T01:00:00Z, not '{at}'"
                    ))
                    })?;
            Arc::new(ManualClock::at(at.unix_timestamp()))
        }
        None => Arc::new(SystemClock),
    };
    let mut config = storage.cli_config();
    config.public_url = public_url;
    let core = storage.core(config, clock);
    match jobs::run_now(&core, job, &jobs::holder_name(), jobs::Limits::default()).await? {
        Some(report) if job == Job::PurgeRevoked => {
            println!("Deleted {} revoked tokens.", report.deleted)
        }
        Some(report) if job == Job::RevokeUnused => println!(
            "Warned of {} unused tokens and revoked {}, in {} mails.",
            report.tokens, report.revoked, report.mails
        ),
        Some(report) => println!(
            "Sent {} mails about {} tokens.",
            report.mails, report.tokens
        ),
        None => {
            return Err(CliError(format!(
                "'{}' is running elsewhere right now (another instance holds its lease)",
                job.name()
            )))
        }
    }
    Ok(())
}
