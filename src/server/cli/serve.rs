//! `forgekey serve`: migrations, then the web application, the daily jobs
//! and mail delivery, until a signal stops it.

use super::{fail, CliError, Storage};
use crate::server::client_addr::TrustedProxies;
use crate::server::clock::SystemClock;
use crate::server::config::WebConfig;
use crate::server::listen;
use crate::server::session::Store;
use crate::server::sign_ups::SignUpLimiter;
use crate::server::state::AppState;
use crate::server::token_cache::TokenCache;
use crate::server::usage::UsageRecorder;
use clap::Args;
use leptos::prelude::LeptosOptions;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ServeArgs {
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
    /// Remember this many tokens in memory (about 2.5 KB each), so that a token in use costs no
    /// database query per request; beyond it, the least used are forgotten first. Size it a
    /// quarter above the tokens in use at once.
    #[arg(long, env = "FORGEKEY_TOKEN_CACHE_CAPACITY",
          default_value_t = crate::server::token_cache::DEFAULT_CAPACITY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    token_cache_capacity: usize,
    /// Client addresses or CIDR ranges (repeatable or comma-separated) that may read /-/metrics
    /// besides loopback. From anywhere, a client may with `Authorization: Bearer` and the secret
    /// in the environment variable FORGEKEY_METRICS_TOKEN.
    #[arg(long = "metrics-allow", env = "FORGEKEY_METRICS_ALLOW", value_delimiter = ',',
          value_parser = parse_net)]
    metrics_allow: Vec<ipnet::IpNet>,
    #[command(flatten)]
    smtp: SmtpArgs,
    #[command(flatten)]
    registry: RegistryArgs,
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
    smtp_security: crate::server::mailer::Security,
    #[arg(long, env = "FORGEKEY_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// Read from the environment only, so that it stays out of process lists.
    #[arg(skip = std::env::var("FORGEKEY_SMTP_PASSWORD").ok())]
    smtp_password: Option<String>,
    /// The sender of Forgekey's mail, e.g. "Forgekey <keys@example.com>" (required with --smtp-host).
    #[arg(long, env = "FORGEKEY_MAIL_FROM")]
    mail_from: Option<String>,
    /// Instead of an SMTP server, write each mail into this existing directory as <id>.eml
    /// (for a local mail pickup, or to read mail on a machine without a mail server).
    #[arg(long, env = "FORGEKEY_MAIL_DIR", conflicts_with = "smtp_host")]
    mail_dir: Option<std::path::PathBuf>,
}

/// The container registry beside Forgekey (while enabled in the settings).
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Where the container registry Forgekey starts listens.
    #[arg(long = "registry-addr", env = "FORGEKEY_REGISTRY_ADDR",
          default_value = crate::server::registry::process::DEFAULT_ADDR)]
    registry_addr: std::net::SocketAddr,
    /// The registry program (Docker Distribution 2.8, Debian's docker-registry).
    #[arg(
        long = "registry-command",
        env = "FORGEKEY_REGISTRY_COMMAND",
        default_value = "docker-registry"
    )]
    registry_command: std::path::PathBuf,
    /// The registry runs elsewhere (configured from `forgekey registry config`): Forgekey only
    /// signs its tokens and starts none.
    #[arg(long, env = "FORGEKEY_EXTERNAL_REGISTRY")]
    external_registry: bool,
}

impl SmtpArgs {
    fn settings(&self) -> Result<Option<crate::server::mailer::SmtpSettings>, CliError> {
        let Some(host) = self.smtp_host.clone() else {
            return Ok(None);
        };
        let from = self
            .mail_from
            .as_deref()
            .ok_or_else(|| CliError("--smtp-host needs --mail-from (the sender address)".into()))?
            .parse()
            .map_err(|e| CliError(format!("--mail-from is not an address: {e}")))?;
        Ok(Some(crate::server::mailer::SmtpSettings {
            host,
            port: self.smtp_port,
            security: self.smtp_security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            from,
        }))
    }
}

/// An address or a CIDR range.
fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{text}' is not an IP address or CIDR range"))
}

pub async fn serve(storage: Storage, args: ServeArgs) -> Result<(), CliError> {
    let smtp = match (args.smtp.settings()?, &args.smtp.mail_dir) {
        (Some(settings), _) => {
            let mailer = crate::server::mailer::Mailer::smtp(&settings).map_err(CliError)?;
            tracing::info!(?settings, "mail is delivered through SMTP");
            Some(mailer)
        }
        (None, Some(dir)) => {
            let from = args
                .smtp
                .mail_from
                .as_deref()
                .unwrap_or("Forgekey <forgekey@localhost>")
                .parse()
                .map_err(|e| CliError(format!("--mail-from is not an address: {e}")))?;
            let mailer = crate::server::mailer::Mailer::dir(dir.clone(), from).map_err(CliError)?;
            tracing::info!(dir = %dir.display(), "mail is written to a directory");
            Some(mailer)
        }
        (None, None) => None,
    };
    let store = Store::open(&storage.url, storage.db.backend, storage.timeouts)
        .await
        .map_err(|e| fail("session store", e))?;
    let hashes = hashed_front_end(Path::new(&args.site_root));
    let leptos_options = LeptosOptions::builder()
        .output_name("forgekey")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .hash_files(hashes.is_some())
        .hash_file(Arc::from(
            hashes
                .as_deref()
                .and_then(Path::to_str)
                .unwrap_or("hash.txt"),
        ))
        .build();
    let config = WebConfig {
        public_url: args.public_url,
        session_lifetime: time::Duration::minutes(i64::from(args.session_lifetime_minutes)),
        secret: storage.secret.clone(),
        smtp: smtp.is_some(),
        trusted_proxies: TrustedProxies::new(args.trusted_proxies),
        listen_addr: args.addr,
        metrics: crate::server::metrics::MetricsAccess::new(
            args.metrics_allow,
            std::env::var("FORGEKEY_METRICS_TOKEN").ok().as_deref(),
        ),
        hashed_assets: hashes.is_some(),
    };
    let registry_key = crate::server::registry::key::SigningKey::load_or_create(&storage.data_dir)
        .map_err(|e| fail("container registry signing key", e))?;
    let forgekey_url = config.public_url.as_ref().map_or_else(
        || format!("http://{}", args.addr),
        |url| url.as_str().to_owned(),
    );
    let mut core = storage
        .core(config, Arc::new(SystemClock))
        .with_registry_key(registry_key);
    core.passwords.preallocate();
    core.token_cache = Arc::new(TokenCache::with_capacity(args.token_cache_capacity));
    core.usage = Arc::new(UsageRecorder::with_capacity(args.token_cache_capacity));
    let state = AppState::with_sign_ups(
        leptos_options,
        core,
        Arc::new(SignUpLimiter::per_hour(args.sign_ups_per_address_per_hour)),
    );

    let deletion = tokio::task::spawn(
        tower_sessions::session_store::ExpiredDeletion::continuously_delete_expired(
            store.clone(),
            tokio::time::Duration::from_secs(3600),
        ),
    );
    let feed = crate::server::change_feed::spawn(state.clone(), storage.url.clone());
    let scheduler = crate::server::jobs::spawn_scheduler(state.clone());
    let sender = smtp.map(|mailer| crate::server::jobs::spawn_sender(state.clone(), mailer));
    let registry = (!args.registry.external_registry).then(|| {
        use crate::server::registry::process;
        process::supervise(
            state.clone(),
            args.registry.registry_command.clone(),
            storage.registry_layout(args.registry.registry_addr, &forgekey_url),
            storage.data_dir.join("registry.yml"),
            storage.data_dir.join("registry.log"),
        )
    });
    let app = crate::server::router(state.clone(), store);
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
    // On SIGTERM or Ctrl-C: no new connections, in-flight requests finish
    // (for a bounded time), then the background work stops, job leases go
    // back and the database connections close.
    listen::serve(listener, app, limits, shutdown_signal()).await;
    deletion.abort();
    feed.iter().for_each(tokio::task::JoinHandle::abort);
    if let Some(sender) = sender {
        sender.abort();
    }
    if let Some(registry) = registry {
        registry.stop().await;
    }
    scheduler.stop().await;
    state.db.pool.close().await;
    tracing::info!("Forgekey stopped");
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

/// The hash file of a front end built with content-hashed file names
/// (cargo-leptos writes `hash.txt` beside the server binary; a copy in the
/// site root is read first), as an absolute path, if the files it names are
/// in `site_root`. A stale or missing one means unhashed names.
fn hashed_front_end(site_root: &Path) -> Option<std::path::PathBuf> {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")));
    let file = [Some(site_root.join("hash.txt")), beside_binary]
        .into_iter()
        .flatten()
        .find(|p| p.is_file())?;
    let hashes = std::fs::read_to_string(&file).ok()?;
    let js = hashes
        .lines()
        .find_map(|line| line.trim().strip_prefix("js:"))?
        .trim();
    let script = site_root.join("pkg").join(format!("forgekey.{js}.js"));
    if !script.is_file() {
        tracing::warn!(
            hash_file = %file.display(),
            "the hash file names front-end files the site root does not hold: \
             serving unhashed names"
        );
        return None;
    }
    std::path::absolute(&file).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_file_counts_only_when_the_files_it_names_are_there() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(hashed_front_end(root.path()), None, "no hash file");
        std::fs::write(root.path().join("hash.txt"), "js: Qx7\nwasm: W9\ncss: C1\n").unwrap();
        assert_eq!(hashed_front_end(root.path()), None, "stale: no such script");
        std::fs::create_dir_all(root.path().join("pkg")).unwrap();
        std::fs::write(root.path().join("pkg/forgekey.Qx7.js"), "").unwrap();
        let found = hashed_front_end(root.path()).unwrap();
        assert!(found.is_absolute());
        assert_eq!(
            found,
            std::path::absolute(root.path().join("hash.txt")).unwrap()
        );
    }
}
