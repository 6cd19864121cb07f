//! This instance's background work: the scheduler (once a minute, each
//! daily job that is due runs, here or on another instance that took its
//! lease first; what a job does is `services::jobs`) and the mail sender.

use crate::domain::expiry::Job;
use crate::server::mailer::Mailer;
use crate::server::services::jobs::{holder_name, release_leases, run_if_due};
use crate::server::services::mail;
use crate::server::state::AppState;

/// How often the outbox is looked at.
const SEND_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// How often the scheduler looks at the clock.
const TICK: std::time::Duration = std::time::Duration::from_secs(60);

/// This instance's running scheduler.
pub struct Scheduler {
    task: tokio::task::JoinHandle<()>,
    holder: String,
    state: AppState,
}

impl Scheduler {
    /// Stops it, in the middle of a job if need be, and gives back the
    /// leases it held.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
        match release_leases(&self.state, &self.holder).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(leases = n, "job leases given back"),
            Err(e) => tracing::warn!(error = %e, "job leases not given back; they run out"),
        }
    }
}

/// Starts this instance's scheduler: once a minute, each due job runs
/// (here, or on another instance that took its lease first).
pub fn spawn_scheduler(state: AppState) -> Scheduler {
    let holder = holder_name();
    let task = tokio::spawn({
        let (state, holder) = (state.clone(), holder.clone());
        async move {
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                for job in Job::ALL {
                    let outcome = match run_if_due(&state, job, &holder).await {
                        Ok(Some(report)) => {
                            tracing::info!(job = job.name(), ?report, "job ran");
                            "ok"
                        }
                        Ok(None) => continue,
                        Err(e) => {
                            tracing::error!(job = job.name(), error = %e, "job failed");
                            "failed"
                        }
                    };
                    metrics::counter!("forgekey_job_runs_total", "job" => job.name(), "outcome" => outcome)
                        .increment(1);
                }
            }
        }
    });
    Scheduler {
        task,
        holder,
        state,
    }
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
                Ok(d) if d.sent + d.failed > 0 => {
                    metrics::counter!("forgekey_mail_deliveries_total", "outcome" => "sent")
                        .increment(d.sent);
                    metrics::counter!("forgekey_mail_deliveries_total", "outcome" => "failed")
                        .increment(d.failed);
                    tracing::info!(?d, "outbox delivered")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
            }
        }
    })
}
