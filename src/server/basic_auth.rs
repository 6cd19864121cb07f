//! HTTP Basic credentials of Git clients and registry clients (`docker
//! login`, skopeo): a personal access token as the password, or the
//! account's password where the two-factor gate and the instance allow
//! it. Every attempt from an address counts toward its ban, reserved
//! before the check so that a burst of wrong guesses at once cannot
//! overrun the limit.

use crate::domain::lockout::Outcome;
use crate::domain::project::GitActor;
use crate::domain::registry::token_may_authenticate;
use crate::domain::token::check_shape;
use crate::server::db::users::User;
use crate::server::services::addresses;
use crate::server::services::attempts::{self, AddressRefused};
use crate::server::services::settings;
use crate::server::services::tokens::{self, Authenticated};
use crate::server::services::two_factor::{self, GateError};
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::http::{header, HeaderMap};
use base64::Engine;
use std::net::IpAddr;

/// GitLab's answer to wrong, expired or wrongly scoped credentials.
pub const ACCESS_DENIED: &str = "HTTP Basic: Access denied. If a password was provided for Git \
    authentication, the password was incorrect or you're required to use a token instead of a \
    password. If a token was provided, it was either incorrect, expired, or improperly scoped.";

/// What the credentials are presented for: a token must carry a scope for
/// it to sign in to the registry at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Git,
    Registry,
}

/// Who a request's credentials name.
pub enum Identity {
    Anonymous,
    Password(User),
    Token(Authenticated),
}

impl Identity {
    /// Who asks, as the Git and registry rules take it.
    pub fn actor(&self) -> GitActor<'_> {
        match self {
            Identity::Anonymous => GitActor::Anonymous,
            Identity::Password(user) => GitActor::Password {
                user_id: user.id,
                is_admin: user.is_admin,
            },
            Identity::Token(auth) => GitActor::Token {
                user_id: auth.user.id,
                is_admin: auth.user.is_admin,
                scopes: &auth.token.scopes,
                projects: &auth.token.projects,
            },
        }
    }

    /// The username it names (none when anonymous).
    pub fn username(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::Password(user) => Some(&user.username),
            Identity::Token(auth) => Some(&auth.user.username),
        }
    }
}

/// Why credentials were refused.
pub enum Refusal {
    /// The address is banned for this many more seconds.
    Banned { seconds: i64 },
    /// Wrong, expired, revoked or not allowed (counted against the
    /// address), with what to tell the client.
    Denied(String),
    /// Not decided (busy, database unavailable, internal error): never a yes.
    Failed(ServiceError),
}

/// The user and password of an `Authorization: Basic` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Who `headers` name (anonymous without credentials). A banned address is
/// refused before any check; credentials from an address are checked only
/// within its limit, and a refusal counts against it.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    client: Client,
) -> Result<Identity, Refusal> {
    let now = state.now();
    let credentials = headers.contains_key(header::AUTHORIZATION);
    let attempt = match ip {
        Some(ip) if credentials => match attempts::reserve_address(state, ip).await {
            Ok(attempt) => Some(attempt),
            Err(AddressRefused::Banned { until }) => {
                return Err(Refusal::Banned {
                    seconds: until - now,
                })
            }
            Err(AddressRefused::Failed(e)) => return Err(Refusal::Failed(e)),
        },
        Some(ip) => match attempts::address_banned_until(state, ip).await {
            Ok(Some(until)) => {
                return Err(Refusal::Banned {
                    seconds: until - now,
                })
            }
            Ok(None) => None,
            Err(e) => return Err(Refusal::Failed(e)),
        },
        None => None,
    };
    let identity = identify(state, headers, ip, client).await;
    if let Some(attempt) = attempt {
        let outcome = match identity {
            Err(Refusal::Denied(_)) => Outcome::Wrong,
            _ => Outcome::Unchecked,
        };
        // A failure that cannot be counted is not answered as one.
        attempt.settle(outcome).await.map_err(Refusal::Failed)?;
    }
    identity
}

async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    ip: Option<IpAddr>,
    client: Client,
) -> Result<Identity, Refusal> {
    let Some((username, password)) = basic_credentials(headers) else {
        return Ok(Identity::Anonymous);
    };
    let settings = settings::current(state).await.map_err(Refusal::Failed)?;
    let denied = || Refusal::Denied(ACCESS_DENIED.to_owned());
    if check_shape(&password).is_ok() {
        let auth = tokens::authenticate(state, &password)
            .await
            .map_err(|e| match e {
                ServiceError::Internal | ServiceError::Unavailable => Refusal::Failed(e),
                _ => denied(),
            })?;
        // Any non-empty username works, as in GitLab, unless the stricter
        // instance setting asks for the token owner's.
        let username = username.trim();
        let mismatch =
            settings.git_token_username_match && !auth.user.username.eq_ignore_ascii_case(username);
        if username.is_empty() || mismatch {
            return Err(denied());
        }
        if client == Client::Registry && !token_may_authenticate(&auth.token.scopes) {
            return Err(denied());
        }
        // Outside the token's allowed addresses: a wrong password, as the
        // client sees it (the owner is told).
        addresses::admit(state, &auth, ip)
            .await
            .map_err(|e| match e {
                ServiceError::Internal | ServiceError::Unavailable => Refusal::Failed(e),
                _ => denied(),
            })?;
        return Ok(Identity::Token(auth));
    }
    two_factor::authenticate_password_client(
        state,
        &username,
        &password,
        settings.git_password_auth,
    )
    .await
    .map(Identity::Password)
    .map_err(|e| match e {
        GateError::Refused(reason) => {
            Refusal::Denied(reason.message(&state.config.base_url(headers)))
        }
        GateError::Locked { minutes } => Refusal::Denied(format!(
            "HTTP Basic: Access denied. Your account is locked after too many failed sign-in \
             attempts; try again in {minutes} minutes."
        )),
        GateError::InvalidCredentials => denied(),
        GateError::Failed(e) => Refusal::Failed(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn basic_credentials_never_panic(value in proptest::collection::vec(0x20u8..0x7f, 0..200)) {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_bytes(&value).unwrap());
            let _ = basic_credentials(&headers);
        }

        #[test]
        fn encoded_credentials_come_back_as_sent(user in "[^:]{0,30}", password in ".{0,60}") {
            let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {encoded}")).unwrap());
            prop_assert_eq!(basic_credentials(&headers), Some((user, password)));
        }
    }
}
