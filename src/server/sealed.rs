//! Authenticated encryption of small secrets under keys derived from the
//! server secret (AES-256-GCM). A sealed value is `hex(iv || ciphertext)`;
//! the associated data binds it to its owner, so a value copied to another
//! row or user does not open. Anything that does not open is `None`:
//! callers fail closed.

use crate::server::config::ServerSecret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;

const IV_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

pub struct Sealer(Aes256Gcm);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer whose key is the server secret's subkey for `label`.
    pub fn new(secret: &ServerSecret, label: &str) -> Self {
        Self(Aes256Gcm::new(&secret.subkey(label).into()))
    }

    /// Encrypts `plain` under a fresh random IV.
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Option<String> {
        let mut iv = [0u8; IV_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut iv);
        let sealed = self
            .0
            .encrypt(Nonce::from_slice(&iv), Payload { msg: plain, aad })
            .ok()?;
        let mut value = hex::encode(iv);
        value.push_str(&hex::encode(sealed));
        Some(value)
    }

    /// Decrypts a sealed value; `None` if it was altered, sealed with
    /// another key or for other associated data.
    pub fn open(&self, value: &str, aad: &[u8]) -> Option<Vec<u8>> {
        let bytes = hex::decode(value).ok()?;
        if bytes.len() < IV_BYTES + TAG_BYTES {
            return None;
        }
        let (iv, sealed) = bytes.split_at(IV_BYTES);
        self.0
            .decrypt(Nonce::from_slice(iv), Payload { msg: sealed, aad })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_unaltered_with_its_key_label_and_data() {
        let key = ServerSecret::from_bytes([1; 64]);
        let sealer = Sealer::new(&key, "test v1");
        let value = sealer.seal(b"secret", b"user 7").unwrap();
        assert!(!value.contains(&hex::encode(b"secret")));
        assert_eq!(
            sealer.open(&value, b"user 7").as_deref(),
            Some(&b"secret"[..])
        );
        assert_eq!(sealer.open(&value, b"user 8"), None);
        assert_eq!(Sealer::new(&key, "test v2").open(&value, b"user 7"), None);
        let other = ServerSecret::from_bytes([2; 64]);
        assert_eq!(Sealer::new(&other, "test v1").open(&value, b"user 7"), None);
        for i in 0..value.len() {
            let mut tampered = value.clone();
            let flipped = if &value[i..=i] == "0" { "1" } else { "0" };
            tampered.replace_range(i..=i, flipped);
            assert_eq!(sealer.open(&tampered, b"user 7"), None, "digit {i}");
        }
        assert_eq!(sealer.open("zz", b"user 7"), None);
        assert_eq!(sealer.open(&value[..40], b"user 7"), None);
        // A fresh IV each time.
        assert_ne!(sealer.seal(b"secret", b"user 7").unwrap(), value);
    }
}
