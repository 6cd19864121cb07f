//! Git over HTTP ("smart" protocol) at `/<namespace>/<project>.git/…`,
//! authenticated with HTTP Basic: a personal access token as the password
//! (the username is then ignored unless the instance says otherwise), or
//! the account's password where the two-factor gate allows it.
//! `git http-backend` does the Git side.

pub mod cgi;
pub mod state;

pub use state::GitState;

use crate::domain::project::{authorize_git, GitActor, GitDenied, GitOperation};
use crate::domain::settings::Settings;
use crate::domain::token::check_shape;
use crate::server::client_addr::client_ip;
use crate::server::db::projects::Project;
use crate::server::services::projects;
use crate::server::services::settings;
use crate::server::services::tokens::{self, Authenticated};
use crate::server::services::two_factor::{self, GateError};
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;

use crate::domain::lockout::Outcome;
use crate::server::services::attempts::{self, AddressRefused};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{namespace}/{project}/info/refs", get(info_refs))
        .route("/{namespace}/{project}/git-upload-pack", post(upload_pack))
        .route(
            "/{namespace}/{project}/git-receive-pack",
            post(receive_pack),
        )
}

const ACCESS_DENIED: &str = "HTTP Basic: Access denied. If a password was provided for Git \
    authentication, the password was incorrect or you're required to use a token instead of a \
    password. If a token was provided, it was either incorrect, expired, or improperly scoped.";
const NOT_FOUND: &str = "The project you were looking for could not be found or you don't have \
    permission to view it.";
const BANNED: &str = "Too many failed authentication attempts from this address. Try again later.";

fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

fn ask_for_credentials(message: &str) -> Response {
    let mut res = text(StatusCode::UNAUTHORIZED, message);
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Forgekey\""),
    );
    res
}

async fn info_refs(state: State<AppState>, path: Path<(String, String)>, req: Request) -> Response {
    // Exactly one `service`: with two, what is authorized and what
    // git-http-backend advertises could differ.
    let services: Vec<String> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k == "service")
            .map(|(_, v)| v.into_owned())
            .collect();
    if services.len() > 1 {
        return text(StatusCode::BAD_REQUEST, "Give the service parameter once.");
    }
    match services.first().and_then(|s| GitOperation::of_service(s)) {
        Some(op) => handle(state, path, req, op, "info/refs").await,
        None => text(
            StatusCode::FORBIDDEN,
            "Only Git's smart HTTP protocol is supported: update your Git client.",
        ),
    }
}

async fn upload_pack(
    state: State<AppState>,
    path: Path<(String, String)>,
    req: Request,
) -> Response {
    handle(state, path, req, GitOperation::Pull, "git-upload-pack").await
}

async fn receive_pack(
    state: State<AppState>,
    path: Path<(String, String)>,
    req: Request,
) -> Response {
    handle(state, path, req, GitOperation::Push, "git-receive-pack").await
}

/// Who a request's credentials name, after every check but the project's.
enum Identity {
    Anonymous,
    Password(crate::server::db::users::User),
    Token(Authenticated),
}

/// Why credentials were refused.
enum Refusal {
    /// Wrong, expired, revoked or not allowed: counts against the address.
    Denied(String),
    /// Not decided (busy, database unavailable, internal error): never a yes.
    Failed(ServiceError),
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
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

async fn identify(
    state: &AppState,
    settings: Settings,
    headers: &HeaderMap,
) -> Result<Identity, Refusal> {
    let Some((username, password)) = basic_credentials(headers) else {
        return Ok(Identity::Anonymous);
    };
    if check_shape(&password).is_ok() {
        let auth = tokens::authenticate(state, &password)
            .await
            .map_err(|e| match e {
                ServiceError::Internal | ServiceError::Unavailable => Refusal::Failed(e),
                _ => Refusal::Denied(ACCESS_DENIED.to_owned()),
            })?;
        // Any non-empty username works, as in GitLab, unless the stricter
        // instance setting asks for the token owner's.
        let username = username.trim();
        let mismatch =
            settings.git_token_username_match && !auth.user.username.eq_ignore_ascii_case(username);
        if username.is_empty() || mismatch {
            return Err(Refusal::Denied(ACCESS_DENIED.to_owned()));
        }
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
        GateError::InvalidCredentials => Refusal::Denied(ACCESS_DENIED.to_owned()),
        GateError::Failed(e) => Refusal::Failed(e),
    })
}

async fn handle(
    State(state): State<AppState>,
    Path((namespace, project)): Path<(String, String)>,
    req: Request,
    operation: GitOperation,
    endpoint: &str,
) -> Response {
    let now = state.now();
    let ip = client_ip(req.extensions());
    let settings = match settings::current(&state).await {
        Ok(s) => s,
        Err(e) => return error_response(e),
    };
    // A banned address is refused; credentials from an address are checked
    // only within its limit (the reservation reads the ban itself).
    let credentials = req.headers().contains_key(header::AUTHORIZATION);
    let attempt = match ip {
        Some(ip) if credentials => match attempts::reserve_address(&state, ip).await {
            Ok(attempt) => Some(attempt),
            Err(AddressRefused::Banned { until }) => return too_many_attempts(until - now),
            Err(AddressRefused::Failed(e)) => return error_response(e),
        },
        Some(ip) => match attempts::address_banned_until(&state, ip).await {
            Ok(Some(until)) => return too_many_attempts(until - now),
            Ok(None) => None,
            Err(e) => return error_response(e),
        },
        None => None,
    };
    let identity = identify(&state, settings, req.headers()).await;
    if let Some(attempt) = attempt {
        let outcome = match identity {
            Err(Refusal::Denied(_)) => Outcome::Wrong,
            _ => Outcome::Unchecked,
        };
        // A failure that cannot be counted is not answered as one.
        if let Err(e) = attempt.settle(outcome).await {
            return error_response(e);
        }
    }
    let identity = match identity {
        Ok(identity) => identity,
        Err(Refusal::Denied(message)) => return ask_for_credentials(&message),
        Err(Refusal::Failed(e)) => return error_response(e),
    };

    let path = project.strip_suffix(".git").unwrap_or(&project);
    let project = match projects::find_by_path(&state, &namespace, path).await {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let access = project.as_ref().map(Project::access);
    let actor = match &identity {
        Identity::Anonymous => GitActor::Anonymous,
        Identity::Password(user) => GitActor::Password {
            user_id: user.id,
            is_admin: user.is_admin,
        },
        Identity::Token(auth) => GitActor::Token {
            user_id: auth.user.id,
            is_admin: auth.user.is_admin,
            scopes: &auth.token.scopes,
        },
    };
    match authorize_git(access, actor, operation) {
        Ok(()) => {}
        Err(GitDenied::Unauthorized) => return ask_for_credentials("HTTP Basic: Access denied."),
        Err(GitDenied::NotFound) => return text(StatusCode::NOT_FOUND, NOT_FOUND),
        Err(GitDenied::Forbidden(message)) => return text(StatusCode::FORBIDDEN, message),
    }
    let Some(project) = project else {
        return text(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    let remote_user = match &identity {
        Identity::Anonymous => None,
        Identity::Password(user) => Some(user.username.clone()),
        Identity::Token(auth) => {
            state.usage.note(&state.db, &auth.token, now, ip);
            Some(auth.user.username.clone())
        }
    };

    let (parts, body) = req.into_parts();
    let request = cgi::CgiRequest {
        method: &parts.method,
        path_info: format!("/{}.git/{endpoint}", project.id),
        query: parts.uri.query().unwrap_or(""),
        headers: &parts.headers,
        remote_user: remote_user.as_deref(),
        remote_addr: ip.map(|ip| ip.to_string()),
    };
    cgi::run(&state.git.repositories, request, body).await
}

/// 429 for an address refused for `seconds` more.
fn too_many_attempts(seconds: i64) -> Response {
    let mut res = text(StatusCode::TOO_MANY_REQUESTS, BANNED);
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

fn error_response(e: ServiceError) -> Response {
    let unavailable = |message| {
        let mut res = text(StatusCode::SERVICE_UNAVAILABLE, message);
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_static(crate::server::api::error::RETRY_AFTER_SECONDS),
        );
        res
    };
    match e {
        ServiceError::Busy => {
            unavailable("Forgekey is busy right now. Please try again in a few seconds.")
        }
        ServiceError::Unavailable => unavailable(
            "Forgekey cannot reach its database right now. Please try again in a few seconds.",
        ),
        _ => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side. Please try again.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
