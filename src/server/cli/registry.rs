//! `forgekey registry …`: the container registry's setting, and the
//! configuration a registry needs to take Forgekey as its token server.

use super::{fail, CliError, Storage};
use crate::domain::registry::RegistrySettings;
use crate::server::registry::key::SigningKey;
use crate::server::registry::process::{config_yaml, DEFAULT_ADDR};
use crate::server::services::audit::Actor;
use crate::server::services::{registry, ServiceError};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Print whether the registry is enabled, and its address.
    Status,
    /// Turn the registry on: the registry and read_registry / write_registry scopes become
    /// available, and `forgekey serve` starts the registry.
    Enable {
        /// The address clients name images by (host or host:port), e.g. registry.example.com or
        /// 127.0.0.1:5050.
        #[arg(long)]
        host: String,
    },
    /// Turn the registry off (tokens keep their registry scopes).
    Disable,
    /// Print the configuration of a Docker Distribution 2.8 registry that takes Forgekey as its
    /// token server (creating Forgekey's signing key and certificate if missing).
    Config {
        /// Forgekey's URL as registry clients reach it (the token realm is <URL>/jwt/auth).
        #[arg(
            long,
            env = "FORGEKEY_PUBLIC_URL",
            default_value = "http://127.0.0.1:3000"
        )]
        forgekey_url: url::Url,
        /// Where the registry listens.
        #[arg(long, default_value = DEFAULT_ADDR)]
        listen: std::net::SocketAddr,
    },
}

pub async fn run(storage: &Storage, command: RegistryCommand) -> Result<(), CliError> {
    let core = storage.cli_core();
    match command {
        RegistryCommand::Status => {}
        RegistryCommand::Enable { host } => {
            let new = RegistrySettings::parse(true, &host).map_err(ServiceError::from)?;
            registry::configure(&core, &Actor::command_line(), &new).await?;
        }
        RegistryCommand::Disable => {
            let current = registry::settings(&core).await?;
            let new = RegistrySettings {
                enabled: false,
                ..current
            };
            registry::configure(&core, &Actor::command_line(), &new).await?;
        }
        RegistryCommand::Config {
            forgekey_url,
            listen,
        } => {
            SigningKey::load_or_create(&storage.data_dir)
                .map_err(|e| fail("container registry signing key", e))?;
            print!(
                "{}",
                config_yaml(&storage.registry_layout(listen, forgekey_url.as_str()))
            );
            return Ok(());
        }
    }
    let current = registry::settings(&core).await?;
    println!("enabled: {}", if current.enabled { "yes" } else { "no" });
    println!("host: {}", current.host);
    Ok(())
}
