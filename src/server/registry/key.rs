//! The key the token server signs registry tokens with: a P-256 key in the
//! data directory (`registry-auth.key`, mode 0600, made on first use) and
//! its self-signed certificate (`registry-auth.crt`), which the registry
//! trusts as its root bundle. Tokens name the key by its id in the form
//! Distribution computes from the certificate (libtrust's).

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const KEY_FILE: &str = "registry-auth.key";
pub const CERT_FILE: &str = "registry-auth.crt";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} holds no usable P-256 key: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// A signing key with what the registry needs to trust it.
pub struct SigningKey {
    encoding: jsonwebtoken::EncodingKey,
    /// libtrust's key id: what a token's `kid` header names.
    pub kid: String,
    /// The certificate the registry's `rootcertbundle` holds (PEM).
    pub certificate: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new key that lives in memory only (tests).
    pub fn generate() -> Result<Self, String> {
        let pair = KeyPair::generate().map_err(|e| e.to_string())?;
        let certificate = certificate(&pair)?;
        Self::from_pair(&pair, certificate)
    }

    fn from_pair(pair: &KeyPair, certificate: String) -> Result<Self, String> {
        let encoding = jsonwebtoken::EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(Self {
            encoding,
            kid: libtrust_key_id(&pair.subject_public_key_info()),
            certificate,
        })
    }

    /// The key of `data_dir`, made there with its certificate on first
    /// use. A missing certificate is made again (it only restates the
    /// key); whoever replaces the key deletes the certificate with it.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let key_path = data_dir.join(KEY_FILE);
        let cert_path = data_dir.join(CERT_FILE);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| KeyError::Io { path, source }
        };
        let invalid = |reason: String| KeyError::Invalid {
            path: key_path.clone(),
            reason,
        };
        let (pair, made) = match std::fs::read_to_string(&key_path) {
            Ok(pem) => (
                KeyPair::from_pem(&pem).map_err(|e| invalid(e.to_string()))?,
                false,
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = KeyPair::generate().map_err(|e| invalid(e.to_string()))?;
                write_new(&key_path, &pair.serialize_pem(), 0o600).map_err(io(&key_path))?;
                (pair, true)
            }
            Err(e) => return Err(io(&key_path)(e)),
        };
        let kept = match std::fs::read_to_string(&cert_path) {
            Ok(pem) if !made => Some(pem),
            Ok(_) => None,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(&cert_path)(e)),
        };
        let certificate = match kept {
            Some(pem) => pem,
            None => {
                let pem = certificate(&pair).map_err(invalid)?;
                replace(&cert_path, &pem).map_err(io(&cert_path))?;
                pem
            }
        };
        Self::from_pair(&pair, certificate).map_err(invalid)
    }

    /// Signs `claims` as an ES256 JWT naming this key.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> Result<String, String> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| e.to_string())
    }
}

/// A self-signed certificate of `pair`'s public key, without a
/// well-defined expiry (RFC 5280's 9999-12-31): the registry uses only its
/// public key.
fn certificate(pair: &KeyPair) -> Result<String, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "Forgekey registry token signer");
    params.distinguished_name = name;
    params.not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
    params.not_after = time::macros::datetime!(9999-12-31 23:59:59 UTC);
    Ok(params.self_signed(pair).map_err(|e| e.to_string())?.pem())
}

/// Creates `path` with `contents`; fails if it exists (two instances
/// starting at once keep the first key).
fn write_new(path: &Path, contents: &str, mode: u32) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Writes `path` whole or not at all (a temporary file renamed over it).
fn replace(path: &Path, contents: &str) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    let _ = std::fs::remove_file(&temporary);
    write_new(&temporary, contents, 0o644)?;
    std::fs::rename(&temporary, path)
}

/// The key id Distribution computes for a public key (libtrust's
/// `KeyID`): the SHA-256 of its DER SubjectPublicKeyInfo, cut to 240 bits,
/// in base32, as twelve groups of four joined by `:`.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let encoded = data_encoding::BASE32_NOPAD.encode(&digest[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_have_libtrusts_shape() {
        let id = libtrust_key_id(b"any public key");
        assert_eq!(id.len(), 12 * 4 + 11);
        assert!(id.split(':').all(|g| g.len() == 4
            && g.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))));
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKey::load_or_create(dir.path()).unwrap();
        let again = SigningKey::load_or_create(dir.path()).unwrap();
        assert_eq!(first.kid, again.kid);
        assert_eq!(first.certificate, again.certificate);
        let cert = std::fs::read_to_string(dir.path().join(CERT_FILE)).unwrap();
        assert_eq!(cert, first.certificate);
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A lost certificate is made again for the same key; another key
        // differs.
        std::fs::remove_file(dir.path().join(CERT_FILE)).unwrap();
        let restored = SigningKey::load_or_create(dir.path()).unwrap();
        assert_eq!(restored.kid, first.kid);
        assert!(dir.path().join(CERT_FILE).exists());
        assert_ne!(SigningKey::generate().unwrap().kid, first.kid);
    }

    #[test]
    fn a_damaged_key_file_is_an_error_not_a_new_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), "not a key").unwrap();
        assert!(matches!(
            SigningKey::load_or_create(dir.path()),
            Err(KeyError::Invalid { .. })
        ));
    }

    #[test]
    fn tokens_are_es256_jwts_naming_the_key() {
        let key = SigningKey::generate().unwrap();
        let jwt = key.sign(&serde_json::json!({"sub": "alice"})).unwrap();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
    }
}
