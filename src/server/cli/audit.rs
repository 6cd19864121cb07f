//! `forgekey audit list`: the audit log.

use super::{CliError, Storage};
use crate::server::services::audit::{self, Action};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The latest events, newest first, optionally narrowed.
    List {
        /// Done by this user ("command line" for operators).
        #[arg(long)]
        actor: Option<String>,
        /// About this user.
        #[arg(long)]
        user: Option<String>,
        /// This action, e.g. token_revoked or two_factor_disabled.
        #[arg(long)]
        action: Option<String>,
        /// How many events.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
}

pub async fn run(storage: &Storage, command: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::List {
        actor,
        user,
        action,
        limit,
    } = command;
    // Checked here rather than by clap: the refusal is one line, naming
    // every action.
    if let Some(action) = action.as_deref().filter(|a| Action::of(a).is_none()) {
        let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        return Err(CliError(format!(
            "Unknown action '{action}': one of {}",
            known.join(", ")
        )));
    }
    let filter = audit::Filter {
        target_user_id: None,
        actor,
        target: user,
        action,
    };
    let (events, total) = audit::list(&storage.cli_core(), &filter, 0, limit).await?;
    println!(
        "{:<24} {:<16} {:<24} {:<16} {:<32} {:<16} DETAILS",
        "WHEN (UTC)", "ACTOR", "AS", "FROM", "ACTION", "USER"
    );
    for e in &events {
        let acted_as = match (&e.acted_as_name, &e.acted_via) {
            (Some(name), Some(via)) => format!("{name} ({via})"),
            (Some(name), None) => name.clone(),
            _ => "-".to_owned(),
        };
        let token = e
            .token_name
            .as_deref()
            .map(|t| format!("token '{t}' "))
            .unwrap_or_default();
        println!(
            "{:<24} {:<16} {:<24} {:<16} {:<32} {:<16} {token}{}",
            crate::domain::instant::machine(e.created_at),
            e.actor_name,
            acted_as,
            e.ip_address.as_deref().unwrap_or("-"),
            e.action,
            e.target_name.as_deref().unwrap_or("-"),
            e.details
        );
    }
    if total > events.len() as i64 {
        println!("({} of {total} events)", events.len());
    }
    Ok(())
}
