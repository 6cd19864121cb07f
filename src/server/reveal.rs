//! Showing a new token's secret once to a browser without JavaScript.
//!
//! A plain form post is answered with a redirect, so the secret cannot
//! travel in the response body, and it must never reach the database (the
//! session store is the database) nor a URL. So the secret travels
//! encrypted (AES-256-GCM under a key derived from the server secret) in a
//! short-lived cookie scoped to the tokens page, and the session holds only
//! a one-time ticket: the token id and a random nonce bound into the
//! ciphertext. The page takes the ticket (so a reload or the back button
//! shows nothing), opens the cookie and clears it.

use crate::server::config::ServerSecret;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "forgekey_reveal";
/// The only page the cookie is sent to.
pub const COOKIE_PATH: &str = "/-/user_settings/personal_access_tokens";
const MAX_AGE_SECONDS: u32 = 300;
const KEY_LABEL: &str = "forgekey token reveal v1";

/// What the session keeps: no secret, only what binds the cookie to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub token_id: i64,
    pub nonce: String,
}

fn cipher(secret: &ServerSecret) -> Aes256Gcm {
    Aes256Gcm::new(&secret.subkey(KEY_LABEL).into())
}

fn aad(user_id: i64, ticket: &Ticket) -> Vec<u8> {
    format!("{user_id}:{}:{}", ticket.token_id, ticket.nonce).into_bytes()
}

/// Seals `token_secret` for `user_id`; returns the session ticket and the
/// cookie's value.
pub fn seal(
    secret: &ServerSecret,
    user_id: i64,
    token_id: i64,
    token_secret: &str,
) -> Option<(Ticket, String)> {
    let mut random = [0u8; 16 + 12];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let (ticket_nonce, iv) = random.split_at(16);
    let ticket = Ticket {
        token_id,
        nonce: hex::encode(ticket_nonce),
    };
    let sealed = cipher(secret)
        .encrypt(
            Nonce::from_slice(iv),
            Payload {
                msg: token_secret.as_bytes(),
                aad: &aad(user_id, &ticket),
            },
        )
        .ok()?;
    let mut value = hex::encode(iv);
    value.push_str(&hex::encode(sealed));
    Some((ticket, value))
}

/// Opens a cookie value against the session's ticket; None when anything
/// does not match.
pub fn open(secret: &ServerSecret, user_id: i64, ticket: &Ticket, value: &str) -> Option<String> {
    let bytes = hex::decode(value).ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (iv, sealed) = bytes.split_at(12);
    let plain = cipher(secret)
        .decrypt(
            Nonce::from_slice(iv),
            Payload {
                msg: sealed,
                aad: &aad(user_id, ticket),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// The `Set-Cookie` value that hands the sealed secret to the browser.
pub fn set_cookie(value: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that deletes it.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The cookie's value in a request's `Cookie` headers.
pub fn from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_with_its_ticket_user_and_key() {
        let key = ServerSecret::from_bytes([1; 64]);
        let (ticket, value) = seal(&key, 7, 42, "fkpat-secret").unwrap();
        assert!(!value.contains("fkpat"));
        assert_eq!(
            open(&key, 7, &ticket, &value).as_deref(),
            Some("fkpat-secret")
        );
        assert_eq!(open(&key, 8, &ticket, &value), None);
        let other_ticket = Ticket {
            token_id: 43,
            ..ticket.clone()
        };
        assert_eq!(open(&key, 7, &other_ticket, &value), None);
        let other_nonce = Ticket {
            nonce: "00".repeat(16),
            ..ticket.clone()
        };
        assert_eq!(open(&key, 7, &other_nonce, &value), None);
        assert_eq!(
            open(&ServerSecret::from_bytes([2; 64]), 7, &ticket, &value),
            None
        );
        let mut tampered = value.clone();
        tampered.replace_range(30..31, if &value[30..31] == "0" { "1" } else { "0" });
        assert_eq!(open(&key, 7, &ticket, &tampered), None);
        assert_eq!(open(&key, 7, &ticket, "zz"), None);
    }

    #[test]
    fn cookie_is_scoped_to_the_tokens_page() {
        let c = set_cookie("abc", true);
        assert!(c.contains("Path=/-/user_settings/personal_access_tokens"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "forgekey_session=x; forgekey_reveal=abc".parse().unwrap(),
        );
        assert_eq!(from_headers(&headers).as_deref(), Some("abc"));
    }
}
