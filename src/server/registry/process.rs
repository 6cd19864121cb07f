//! The registry beside Forgekey. While the registry is enabled, `serve`
//! runs Docker Distribution (Debian's `docker-registry`) with the
//! configuration [`config_yaml`] writes, restarts it if it stops, and
//! stops it when the registry is turned off or Forgekey stops. An operator
//! who runs their own registry prints the same configuration with
//! `forgekey registry config` and starts Forgekey with
//! `--external-registry`.

use crate::domain::registry::{ISSUER, SERVICE};
use crate::server::services::registry;
use crate::server::state::AppState;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// Where the registry listens by default: GitLab's registry port, beside
/// Forgekey (Debian's own registry service, if started, takes 5000).
pub const DEFAULT_ADDR: &str = "127.0.0.1:5050";

/// What the registry's configuration names.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Where the registry listens.
    pub listen: SocketAddr,
    /// Forgekey's token endpoint as clients reach it.
    pub realm: String,
    /// Where the registry keeps images.
    pub storage: PathBuf,
    /// Forgekey's signing certificate.
    pub certificate: PathBuf,
    /// Keys the registry's upload state (stable across restarts).
    pub http_secret: String,
}

impl Layout {
    /// The layout of a data directory: images under `registry/`, the
    /// certificate beside the signing key.
    pub fn in_data_dir(
        data_dir: &Path,
        listen: SocketAddr,
        forgekey_url: &str,
        http_secret: String,
    ) -> Self {
        Self {
            listen,
            realm: format!("{}/jwt/auth", forgekey_url.trim_end_matches('/')),
            storage: data_dir.join("registry"),
            certificate: data_dir.join(super::key::CERT_FILE),
            http_secret,
        }
    }
}

/// A string as YAML reads it whatever it holds (a JSON string is a YAML
/// double-quoted scalar).
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Distribution 2.8's configuration for Forgekey as its token server.
pub fn config_yaml(layout: &Layout) -> String {
    let path = |p: &Path| quoted(&p.to_string_lossy());
    format!(
        "# Docker Distribution (docker-registry 2.8) with Forgekey as its token server.\n\
         # Written by Forgekey: `forgekey registry config` prints it again.\n\
         version: 0.1\n\
         log:\n  level: info\n  formatter: text\n\
         storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n\
         http:\n  addr: {listen}\n  secret: {secret}\n  headers:\n    X-Content-Type-Options: [nosniff]\n\
         auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    \
         rootcertbundle: {certificate}\n",
        storage = path(&layout.storage),
        listen = quoted(&layout.listen.to_string()),
        secret = quoted(&layout.http_secret),
        realm = quoted(&layout.realm),
        service = quoted(SERVICE),
        issuer = quoted(ISSUER),
        certificate = path(&layout.certificate),
    )
}

/// The running supervisor.
pub struct Supervisor {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Supervisor {
    /// Stops the registry (if running) and the supervision.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// How often the supervisor looks at the setting and the process.
const TICK: Duration = Duration::from_secs(2);

/// Starts supervising: `command` (the registry binary) runs with the
/// configuration written to `config_path` whenever the registry is
/// enabled; its output goes to `log_path`.
pub fn supervise(
    state: AppState,
    command: PathBuf,
    layout: Layout,
    config_path: PathBuf,
    log_path: PathBuf,
) -> Supervisor {
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        let mut child: Option<Child> = None;
        let mut warned = false;
        loop {
            // A setting that cannot be read now leaves things as they are.
            let wanted = match registry::settings(&state).await {
                Ok(s) => s.enabled,
                Err(_) => child.is_some(),
            };
            if let Some(running) = child.as_mut() {
                match running.try_wait() {
                    Ok(Some(status)) => {
                        tracing::warn!(%status, "the container registry stopped; starting it again");
                        child = None;
                    }
                    Ok(None) if !wanted => {
                        end(running).await;
                        tracing::info!("container registry stopped (turned off)");
                        child = None;
                    }
                    _ => {}
                }
            }
            if wanted && child.is_none() {
                match start(&command, &layout, &config_path, &log_path).await {
                    Ok(started) => {
                        tracing::info!(addr = %layout.listen, "container registry started");
                        warned = false;
                        child = Some(started);
                    }
                    Err(e) if !warned => {
                        tracing::error!(command = %command.display(), error = %e,
                            "cannot start the container registry (install docker-registry, or \
                             run Forgekey with --external-registry)");
                        warned = true;
                    }
                    Err(_) => {}
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stopped.changed() => break,
            }
        }
        if let Some(running) = child.as_mut() {
            end(running).await;
            tracing::info!("container registry stopped");
        }
    });
    Supervisor { stop, task }
}

async fn start(
    command: &Path,
    layout: &Layout,
    config_path: &Path,
    log_path: &Path,
) -> std::io::Result<Child> {
    tokio::fs::create_dir_all(&layout.storage).await?;
    tokio::fs::write(config_path, config_yaml(layout)).await?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)?;
    Command::new(command)
        .arg("serve")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
}

async fn end(child: &mut Child) {
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_forgekey_as_token_server() {
        let layout = Layout::in_data_dir(
            Path::new("/srv/forgekey data"),
            "127.0.0.1:5050".parse().unwrap(),
            "https://keys.example.com/",
            "s3cr\"et".to_owned(),
        );
        let yaml = config_yaml(&layout);
        for line in [
            "    rootdirectory: \"/srv/forgekey data/registry\"",
            "  addr: \"127.0.0.1:5050\"",
            "  secret: \"s3cr\\\"et\"",
            "    realm: \"https://keys.example.com/jwt/auth\"",
            "    service: \"container_registry\"",
            "    issuer: \"forgekey\"",
            "    rootcertbundle: \"/srv/forgekey data/registry-auth.crt\"",
        ] {
            assert!(yaml.lines().any(|l| l == line), "{line} in\n{yaml}");
        }
    }
}
