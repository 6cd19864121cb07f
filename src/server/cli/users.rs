//! `forgekey user …`: accounts.

use super::{fail, find_user, CliError, Storage};
use crate::domain::admin::UserChange;
use crate::server::services::audit::{self, Action, Actor, Event};
use crate::server::services::{accounts, admin, two_factor};
use clap::Subcommand;
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (the only way, so that it
        /// never shows in the process list or shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List all accounts (with whether each has two-factor authentication).
    List,
    /// Block an account: its sessions end, it cannot sign in and its tokens
    /// stop working. Recorded in the audit log.
    Block {
        #[arg(long)]
        user: String,
    },
    /// Unblock an account.
    Unblock {
        #[arg(long)]
        user: String,
    },
    /// Set a new password for a user who cannot sign in (instances without
    /// mail): read from standard input; every session of the user ends.
    /// Recorded in the audit log.
    ResetPassword {
        #[arg(long)]
        user: String,
        /// Read the new password from standard input (the only way).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Turn two-factor authentication off for a user who lost both their
    /// device and their recovery codes. They sign in with the password
    /// alone until they enrol again.
    DisableTwoFactor {
        #[arg(long)]
        user: String,
    },
}

pub async fn run(storage: &Storage, command: UserCommand) -> Result<(), CliError> {
    let core = storage.cli_core();
    match command {
        UserCommand::Create {
            username,
            email,
            admin,
            password_stdin: _,
        } => {
            let password = password_from_stdin()?;
            let user = accounts::register(&core, &username, &email, &password, admin).await?;
            let event = Event::new(Action::UserCreated)
                .on_user(&user)
                .details(if user.is_admin { "administrator" } else { "" });
            audit::record_now(&core, &Actor::command_line(), event).await?;
            println!(
                "Created user {} (id {}){}",
                user.username,
                user.id,
                if user.is_admin {
                    ", an administrator"
                } else {
                    ""
                }
            );
        }
        UserCommand::List => {
            let (list, _) = accounts::users_page(&core, &Default::default(), 0, i64::MAX).await?;
            println!(
                "{:>6}  {:<24} {:<32} {:<5}  {:<3}",
                "ID", "USERNAME", "EMAIL", "ADMIN", "2FA"
            );
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            for u in list {
                println!(
                    "{:>6}  {:<24} {:<32} {:<5}  {:<3}",
                    u.id,
                    u.username,
                    u.email,
                    yes_no(u.is_admin),
                    yes_no(u.two_factor_enabled)
                );
            }
        }
        UserCommand::ResetPassword {
            user,
            password_stdin: _,
        } => {
            let user = find_user(&core, &user).await?;
            let password = password_from_stdin()?;
            accounts::reset_password(&core, &Actor::command_line(), &user, &password).await?;
            println!(
                "Password reset for '{}'; their sessions were signed out.",
                user.username
            );
        }
        UserCommand::Block { user } => change(storage, &user, UserChange::Block).await?,
        UserCommand::Unblock { user } => change(storage, &user, UserChange::Unblock).await?,
        UserCommand::DisableTwoFactor { user } => {
            let user = find_user(&core, &user).await?;
            if !user.two_factor_enabled {
                return Err(CliError(format!(
                    "'{}' does not have two-factor authentication enabled",
                    user.username
                )));
            }
            two_factor::disable(&core, &Actor::command_line(), &user).await?;
            println!(
                "Two-factor authentication disabled for '{}'.",
                user.username
            );
        }
    }
    Ok(())
}

/// A password from standard input, without the one trailing newline `echo`
/// or a terminal adds.
fn password_from_stdin() -> Result<String, CliError> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| fail("cannot read the password from standard input", e))?;
    let password = password.strip_suffix('\n').unwrap_or(&password);
    Ok(password.strip_suffix('\r').unwrap_or(password).to_owned())
}

async fn change(storage: &Storage, username: &str, change: UserChange) -> Result<(), CliError> {
    let core = storage.cli_core();
    let user = find_user(&core, username).await?;
    let user = admin::change_user(&core, &Actor::command_line(), user.id, change).await?;
    let state_word = if user.is_blocked() {
        "blocked"
    } else {
        "active"
    };
    println!("'{}' is {state_word}.", user.username);
    Ok(())
}
