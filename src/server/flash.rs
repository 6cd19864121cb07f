//! A form's one-time outcome for a visitor who has no session yet (a
//! failed sign-in or sign-up without JavaScript) travels in a short-lived
//! sealed cookie instead: anonymous posts never create a session row.

use crate::server::config::ServerSecret;
use crate::server::sealed::Sealer;

const COOKIE: &str = "forgekey_flash";
const LABEL: &str = "forgekey form flash v1";
/// Long enough for the redirect it rides on.
const MAX_AGE_SECONDS: u32 = 60;

/// The `Set-Cookie` value carrying `json`, sealed; `None` if sealing failed.
pub fn set_cookie(secret: &ServerSecret, json: &str, secure: bool) -> Option<String> {
    let value = Sealer::new(secret, LABEL).seal(json.as_bytes(), COOKIE.as_bytes())?;
    Some(cookie_with(&value, MAX_AGE_SECONDS, secure))
}

/// The `Set-Cookie` value that deletes it.
pub fn clear_cookie(secure: bool) -> String {
    cookie_with("", 0, secure)
}

fn cookie_with(value: &str, max_age: u32, secure: bool) -> String {
    format!(
        "{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The outcome a request's cookie carries, opened; `None` without one, or
/// when it was altered or sealed under another key.
pub fn from_headers(secret: &ServerSecret, headers: &http::HeaderMap) -> Option<String> {
    let value = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)?;
    let plain = Sealer::new(secret, LABEL).open(value, COOKIE.as_bytes())?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_outcome_opens_only_unaltered_and_with_its_key() {
        let key = ServerSecret::from_bytes([3; 64]);
        let set = set_cookie(&key, r#"{"form":"sign_in"}"#, true).unwrap();
        assert!(set.contains("Max-Age=60; HttpOnly; SameSite=Lax; Secure"));
        let value = set.split(';').next().unwrap().to_owned();
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::COOKIE, value.parse().unwrap());
        assert_eq!(
            from_headers(&key, &headers).as_deref(),
            Some(r#"{"form":"sign_in"}"#)
        );
        let other = ServerSecret::from_bytes([4; 64]);
        assert_eq!(from_headers(&other, &headers), None);
        let mut flipped = value.into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        headers.insert(
            http::header::COOKIE,
            String::from_utf8(flipped).unwrap().parse().unwrap(),
        );
        assert_eq!(from_headers(&key, &headers), None);
    }
}
