//! `ApiAuth`: who a REST request acts for. The extractor reads what the
//! request presents and `services::callers` decides (token, scopes, `Sudo`);
//! handlers only take it.
//!
//! A token is read from the `PRIVATE-TOKEN` header, `Authorization: Bearer`,
//! or the `private_token` / `access_token` query parameters. Sessions
//! (cookies) never authenticate the API.

use super::error::ApiError;
use crate::domain::access::Area;
use crate::domain::instant;
use crate::domain::token::is_rotation_path;
use crate::server::client_addr::client_ip;
use crate::server::services::callers::{self, Presented, Refused};
use crate::server::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, Method};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// Whom a REST request acts for: handlers take it as an argument.
pub use crate::server::services::callers::Caller as ApiAuth;

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A token found in a form or JSON request body (see `token_from_body`).
#[derive(Clone)]
pub struct BodyToken(String);

/// GitLab also reads `private_token` (and `access_token`) from a form or
/// JSON body. For requests with a body and no token elsewhere, the body is
/// read (within the body limit) and passed on unchanged; a token found in it
/// rides along as an extension for `ApiAuth`. Nothing here logs.
pub async fn token_from_body(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = req.into_parts();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    let json = content_type.starts_with("application/json");
    // Cheapest test first: most API requests have no body.
    if !(form || json) || presented_token(&parts).is_some() {
        return next
            .run(axum::extract::Request::from_parts(parts, body))
            .await;
    }
    let bytes = match axum::body::to_bytes(body, crate::server::MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let token = if form {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "private_token" || k == "access_token")
            .map(|(_, v)| v.into_owned())
    } else {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| {
                ["private_token", "access_token"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|t| t.as_str()).map(str::to_owned))
            })
    };
    let mut req = axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
    if let Some(token) = token {
        req.extensions_mut()
            .insert(BodyToken(token.trim().to_owned()));
    }
    next.run(req).await
}

/// Forgekey's answer to GitHub's `GitHub-Authentication-Token-Expiration`:
/// when the token that authenticated the request stops working (RFC 3339,
/// UTC), so clients can warn before it does. Absent for tokens without an
/// expiry date and for requests no token authenticated.
pub const TOKEN_EXPIRES_AT: HeaderName = HeaderName::from_static("x-forgekey-token-expires-at");

/// Where [`ApiAuth`] leaves the authenticating token's expiry for
/// [`announce_expiry`] to write into the answer.
#[derive(Clone, Default)]
struct ExpirySlot(Arc<OnceLock<i64>>);

/// Adds [`TOKEN_EXPIRES_AT`] to the answers of requests a token with an
/// expiry date authenticated, whatever the handler answered.
pub async fn announce_expiry(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let slot = ExpirySlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    if let Some(&at) = slot.0.get() {
        if let Ok(value) = HeaderValue::from_str(&instant::machine(at)) {
            res.headers_mut().insert(TOKEN_EXPIRES_AT, value);
        }
    }
    res
}

/// Leaves `expires_at`, the expiry of the token that authenticated the
/// request, for [`announce_expiry`] to write (on routes it wraps).
pub fn note_expiry(parts: &Parts, expires_at: Option<i64>) {
    if let (Some(slot), Some(at)) = (parts.extensions.get::<ExpirySlot>(), expires_at) {
        let _ = slot.0.set(at);
    }
}

const PRIVATE_TOKEN: HeaderName = HeaderName::from_static("private-token");
const SUDO: HeaderName = HeaderName::from_static("sudo");

/// The secret presented with a request, wherever GitLab clients put it
/// (borrowed from the request when it came in a header).
pub fn presented_token(parts: &Parts) -> Option<Cow<'_, str>> {
    if let Some(v) = parts.headers.get(PRIVATE_TOKEN) {
        return v.to_str().ok().map(|s| Cow::Borrowed(s.trim()));
    }
    if let Some(v) = parts.headers.get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, rest) = v.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Cow::Borrowed(rest.trim()));
    }
    query_param(parts, "private_token")
        .or_else(|| query_param(parts, "access_token"))
        .map(Cow::Owned)
        .or_else(|| {
            parts
                .extensions
                .get::<BodyToken>()
                .map(|t| Cow::Borrowed(t.0.as_str()))
        })
}

/// Which scopes a request to `path` needs: `/user`, `/users…` and
/// `/version` (GitLab lets `read_user` read them), the token itself
/// (reading or revoking `/personal_access_tokens/self`), or the rest (with
/// or without the `/api/v4` prefix).
fn area_of(method: &Method, path: &str) -> Area {
    let path = path.strip_prefix("/api/v4").unwrap_or(path);
    if path == "/user"
        || path.starts_with("/user/")
        || path.starts_with("/users")
        || path == "/version"
    {
        Area::Users
    } else if path == "/personal_access_tokens/self"
        && matches!(*method, Method::GET | Method::HEAD | Method::DELETE)
    {
        Area::OwnToken
    } else {
        Area::General
    }
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = presented_token(parts).ok_or(ApiError::Unauthorized)?;
        let sudo = parts
            .headers
            .get(SUDO)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .or_else(|| query_param(parts, "sudo"));
        let presented = Presented {
            secret: &secret,
            read_only: matches!(parts.method, Method::GET | Method::HEAD),
            area: area_of(&parts.method, parts.uri.path()),
            rotation: is_rotation_path(parts.uri.path()),
            sudo: sudo.as_deref(),
            address: client_ip(&parts.extensions),
        };
        let caller = callers::identify(state, presented).await;
        if let Ok(caller) = &caller {
            note_expiry(parts, caller.token.expires_at);
        }
        caller.map_err(|refused| match (refused, sudo.as_deref()) {
            // GitLab names what it looked for.
            (Refused::NoSuchUser, Some(who)) => ApiError::NotFoundNamed(format!(
                "User with ID or username '{}'",
                who.trim().chars().take(255).collect::<String>()
            )),
            (refused, _) => refused.into(),
        })
    }
}

/// Whom a request acts for, if it presents a token at all: the few reads
/// GitLab also answers anonymously (`GET /users?username=`, public
/// projects) take this. A token presented is checked as for [`ApiAuth`]:
/// a bad one is still 401.
pub struct MaybeApiAuth(pub Option<ApiAuth>);

impl FromRequestParts<AppState> for MaybeApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if presented_token(parts).is_none() {
            return Ok(Self(None));
        }
        ApiAuth::from_request_parts(parts, state)
            .await
            .map(|auth| Self(Some(auth)))
    }
}

impl From<Refused> for ApiError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Unauthenticated => Self::Unauthorized,
            Refused::Expired => Self::TokenExpired,
            Refused::Revoked => Self::TokenRevoked,
            Refused::MissingScope { needed } => Self::InsufficientScope { needed },
            Refused::Forbidden => Self::Forbidden,
            Refused::Blocked => Self::ForbiddenBecause("Your account has been blocked."),
            Refused::SudoNotAdmin => Self::ForbiddenBecause("Must be admin to use sudo"),
            Refused::NoSuchUser => Self::NotFound("User"),
            Refused::Unavailable => Self::Unavailable,
            Refused::Internal => Self::Internal,
        }
    }
}

impl ApiAuth {
    /// Administrators only (acting as themselves or through sudo as another
    /// administrator).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(req: Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn tokens_are_found_where_gitlab_clients_put_them() {
        let p = parts(
            Request::get("/api/v4/user")
                .header("PRIVATE-TOKEN", "a")
                .body(())
                .unwrap(),
        );
        assert_eq!(presented_token(&p).as_deref(), Some("a"));
        let p = parts(
            Request::get("/")
                .header("Authorization", "bearer b")
                .body(())
                .unwrap(),
        );
        assert_eq!(presented_token(&p).as_deref(), Some("b"));
        let p = parts(
            Request::get("/")
                .header("Authorization", "Basic Yjpj")
                .body(())
                .unwrap(),
        );
        assert_eq!(presented_token(&p), None);
        let p = parts(Request::get("/x?a=1&private_token=c%2Bd").body(()).unwrap());
        assert_eq!(presented_token(&p).as_deref(), Some("c+d"));
        let p = parts(Request::get("/x?access_token=e").body(()).unwrap());
        assert_eq!(presented_token(&p).as_deref(), Some("e"));
        let p = parts(Request::get("/x").body(()).unwrap());
        assert_eq!(presented_token(&p), None);
    }

    #[test]
    fn user_endpoints_form_their_own_area() {
        let get = Method::GET;
        assert_eq!(area_of(&get, "/api/v4/user"), Area::Users);
        assert_eq!(area_of(&get, "/users/3"), Area::Users);
        assert_eq!(area_of(&get, "/user"), Area::Users);
        assert_eq!(area_of(&get, "/personal_access_tokens"), Area::General);
        assert_eq!(area_of(&get, "/username_thing"), Area::General);
        assert_eq!(area_of(&get, "/version"), Area::Users);
        assert_eq!(area_of(&get, "/versions"), Area::General);
        assert_eq!(
            area_of(&get, "/api/v4/personal_access_tokens/self"),
            Area::OwnToken
        );
        assert_eq!(
            area_of(&Method::DELETE, "/personal_access_tokens/self"),
            Area::OwnToken
        );
        assert_eq!(
            area_of(&Method::POST, "/personal_access_tokens/self"),
            Area::General
        );
        assert_eq!(
            area_of(&Method::POST, "/personal_access_tokens/self/rotate"),
            Area::General
        );
    }
}
