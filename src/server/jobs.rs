//! This instance's background work: the scheduler (once a minute, each
//! daily job that is due runs, here or on another instance that took its
//! lease first; what a job does is `services::jobs`) and the mail sender.

use crate::domain::expiry::Job;
use crate::server::mailer::Mailer;
use crate::server::services::jobs::{holder_name, run_if_due};
use crate::server::services::mail;
use crate::server::state::AppState;

/// How often the outbox is looked at.
const SEND_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// How often the scheduler looks at the clock.
const TICK: std::time::Duration = std::time::Duration::from_secs(60);

/// Starts this instance's scheduler: once a minute, each due job runs
/// (here, or on another instance that took its lease first).
pub fn spawn_scheduler(state: AppState) -> tokio::task::JoinHandle<()> {
    let holder = holder_name();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for job in Job::ALL {
                match run_if_due(&state, job, &holder).await {
                    Ok(Some(report)) => tracing::info!(job = job.name(), ?report, "job ran"),
                    Ok(None) => {}
                    Err(e) => tracing::error!(job = job.name(), error = %e, "job failed"),
                }
            }
        }
    })
}

/// Starts this instance's mail sender: every few seconds, what the
/// outbox holds that is due goes out through SMTP.
pub fn spawn_sender(state: AppState, mailer: Mailer) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEND_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match mail::deliver_due(&state, &mailer, 50).await {
                Ok(d) if d.sent + d.failed > 0 => tracing::info!(?d, "outbox delivered"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
            }
        }
    })
}
