//! The `forgekey` command line: the server and the operator commands that
//! GitLab offers through its Rails console, one module per command group.
//! Every command works through the services, on the same core the server
//! builds.

mod audit;
mod backup;
mod jobs;
mod projects;
mod registry;
mod serve;
mod settings;
mod tokens;
mod users;

use super::client_addr::TrustedProxies;
use super::clock::{Clock, SystemClock};
use super::config::{ServerSecret, WebConfig};
use super::db::users::User;
use super::db::{Db, Timeouts};
use super::services::{accounts, ServiceError};
use super::state::Core;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "forgekey",
    version,
    about = "Forgekey: self-hosted accounts, two-factor authentication and personal access tokens",
    long_about = "Forgekey gives a software forge GitLab-style accounts and personal access tokens.\n\n\
        Every subcommand takes the same storage options. Without --database-url, data lives in an \
        embedded SQLite database in the data directory; a postgres:// URL selects PostgreSQL.\n\n\
        The server secret (it keys session cookies) is read from the environment variable \
        FORGEKEY_SECRET (128 hex characters) or else from <data-dir>/secret.key, which is created \
        with mode 0600 on first start."
)]
pub struct Cli {
    #[command(flatten)]
    storage: StorageArgs,
    /// How log lines are written to standard error: text for people, json (one object a line)
    /// for log shippers.
    #[arg(
        long,
        global = true,
        env = "FORGEKEY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct StorageArgs {
    /// Directory for the SQLite database, the server secret and the Git
    /// repositories.
    #[arg(
        long,
        global = true,
        env = "FORGEKEY_DATA_DIR",
        default_value = "./data"
    )]
    data_dir: PathBuf,
    /// Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST/DB [default: SQLite in the data dir]
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Wait at most this many seconds for a database connection, or for a lock another session
    /// holds, before answering 503 (try again).
    #[arg(long, global = true, env = "FORGEKEY_DATABASE_TIMEOUT_SECONDS", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(1..=600))]
    database_timeout_seconds: u32,
    /// PostgreSQL: cancel a statement running longer than this many seconds (503, try again).
    #[arg(long, global = true, env = "FORGEKEY_STATEMENT_TIMEOUT_SECONDS", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    statement_timeout_seconds: u32,
}

impl StorageArgs {
    fn timeouts(&self) -> Timeouts {
        let wait = Duration::from_secs(self.database_timeout_seconds.into());
        Timeouts {
            acquire: wait,
            statement: Duration::from_secs(self.statement_timeout_seconds.into()),
            lock: wait,
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run database migrations, then serve the web application.
    Serve(Box<serve::ServeArgs>),
    /// Manage user accounts.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage personal access tokens (what GitLab does in its Rails console).
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Manage projects (Git repositories).
    #[command(subcommand)]
    Project(projects::ProjectCommand),
    /// Show or change instance settings.
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    /// Run the daily jobs by hand (the server runs each once a day itself).
    #[command(subcommand)]
    Jobs(jobs::JobsCommand),
    /// The container registry: turn it on or off, print the configuration it needs.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Write a consistent copy of the embedded SQLite database while the server runs (for
    /// PostgreSQL, it names the pg_dump command). Restore: stop Forgekey, put the copy in place of
    /// <data-dir>/forgekey.db (removing forgekey.db-wal and forgekey.db-shm), start it with the
    /// same server secret.
    Backup(backup::BackupArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// An error the command line reports as one line before exiting non-zero.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub(crate) String);

impl From<ServiceError> for CliError {
    fn from(e: ServiceError) -> Self {
        Self(match e {
            ServiceError::Invalid(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })
    }
}

fn fail(context: &str, e: impl std::fmt::Display) -> CliError {
    CliError(format!("{context}: {e}"))
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server logs its work; one-off commands only print their result.
    init_tracing(
        if matches!(cli.command, Command::Serve(_)) {
            "forgekey=info,tower_http=info,warn"
        } else {
            "warn"
        },
        cli.log_format,
    );
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(default_filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().flatten_event(true).try_init(),
    };
}

/// Storage shared by every subcommand: the data directory, database and secret.
pub struct Storage {
    db: Db,
    timeouts: Timeouts,
    url: String,
    secret: ServerSecret,
    data_dir: PathBuf,
}

impl Storage {
    /// The services' core on this storage: the one place it is built, for
    /// the server and every command.
    fn core(&self, config: WebConfig, clock: Arc<dyn Clock>) -> Core {
        Core::new(
            self.db.clone(),
            config,
            clock,
            self.data_dir.join("repositories"),
        )
    }

    /// A command's configuration: no public URL, no SMTP, no proxies.
    fn cli_config(&self) -> WebConfig {
        WebConfig {
            public_url: None,
            session_lifetime: time::Duration::minutes(10_080),
            secret: self.secret.clone(),
            smtp: false,
            trusted_proxies: TrustedProxies::default(),
            listen_addr: ([127, 0, 0, 1], 3000).into(),
            metrics: Default::default(),
            hashed_assets: false,
        }
    }

    /// The container registry's configuration for this data directory and
    /// secret: it listens on `listen` and sends clients for tokens to
    /// `forgekey_url`.
    fn registry_layout(
        &self,
        listen: std::net::SocketAddr,
        forgekey_url: &str,
    ) -> super::registry::process::Layout {
        super::registry::process::Layout::in_data_dir(
            &self.data_dir,
            listen,
            forgekey_url,
            hex::encode(self.secret.subkey("forgekey registry http secret v1")),
        )
    }

    /// The core a command runs on, on the system clock.
    fn cli_core(&self) -> Core {
        self.core(self.cli_config(), Arc::new(SystemClock))
    }
}

async fn open_storage(args: &StorageArgs) -> Result<Storage, CliError> {
    create_data_dir(&args.data_dir).map_err(|e| fail("cannot create the data directory", e))?;
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite:{}?mode=rwc",
            args.data_dir.join("forgekey.db").display()
        ),
    };
    let timeouts = args.timeouts();
    let db = Db::connect_with(&url, timeouts)
        .await
        .map_err(|e| fail("database", e))?;
    db.migrate().await.map_err(|e| fail("database", e))?;
    let configured = std::env::var("FORGEKEY_SECRET").ok();
    let secret = ServerSecret::load_or_create(configured.as_deref(), &args.data_dir)
        .map_err(|e| fail("server secret", e))?;
    super::services::instance::check_secret(&db, &secret, SystemClock.now())
        .await
        .map_err(|e| CliError(e.to_string()))?;
    Ok(Storage {
        db,
        timeouts,
        url,
        secret,
        data_dir: args.data_dir.clone(),
    })
}

fn create_data_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

async fn find_user(core: &Core, username: &str) -> Result<User, CliError> {
    accounts::find_by_username(core, username)
        .await?
        .ok_or_else(|| CliError(format!("no user named '{username}'")))
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let storage = open_storage(&cli.storage).await?;
    match cli.command {
        Command::Serve(args) => serve::serve(storage, *args).await,
        Command::User(command) => users::run(&storage, command).await,
        Command::Token(command) => tokens::run(&storage, command).await,
        Command::Project(command) => projects::run(&storage, command).await,
        Command::Settings(command) => settings::run(&storage, command).await,
        Command::Jobs(command) => jobs::run(&storage, command).await,
        Command::Audit(command) => audit::run(&storage, command).await,
        Command::Registry(command) => registry::run(&storage, command).await,
        Command::Backup(args) => backup::run(&storage, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option of every command parses on its own: no two share an
    /// id (a flattened group's field named like another's would silently
    /// take its place), and the defaults are valid values.
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["forgekey", "serve", "--registry-addr", "127.0.0.1:5999"]);
        assert!(cli.is_ok(), "{cli:?}");
    }
}
