//! Runtime configuration and the server secret.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The server secret: 64 random bytes that key session cookies, token
/// digests and sealed one-time secrets. Its Debug output never shows them.
#[derive(Clone)]
pub struct ServerSecret {
    bytes: [u8; 64],
    /// Derived and keyed once: every API request needs it.
    token_digest_key: DigestKey,
}

use crate::domain::token::DigestKey;

const TOKEN_DIGEST_LABEL: &str = "forgekey personal access token digest v1";

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(…)")
    }
}

fn derive(secret: &[u8; 64], label: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("FORGEKEY_SECRET must be 128 hexadecimal characters (64 bytes)")]
    BadHex,
    #[error("cannot read or create the secret file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl ServerSecret {
    pub fn from_bytes(bytes: [u8; 64]) -> Self {
        Self {
            bytes,
            token_digest_key: DigestKey::new(&derive(&bytes, TOKEN_DIGEST_LABEL)),
        }
    }

    pub fn bytes(&self) -> &[u8; 64] {
        &self.bytes
    }

    /// The key of personal access token digests.
    pub fn token_digest_key(&self) -> &DigestKey {
        &self.token_digest_key
    }

    /// A key for one purpose, derived from the secret (HMAC-SHA-256 of the
    /// label), so no two uses share key material.
    pub fn subkey(&self, label: &str) -> [u8; 32] {
        derive(&self.bytes, label)
    }

    /// A keyed fingerprint of the secret (it tells nothing of the secret),
    /// recorded in the database so that an instance started with another
    /// secret notices.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.subkey("forgekey instance fingerprint v1")[..16])
    }

    fn from_hex(text: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SecretError::BadHex)?;
        let bytes: [u8; 64] = bytes.try_into().map_err(|_| SecretError::BadHex)?;
        Ok(Self::from_bytes(bytes))
    }

    pub fn random() -> Self {
        let mut bytes = [0u8; 64];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        Self::from_bytes(bytes)
    }

    /// Takes the secret from `configured` (hex) if given, else from
    /// `<data_dir>/secret.key`, creating that file (mode 0600) on first start.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Self, SecretError> {
        if let Some(hex) = configured {
            return Self::from_hex(hex);
        }
        let path = data_dir.join("secret.key");
        let io = |source| SecretError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = Self::random();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(io)?;
                file.write_all(hex::encode(secret.bytes).as_bytes())
                    .map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(secret)
            }
            Err(e) => Err(io(e)),
        }
    }
}

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The URL people reach Forgekey at; an https URL turns on Secure
    /// cookies and HSTS.
    pub public_url: Option<url::Url>,
    /// Sessions end after this long without activity.
    pub session_lifetime: time::Duration,
    pub secret: ServerSecret,
    /// An SMTP server delivers the outbox (else mail only waits there).
    pub smtp: bool,
    /// Reverse proxies whose forwarding headers name the client.
    pub trusted_proxies: crate::server::client_addr::TrustedProxies,
    /// The address served (links in mail point there without a public URL).
    pub listen_addr: std::net::SocketAddr,
    /// Who may read `/-/metrics` besides loopback clients.
    pub metrics: crate::server::metrics::MetricsAccess,
    /// The front end's file names carry content hashes (cargo-leptos'
    /// `hash-files`): browsers may keep them for a year.
    pub hashed_assets: bool,
}

impl WebConfig {
    /// Where links Forgekey writes point (clone URLs, API links, hints):
    /// the public URL, or else the host the request was sent to.
    pub fn base_url(&self, headers: &http::HeaderMap) -> String {
        if let Some(url) = &self.public_url {
            return url.as_str().trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    }

    pub fn is_https(&self) -> bool {
        self.public_url
            .as_ref()
            .is_some_and(|u| u.scheme() == "https")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let first = ServerSecret::load_or_create(None, dir.path()).unwrap();
        let second = ServerSecret::load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&hex::encode(&first.bytes()[..8])));
    }

    #[test]
    fn configured_secret_must_be_64_bytes_of_hex() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ServerSecret::load_or_create(Some("abcd"), dir.path()).is_err());
        let hex = "ab".repeat(64);
        let s = ServerSecret::load_or_create(Some(&hex), dir.path()).unwrap();
        assert_eq!(s.bytes(), &[0xab; 64]);
        assert!(!dir.path().join("secret.key").exists());
    }
}
