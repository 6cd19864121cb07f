//! `forgekey token …`: personal access tokens, as GitLab's Rails console
//! manages them.

use super::{find_user, CliError, Storage};
use crate::domain::ids::TokenId;
use crate::domain::instant;
use crate::server::services::audit::Actor;
use crate::server::services::{tokens, ServiceError};
use clap::Subcommand;
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a personal access token for a user; the secret is the last line printed.
    Create {
        /// The user's username.
        #[arg(long)]
        user: String,
        /// The token's name.
        #[arg(long)]
        name: String,
        /// What the token is for (at most 255 characters), shown in its owner's list.
        #[arg(long, default_value = "")]
        description: String,
        /// Comma-separated scopes: api, read_api, read_user, read_repository, write_repository,
        /// read_registry, write_registry, sudo, admin_mode.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// The date (YYYY-MM-DD, UTC) the token stops working at 00:00. Left out: the longest
        /// lifetime allowed (`settings set --token-max-lifetime-days`), or no expiry while
        /// `settings set --token-expiry-required off`.
        #[arg(long, default_value = "")]
        expires_at: String,
        /// The IP addresses and CIDR ranges (comma-separated, IPv4 or IPv6) the token may be
        /// used from; left out: anywhere.
        #[arg(long, default_value = "")]
        allowed_ips: String,
        /// The projects (comma-separated `namespace/path`) the token may reach; left out: all.
        #[arg(long, default_value = "")]
        projects: String,
    },
    /// List a user's tokens (never their secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by its id.
    Revoke { id: TokenId },
    /// Take back a revocation (a token revoked by mistake works again);
    /// recorded in the audit log.
    Unrevoke { id: TokenId },
    /// Find the tokens behind secrets read from standard input, one a line
    /// (a leak found in a repository or a paste): whose each is and its
    /// state, never the secret.
    Find {
        /// Also revoke every active one found (audited; owners are mailed).
        #[arg(long)]
        revoke: bool,
    },
}

pub async fn run(storage: &Storage, command: TokenCommand) -> Result<(), CliError> {
    let core = storage.cli_core();
    let actor = Actor::command_line();
    match command {
        TokenCommand::Create {
            user,
            name,
            description,
            scopes,
            expires_at,
            allowed_ips,
            projects,
        } => {
            let user = find_user(&core, &user).await?;
            let request = tokens::Request {
                name: &name,
                description: &description,
                expires_on: &expires_at,
                scopes: &scopes,
                allowed_ips: &allowed_ips,
                projects: &projects,
            };
            let created =
                tokens::issue(&core, &actor, &user, tokens::Issuer::Owner, request).await?;
            let from = if created.token.allowed_ips.is_empty() {
                String::new()
            } else {
                format!(
                    ", usable only from {}",
                    created.token.allowed_ips.entries().join(", ")
                )
            };
            println!(
                "Created personal access token {} (id {}) for {}, expiring {}{from}. It is shown only once:",
                created.token.name,
                created.token.id,
                user.username,
                created
                    .token
                    .expires_at
                    .map_or_else(|| "never".to_owned(), instant::date)
            );
            println!("{}", created.secret);
        }
        TokenCommand::List { user } => {
            let user = find_user(&core, &user).await?;
            let now = core.now();
            println!(
                "{:>6}  {:<24} {:<40} {:<13} {:<13} STATE",
                "ID", "NAME", "SCOPES", "CREATED", "EXPIRES"
            );
            for t in tokens::list(&core, user.id).await? {
                println!(
                    "{:>6}  {:<24} {:<40} {:<13} {:<13} {}",
                    t.id,
                    t.name,
                    crate::domain::scope::join(&t.scopes).replace(' ', ","),
                    instant::date(t.created_at),
                    t.expires_at
                        .map_or_else(|| "never".to_owned(), instant::date),
                    t.state(now).as_str()
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = tokens::revoke_as(&core, &actor, id)
                .await
                .map_err(no_token(id))?;
            println!(
                "Revoked personal access token {} (id {}).",
                token.name, token.id
            );
        }
        TokenCommand::Find { revoke } => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| CliError(format!("cannot read secrets from standard input: {e}")))?;
            let now = core.now();
            // Each answer names its line: nothing of a secret is printed.
            for (n, secret) in input.lines().enumerate() {
                let (line, secret) = (n + 1, secret.trim());
                if secret.is_empty() {
                    continue;
                }
                let found = match tokens::identify(&core, secret).await? {
                    tokens::Identified::Token(found) => *found,
                    tokens::Identified::NotFound => {
                        println!("line {line}: no such token");
                        continue;
                    }
                    tokens::Identified::Foreign => {
                        println!("line {line}: not a Forgekey token");
                        continue;
                    }
                };
                let owner = tokens::token_owner(&core, found.id)
                    .await?
                    .map_or_else(|| "(deleted user)".to_owned(), |u| u.username);
                let was = found.state(now).as_str();
                let now_state = if revoke && found.revocable(now) {
                    tokens::revoke_as(&core, &actor, found.id).await?;
                    format!("{was}, revoked now")
                } else {
                    was.to_owned()
                };
                println!(
                    "line {line}: {owner}'s token {} (id {}): {now_state}",
                    found.name, found.id
                );
            }
        }
        TokenCommand::Unrevoke { id } => {
            let token = tokens::set_token_revoked(&core, &actor, id, false)
                .await
                .map_err(no_token(id))?;
            println!(
                "Unrevoked personal access token {} (id {}).",
                token.name, token.id
            );
        }
    }
    Ok(())
}

/// Names a missing token by its id.
fn no_token(id: TokenId) -> impl Fn(ServiceError) -> CliError {
    move |e| match e {
        ServiceError::NotFound => CliError(format!("no token with id {id}")),
        other => other.into(),
    }
}
