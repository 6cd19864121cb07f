//! The `forgekey` command line: the server and the operator commands that
//! GitLab offers through its Rails console.

use super::client_addr::TrustedProxies;
use super::clock::SystemClock;
use super::config::{ServerSecret, WebConfig};
use super::db::users;
use super::db::Db;
use super::git::GitState;
use super::listen;
use super::passwords::Passwords;
use super::services::audit::{self, Action, Actor, Event};
use super::services::{accounts, ServiceError};
use super::session::Store;
use super::sign_ups::SignUpLimiter;
use super::state::{AppState, Shared};
use clap::{Args, Parser, Subcommand};
use leptos::prelude::LeptosOptions;
use std::io::Read;
use std::net::SocketAddr;
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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run database migrations, then serve the web application.
    Serve(ServeArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage personal access tokens (what GitLab does in its Rails console).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage projects (Git repositories).
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Show or change instance settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Run the daily jobs by hand (the server runs each once a day itself).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Read the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
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

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// Run one job now: expiring-soon (mails owners of tokens expiring within 7 days; 01:00 UTC),
    /// expiring-today (tokens expiring today; 02:00 UTC) or purge-revoked (deletes revoked tokens
    /// past their retention). Each token is notified once, however often a job runs.
    Run {
        #[arg(value_parser = ["expiring-soon", "expiring-today", "purge-revoked"])]
        name: String,
        /// Run as at this instant (RFC 3339, e.g. 2026-11-22T01:00:00Z), e.g. to catch up a day.
        #[arg(long)]
        at: Option<String>,
        /// The URL links in mail point to.
        #[arg(long, env = "FORGEKEY_PUBLIC_URL")]
        public_url: Option<url::Url>,
    },
}

#[derive(Debug, Subcommand)]
enum ProjectCommand {
    /// Create a project with an empty repository, owned by a user.
    Create {
        #[arg(long)]
        user: String,
        /// The project's name; its URL path is derived unless --path is given.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        path: String,
        #[arg(long, default_value = "private", value_parser = ["private", "public"])]
        visibility: String,
    },
    /// List a user's projects.
    List {
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Subcommand)]
enum SettingsCommand {
    /// Print the instance settings.
    Show,
    /// Change instance settings (only those given).
    Set {
        /// Whether passwords (of users without 2FA) authenticate Git over HTTP.
        #[arg(long, value_parser = ["on", "off"])]
        git_password_auth: Option<String>,
        /// Whether Git over HTTP requires the username to be the token's owner.
        #[arg(long, value_parser = ["on", "off"])]
        git_token_username_match: Option<String>,
        /// Admin mode: administrators' tokens need the admin_mode scope for
        /// admin-only API endpoints, and administrators re-authenticate
        /// before actions in the Admin Area.
        #[arg(long, value_parser = ["on", "off"])]
        admin_mode: Option<String>,
        /// The longest a new personal access token may live, in days
        /// (1-365). Lowering it revokes tokens that expire later and mails
        /// their owners.
        #[arg(long)]
        token_max_lifetime_days: Option<String>,
        /// Whether expired tokens stop working (off: they keep working).
        #[arg(long, value_parser = ["on", "off"])]
        token_expiry_enforced: Option<String>,
        /// Whether every new token needs an expiry date (off: it may have none).
        #[arg(long, value_parser = ["on", "off"])]
        token_expiry_required: Option<String>,
        /// Days revoked tokens are kept (and can be unrevoked) before the
        /// daily job deletes them (0-3650).
        #[arg(long)]
        revoked_token_retention_days: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a personal access token for a user; the secret is the last line printed.
    Create {
        /// The user's username.
        #[arg(long)]
        user: String,
        /// The token's name.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: api, read_api, read_user, read_repository, write_repository,
        /// read_registry, write_registry, sudo, admin_mode.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// The date (YYYY-MM-DD, UTC) the token stops working at 00:00; may be left out only
        /// while `settings set --token-expiry-required off`.
        #[arg(long, default_value = "")]
        expires_at: String,
    },
    /// List a user's tokens (never their secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a token by its id.
    Revoke { id: i64 },
    /// Take back a revocation (a token revoked by mistake works again);
    /// recorded in the audit log.
    Unrevoke { id: i64 },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "FORGEKEY_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The URL people use to reach Forgekey, e.g. https://keys.example.com. An https URL turns on
    /// Secure cookies and HSTS.
    #[arg(long, env = "FORGEKEY_PUBLIC_URL")]
    public_url: Option<url::Url>,
    /// Sign a browser session out after this many minutes without activity.
    #[arg(long, env = "FORGEKEY_SESSION_LIFETIME_MINUTES", default_value_t = 10_080,
          value_parser = clap::value_parser!(u32).range(1..))]
    session_lifetime_minutes: u32,
    /// Directory with the compiled front end (JavaScript, WebAssembly, CSS).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    site_root: String,
    /// Close a connection that has not sent a whole request head within this many seconds
    /// (also how long a kept-alive connection may stay idle).
    #[arg(long, env = "FORGEKEY_HEADER_TIMEOUT_SECONDS", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    header_timeout_seconds: u32,
    /// Cut off a request body that sends nothing for this many seconds.
    #[arg(long, env = "FORGEKEY_BODY_TIMEOUT_SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    body_timeout_seconds: u32,
    /// A reverse proxy (an address or a CIDR range, repeatable or comma-separated) whose
    /// `Forwarded` / `X-Forwarded-For` headers name the client. Without one, those headers are
    /// ignored.
    #[arg(long = "trusted-proxy", env = "FORGEKEY_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = parse_net)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Accept at most this many sign-ups an hour from one client address.
    #[arg(long, env = "FORGEKEY_SIGN_UPS_PER_ADDRESS_PER_HOUR",
          default_value_t = crate::server::sign_ups::DEFAULT_PER_HOUR,
          value_parser = clap::value_parser!(u32).range(1..))]
    sign_ups_per_address_per_hour: u32,
    /// Serve at most this many connections at once; more wait to be accepted. Lowered to what
    /// the open-file limit allows.
    #[arg(long, env = "FORGEKEY_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    #[command(flatten)]
    smtp: SmtpArgs,
}

/// Mail goes to an outbox in the database, which administrators read in the
/// Admin Area; with an SMTP server configured, it is also delivered.
#[derive(Debug, Args)]
struct SmtpArgs {
    /// SMTP server that delivers mail, e.g. smtp.example.com.
    #[arg(long, env = "FORGEKEY_SMTP_HOST")]
    smtp_host: Option<String>,
    /// Its port [default: 465 with tls, 587 with starttls, 25 with none].
    #[arg(long, env = "FORGEKEY_SMTP_PORT")]
    smtp_port: Option<u16>,
    #[arg(
        long,
        env = "FORGEKEY_SMTP_SECURITY",
        value_enum,
        default_value = "starttls"
    )]
    smtp_security: super::mailer::Security,
    #[arg(long, env = "FORGEKEY_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// Read from the environment only, so that it stays out of process lists.
    #[arg(skip = std::env::var("FORGEKEY_SMTP_PASSWORD").ok())]
    smtp_password: Option<String>,
    /// The sender of Forgekey's mail, e.g. "Forgekey <keys@example.com>" (required with --smtp-host).
    #[arg(long, env = "FORGEKEY_MAIL_FROM")]
    mail_from: Option<String>,
}

impl SmtpArgs {
    fn settings(&self) -> Result<Option<super::mailer::SmtpSettings>, CliError> {
        let Some(host) = self.smtp_host.clone() else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .ok_or_else(|| CliError("--smtp-host needs --mail-from (the sender address)".into()))?
            .parse()
            .map_err(|e| CliError(format!("--mail-from is not an address: {e}")))?;
        Ok(Some(super::mailer::SmtpSettings {
            host,
            port: self.smtp_port,
            security: self.smtp_security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from,
        }))
    }
}

#[derive(Debug, Subcommand)]
enum UserCommand {
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
    /// Turn two-factor authentication off for a user who lost both their
    /// device and their recovery codes. They sign in with the password
    /// alone until they enrol again.
    DisableTwoFactor {
        #[arg(long)]
        user: String,
    },
}

/// An error the command line reports as one line before exiting non-zero.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(String);

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
    init_tracing(if matches!(cli.command, Command::Serve(_)) {
        "forgekey=info,tower_http=info,warn"
    } else {
        "warn"
    });
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Storage shared by every subcommand: the data directory, database and secret.
struct Storage {
    db: Db,
    url: String,
    secret: ServerSecret,
    data_dir: PathBuf,
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
    let db = Db::connect(&url).await.map_err(|e| fail("database", e))?;
    db.migrate().await.map_err(|e| fail("database", e))?;
    let configured = std::env::var("FORGEKEY_SECRET").ok();
    let secret = ServerSecret::load_or_create(configured.as_deref(), &args.data_dir)
        .map_err(|e| fail("server secret", e))?;
    Ok(Storage {
        db,
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

fn state(storage: &Storage, leptos_options: LeptosOptions, config: WebConfig) -> AppState {
    AppState::new(shared(storage, leptos_options, config))
}

fn shared(storage: &Storage, leptos_options: LeptosOptions, config: WebConfig) -> Shared {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    Shared {
        leptos_options,
        db: storage.db.clone(),
        config: Arc::new(config),
        clock: Arc::new(SystemClock),
        passwords: Passwords::new(cores.max(2), Duration::from_secs(3)),
        usage: Default::default(),
        token_cache: Default::default(),
        git: Arc::new(GitState::new(storage.data_dir.join("repositories"))),
        settings: Default::default(),
        sign_ups: Default::default(),
    }
}

async fn find_user(db: &Db, username: &str) -> Result<users::User, CliError> {
    let key = crate::domain::account::unique_key(username.trim());
    users::find_by_username_key(db, &key)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(|| CliError(format!("no user named '{username}'")))
}

fn cli_config(storage: &Storage) -> WebConfig {
    WebConfig {
        public_url: None,
        session_lifetime: time::Duration::minutes(10_080),
        secret: storage.secret.clone(),
        smtp: false,
        trusted_proxies: TrustedProxies::default(),
    }
}

/// An address or a CIDR range.
fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{text}' is not an IP address or CIDR range"))
}

fn cli_state(storage: &Storage) -> AppState {
    let config = cli_config(storage);
    state(
        storage,
        LeptosOptions::builder().output_name("forgekey").build(),
        config,
    )
}

async fn run_project(storage: &Storage, command: ProjectCommand) -> Result<(), CliError> {
    use crate::server::services::projects;
    let state = cli_state(storage);
    match command {
        ProjectCommand::Create {
            user,
            name,
            path,
            visibility,
        } => {
            let owner = find_user(&storage.db, &user).await?;
            let p = projects::create(
                &state,
                &Actor::command_line(),
                &owner,
                &name,
                &path,
                &visibility,
            )
            .await?;
            println!(
                "Created project {}/{} (id {}, {}).",
                p.namespace,
                p.path,
                p.id,
                p.visibility.as_str()
            );
        }
        ProjectCommand::List { user } => {
            let owner = find_user(&storage.db, &user).await?;
            println!("{:>6}  {:<40} {:<8}", "ID", "PROJECT", "VISIBILITY");
            for p in projects::list_owned(&state, &owner).await? {
                let full = format!("{}/{}", p.namespace, p.path);
                println!("{:>6}  {full:<40} {:<8}", p.id, p.visibility.as_str());
            }
        }
    }
    Ok(())
}

async fn run_settings(storage: &Storage, command: SettingsCommand) -> Result<(), CliError> {
    use crate::domain::admin;
    use crate::server::services::{admin as admin_service, settings};
    let state = cli_state(storage);
    let mut current = settings::current(&state).await?;
    if let SettingsCommand::Set {
        git_password_auth,
        git_token_username_match,
        admin_mode,
        token_max_lifetime_days,
        token_expiry_enforced,
        token_expiry_required,
        revoked_token_retention_days,
    } = command
    {
        let on = |v: Option<String>, current: bool| v.map_or(current, |v| v == "on");
        current.admin_mode = on(admin_mode, current.admin_mode);
        current.git_password_auth = on(git_password_auth, current.git_password_auth);
        current.git_token_username_match =
            on(git_token_username_match, current.git_token_username_match);
        current.token_expiry_enforced = on(token_expiry_enforced, current.token_expiry_enforced);
        current.token_expiry_required = on(token_expiry_required, current.token_expiry_required);
        if let Some(days) = token_max_lifetime_days {
            current.token_max_lifetime_days =
                admin::parse_max_lifetime_days(&days).map_err(ServiceError::from)?;
        }
        if let Some(days) = revoked_token_retention_days {
            current.revoked_token_retention_days =
                admin::parse_retention_days(&days).map_err(ServiceError::from)?;
        }
        let changed =
            admin_service::change_settings(&state, &Actor::command_line(), current).await?;
        if !changed.revoked.is_empty() {
            let n = changed.revoked.len();
            let tokens = if n == 1 { "token" } else { "tokens" };
            println!(
                "Revoked {n} {tokens} expiring beyond the new limit; their owners were mailed."
            );
        }
    }
    let on_off = |b: bool| if b { "on" } else { "off" };
    println!(
        "git-password-auth             {}",
        on_off(current.git_password_auth)
    );
    println!(
        "git-token-username-match      {}",
        on_off(current.git_token_username_match)
    );
    println!(
        "admin-mode                    {}",
        on_off(current.admin_mode)
    );
    println!(
        "token-max-lifetime-days       {}",
        current.token_max_lifetime_days
    );
    println!(
        "token-expiry-enforced         {}",
        on_off(current.token_expiry_enforced)
    );
    println!(
        "token-expiry-required         {}",
        on_off(current.token_expiry_required)
    );
    println!(
        "revoked-token-retention-days  {}",
        current.revoked_token_retention_days
    );
    Ok(())
}

async fn run_token(storage: &Storage, command: TokenCommand) -> Result<(), CliError> {
    use crate::domain::instant;
    use crate::server::services::tokens;
    let state = cli_state(storage);
    match command {
        TokenCommand::Create {
            user,
            name,
            scopes,
            expires_at,
        } => {
            let user = find_user(&storage.db, &user).await?;
            let created = tokens::create(
                &state,
                &Actor::command_line(),
                &user,
                &name,
                &expires_at,
                &scopes,
            )
            .await?;
            println!(
                "Created personal access token {} (id {}) for {}, expiring {}. It is shown only once:",
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
            let user = find_user(&storage.db, &user).await?;
            let now = state.now();
            println!(
                "{:>6}  {:<24} {:<40} {:<13} {:<13} STATE",
                "ID", "NAME", "SCOPES", "CREATED", "EXPIRES"
            );
            for t in tokens::list(&state, user.id).await? {
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
            let token = tokens::revoke_as(&state, &Actor::command_line(), id)
                .await
                .map_err(no_token(id))?;
            println!(
                "Revoked personal access token {} (id {}).",
                token.name, token.id
            );
        }
        TokenCommand::Unrevoke { id } => {
            let token = crate::server::services::tokens::set_token_revoked(
                &state,
                &Actor::command_line(),
                id,
                false,
            )
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
fn no_token(id: i64) -> impl Fn(ServiceError) -> CliError {
    move |e| match e {
        ServiceError::NotFound => CliError(format!("no token with id {id}")),
        other => other.into(),
    }
}

async fn list_audit(
    storage: &Storage,
    actor: Option<String>,
    user: Option<String>,
    action: Option<String>,
    limit: i64,
) -> Result<(), CliError> {
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
    let (events, total) = audit::list(&cli_state(storage), &filter, 0, limit).await?;
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
            time::OffsetDateTime::from_unix_timestamp(e.created_at)
                .ok()
                .and_then(|t| t
                    .format(&time::format_description::well_known::Rfc3339)
                    .ok())
                .unwrap_or_default(),
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

async fn run_job(
    storage: &Storage,
    name: &str,
    at: Option<&str>,
    public_url: Option<url::Url>,
) -> Result<(), CliError> {
    use crate::domain::expiry::Job;
    use crate::server::jobs;
    let job = Job::parse(name).ok_or_else(|| CliError(format!("no job named '{name}'")))?;
    let clock: Arc<dyn super::clock::Clock> = match at {
        Some(at) => {
            let at =
                time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        CliError(format!(
                        "--at must be an RFC 3339 instant such as 2026-11-22T01:00:00Z, not '{at}'"
                    ))
                    })?;
            Arc::new(super::clock::ManualClock::at(at.unix_timestamp()))
        }
        None => Arc::new(SystemClock),
    };
    let mut config = cli_config(storage);
    config.public_url = public_url;
    let state = AppState::new(Shared {
        clock,
        ..shared(
            storage,
            LeptosOptions::builder().output_name("forgekey").build(),
            config,
        )
    });
    match jobs::run_now(&state, job, &jobs::holder_name(), jobs::Limits::default()).await? {
        Some(report) if job == Job::PurgeRevoked => {
            println!("Deleted {} revoked tokens.", report.deleted)
        }
        Some(report) => println!(
            "Sent {} mails about {} tokens.",
            report.mails, report.tokens
        ),
        None => {
            return Err(CliError(format!(
                "'{name}' is running elsewhere right now (another instance holds its lease)"
            )))
        }
    }
    Ok(())
}

async fn change_user(
    storage: &Storage,
    username: &str,
    change: crate::domain::admin::UserChange,
) -> Result<(), CliError> {
    use crate::server::services::admin;
    let user = find_user(&storage.db, username).await?;
    let state = cli_state(storage);
    let user = admin::change_user(&state, &Actor::command_line(), user.id, change).await?;
    let state_word = if user.is_blocked() {
        "blocked"
    } else {
        "active"
    };
    println!("'{}' is {state_word}.", user.username);
    Ok(())
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let storage = open_storage(&cli.storage).await?;
    match cli.command {
        Command::Token(command) => run_token(&storage, command).await,
        Command::Project(command) => run_project(&storage, command).await,
        Command::Settings(command) => run_settings(&storage, command).await,
        Command::Audit(AuditCommand::List {
            actor,
            user,
            action,
            limit,
        }) => list_audit(&storage, actor, user, action, limit).await,
        Command::Jobs(JobsCommand::Run {
            name,
            at,
            public_url,
        }) => run_job(&storage, &name, at.as_deref(), public_url).await,
        Command::Serve(args) => serve(storage, args).await,
        Command::User(UserCommand::Create {
            username,
            email,
            admin,
            password_stdin: _,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| fail("cannot read the password from standard input", e))?;
            // One trailing newline (from `echo` or a terminal) is not part of it.
            let password = password.strip_suffix('\n').unwrap_or(&password);
            let password = password.strip_suffix('\r').unwrap_or(password);
            let state = cli_state(&storage);
            let user = accounts::register(&state, &username, &email, password, admin).await?;
            let event = Event::new(Action::UserCreated)
                .on_user(&user)
                .details(if user.is_admin { "administrator" } else { "" });
            audit::record_now(&state, &Actor::command_line(), event).await?;
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
            Ok(())
        }
        Command::User(UserCommand::Block { user }) => {
            change_user(&storage, &user, crate::domain::admin::UserChange::Block).await
        }
        Command::User(UserCommand::Unblock { user }) => {
            change_user(&storage, &user, crate::domain::admin::UserChange::Unblock).await
        }
        Command::User(UserCommand::DisableTwoFactor { user }) => {
            let user = find_user(&storage.db, &user).await?;
            if !user.two_factor_enabled {
                return Err(CliError(format!(
                    "'{}' does not have two-factor authentication enabled",
                    user.username
                )));
            }
            crate::server::services::two_factor::disable(
                &cli_state(&storage),
                &Actor::command_line(),
                &user,
            )
            .await?;
            println!(
                "Two-factor authentication disabled for '{}'.",
                user.username
            );
            Ok(())
        }
        Command::User(UserCommand::List) => {
            let list = users::list(&storage.db).await.map_err(ServiceError::from)?;
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
            Ok(())
        }
    }
}

async fn serve(storage: Storage, args: ServeArgs) -> Result<(), CliError> {
    let smtp = match args.smtp.settings()? {
        Some(settings) => {
            let mailer = super::mailer::Mailer::smtp(&settings).map_err(CliError)?;
            tracing::info!(?settings, "mail is delivered through SMTP");
            Some(mailer)
        }
        None => None,
    };
    let store = Store::open(&storage.url, storage.db.backend)
        .await
        .map_err(|e| fail("session store", e))?;
    let leptos_options = LeptosOptions::builder()
        .output_name("forgekey")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let config = WebConfig {
        public_url: args.public_url,
        session_lifetime: time::Duration::minutes(i64::from(args.session_lifetime_minutes)),
        secret: storage.secret.clone(),
        smtp: smtp.is_some(),
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
    };
    let state = AppState::new(Shared {
        sign_ups: Arc::new(SignUpLimiter::per_hour(args.sign_ups_per_address_per_hour)),
        ..shared(&storage, leptos_options, config)
    });

    let deletion = tokio::task::spawn(
        tower_sessions::session_store::ExpiredDeletion::continuously_delete_expired(
            store.clone(),
            tokio::time::Duration::from_secs(3600),
        ),
    );
    let scheduler = super::jobs::spawn_scheduler(state.clone());
    let sender = smtp.map(|mailer| super::mailer::spawn(state.clone(), mailer));
    let app = super::router(state, store);
    let limits = listen::Limits {
        header_timeout: Duration::from_secs(args.header_timeout_seconds.into()),
        body_stall_timeout: Duration::from_secs(args.body_timeout_seconds.into()),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
    }
    .fitting(listen::raise_open_file_limit());
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| fail(&format!("cannot listen on {}", args.addr), e))?;
    tracing::info!(
        max_connections = limits.max_connections,
        "Forgekey listening on http://{} ({:?} database)",
        args.addr,
        storage.db.backend
    );
    listen::serve(listener, app, limits, shutdown_signal()).await;
    deletion.abort();
    scheduler.abort();
    if let Some(sender) = sender {
        sender.abort();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
