//! Showing a new secret once to a browser without JavaScript: a new
//! token's secret, or a new set of recovery codes.
//!
//! A plain form post is answered with a redirect, so the secret cannot
//! travel in the response body, and it must never reach the database (the
//! session store is the database) nor a URL. So the secret travels
//! encrypted (AES-256-GCM under a key derived from the server secret) in a
//! short-lived cookie scoped to the one page that shows it, and the session
//! holds only a one-time ticket: what the secret belongs to and a random
//! nonce, bound into the ciphertext. The page takes the ticket (so a
//! reload or the back button shows nothing), opens the cookie and clears
//! it.

use crate::domain::ids::UserId;
use crate::paths;
use crate::server::config::ServerSecret;
use crate::server::sealed::Sealer;
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// One kind of secret shown once: its cookie, page and key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purpose {
    pub cookie: &'static str,
    /// The only page the cookie is sent to.
    pub path: &'static str,
    /// The session key of the ticket.
    pub session_key: &'static str,
    label: &'static str,
}

/// A new personal access token's secret.
pub const TOKEN_SECRET: Purpose = Purpose {
    cookie: "forgekey_reveal",
    path: paths::TOKENS,
    session_key: "token_reveal",
    label: "forgekey token reveal v1",
};

/// A new impersonation token's secret, shown on the Admin Area's page of
/// the user it acts as.
pub const IMPERSONATION_SECRET: Purpose = Purpose {
    cookie: "forgekey_impersonation_reveal",
    path: paths::ADMIN_USERS,
    session_key: "impersonation_reveal",
    label: "forgekey impersonation token reveal v1",
};

/// A new set of two-factor recovery codes.
pub const RECOVERY_CODES: Purpose = Purpose {
    cookie: "forgekey_recovery_codes",
    path: paths::TWO_FACTOR,
    session_key: "recovery_codes_reveal",
    label: "forgekey recovery codes reveal v1",
};

const MAX_AGE_SECONDS: u32 = 300;

/// What the session keeps: no secret, only what binds the cookie to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// What the secret belongs to (a token's id, a user's id).
    #[serde(alias = "token_id")]
    pub subject: i64,
    pub nonce: String,
}

fn aad(purpose: Purpose, user_id: UserId, ticket: &Ticket) -> Vec<u8> {
    format!(
        "{}:{user_id}:{}:{}",
        purpose.cookie, ticket.subject, ticket.nonce
    )
    .into_bytes()
}

impl Purpose {
    /// Seals `plain` for `user_id`; returns the session ticket and the
    /// cookie's value.
    pub fn seal(
        self,
        secret: &ServerSecret,
        user_id: UserId,
        subject: i64,
        plain: &str,
    ) -> Option<(Ticket, String)> {
        let mut nonce = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ticket = Ticket {
            subject,
            nonce: hex::encode(nonce),
        };
        let value =
            Sealer::new(secret, self.label).seal(plain.as_bytes(), &aad(self, user_id, &ticket))?;
        Some((ticket, value))
    }

    /// Opens a cookie value against the session's ticket; None when
    /// anything does not match.
    pub fn open(
        self,
        secret: &ServerSecret,
        user_id: UserId,
        ticket: &Ticket,
        value: &str,
    ) -> Option<String> {
        let plain = Sealer::new(secret, self.label).open(value, &aad(self, user_id, ticket))?;
        String::from_utf8(plain).ok()
    }

    /// The `Set-Cookie` value that hands the sealed secret to the browser.
    pub fn set_cookie(self, value: &str, secure: bool) -> String {
        self.cookie_with(value, MAX_AGE_SECONDS, secure)
    }

    /// The `Set-Cookie` value that deletes it.
    pub fn clear_cookie(self, secure: bool) -> String {
        self.cookie_with("", 0, secure)
    }

    fn cookie_with(self, value: &str, max_age: u32, secure: bool) -> String {
        format!(
            "{}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            self.cookie,
            self.path,
            if secure { "; Secure" } else { "" }
        )
    }

    /// The cookie's value in a request's `Cookie` headers.
    pub fn from_headers(self, headers: &http::HeaderMap) -> Option<String> {
        headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.cookie)
            .map(|(_, value)| value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secret_opens_only_with_its_ticket_user_purpose_and_key() {
        let key = ServerSecret::from_bytes([1; 64]);
        let p = TOKEN_SECRET;
        let (ticket, value) = p.seal(&key, UserId(7), 42, "fkpat-secret").unwrap();
        assert!(!value.contains("fkpat"));
        assert_eq!(
            p.open(&key, UserId(7), &ticket, &value).as_deref(),
            Some("fkpat-secret")
        );
        assert_eq!(p.open(&key, UserId(8), &ticket, &value), None);
        assert_eq!(RECOVERY_CODES.open(&key, UserId(7), &ticket, &value), None);
        let other_ticket = Ticket {
            subject: 43,
            ..ticket.clone()
        };
        assert_eq!(p.open(&key, UserId(7), &other_ticket, &value), None);
        let other_nonce = Ticket {
            nonce: "00".repeat(16),
            ..ticket.clone()
        };
        assert_eq!(p.open(&key, UserId(7), &other_nonce, &value), None);
        assert_eq!(
            p.open(
                &ServerSecret::from_bytes([2; 64]),
                UserId(7),
                &ticket,
                &value
            ),
            None
        );
        let mut tampered = value.clone();
        tampered.replace_range(30..31, if &value[30..31] == "0" { "1" } else { "0" });
        assert_eq!(p.open(&key, UserId(7), &ticket, &tampered), None);
        assert_eq!(p.open(&key, UserId(7), &ticket, "zz"), None);
    }

    #[test]
    fn cookies_are_scoped_to_their_page() {
        let c = TOKEN_SECRET.set_cookie("abc", true);
        assert!(c.contains("Path=/-/user_settings/personal_access_tokens"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(TOKEN_SECRET.clear_cookie(false).contains("Max-Age=0"));
        assert!(RECOVERY_CODES
            .set_cookie("abc", false)
            .contains("Path=/-/user_settings/two_factor_auth"));
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "forgekey_session=x; forgekey_reveal=abc; forgekey_recovery_codes=def"
                .parse()
                .unwrap(),
        );
        assert_eq!(TOKEN_SECRET.from_headers(&headers).as_deref(), Some("abc"));
        assert_eq!(
            RECOVERY_CODES.from_headers(&headers).as_deref(),
            Some("def")
        );
    }

    #[test]
    fn tickets_stored_before_purposes_still_read() {
        let old: Ticket = serde_json::from_str(r#"{"token_id":5,"nonce":"ab"}"#).unwrap();
        assert_eq!(old.subject, 5);
    }
}
