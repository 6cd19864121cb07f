//! The container registry's token server at `GET /jwt/auth`, as Docker
//! Distribution's token specification asks it: a registry client (docker,
//! podman, skopeo) sent away by the registry with `401 Bearer
//! realm=…/jwt/auth` asks here, with HTTP Basic credentials or none, for
//! a short-lived JWT naming what it may do on which repositories; the
//! registry checks the JWT against Forgekey's certificate.
//!
//! Off until an administrator enables the registry (then 404). The
//! supervised registry process lives in [`process`], the signing key in
//! [`key`].

pub mod key;
pub mod process;

use crate::domain::registry::SERVICE;
use crate::server::basic_auth::{self, Client, Identity, Refusal};
use crate::server::client_addr::client_ip;
use crate::server::services::addresses;
use crate::server::services::registry::{self, RegistryToken};
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/jwt/auth", get(token))
}

/// A JSON error as registry clients print it (`errors[].message`).
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "errors": [{ "code": code, "message": message }] });
    (status, Json(body)).into_response()
}

fn not_found(message: &str) -> Response {
    error(StatusCode::NOT_FOUND, "NOT_FOUND", message)
}

async fn token(State(state): State<AppState>, req: Request) -> Response {
    let query = req.uri().query().unwrap_or("");
    let mut service = None;
    let mut scopes = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*key {
            "service" => service = Some(value.into_owned()),
            // Several `scope` parameters, each possibly several scopes
            // separated by spaces (as OAuth 2 writes them).
            "scope" => scopes.extend(
                value
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            _ => {}
        }
    }
    let key = match (registry::settings(&state).await, state.registry_key.clone()) {
        (Ok(settings), Some(key)) if settings.enabled => key,
        (Err(e), _) => return failure(e),
        _ => return not_found("The container registry is not enabled on this instance."),
    };
    let Some(service) = service.filter(|s| s == SERVICE) else {
        return not_found("Unknown service: this token server signs for container_registry.");
    };

    let ip = client_ip(req.extensions());
    let identity = match basic_auth::authenticate(&state, req.headers(), ip, Client::Registry).await
    {
        Ok(identity) => identity,
        Err(Refusal::Banned { seconds }) => {
            let mut res = error(
                StatusCode::TOO_MANY_REQUESTS,
                "TOOMANYREQUESTS",
                "Too many failed authentication attempts from this address. Try again later.",
            );
            if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        Err(Refusal::Denied(message)) => {
            let mut res = error(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", &message);
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Forgekey\""),
            );
            return res;
        }
        Err(Refusal::Failed(e)) => return failure(e),
    };
    let (actor, subject) = (identity.actor(), identity.username().unwrap_or(""));
    let access = match registry::grants(&state, actor, &scopes).await {
        Ok(access) => access,
        Err(e) => return failure(e),
    };
    let signed = match registry::sign(&state, &key, subject, &service, &access) {
        Ok(signed) => signed,
        Err(e) => return failure(e),
    };
    if let Identity::Token(auth) = &identity {
        addresses::note_use(&state, auth, ip).await;
    }
    answer(&signed)
}

/// The token, under both names the specification allows.
fn answer(signed: &RegistryToken) -> Response {
    let mut res = Json(serde_json::json!({
        "token": signed.token,
        "access_token": signed.token,
        "expires_in": signed.expires_in,
        "issued_at": crate::domain::instant::machine(signed.issued_at),
    }))
    .into_response();
    // A token is a credential: never kept by a cache.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn failure(e: ServiceError) -> Response {
    match e {
        ServiceError::Busy | ServiceError::Unavailable => {
            let mut res = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "Forgekey cannot answer right now. Please try again in a few seconds.",
            );
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(crate::server::api::error::RETRY_AFTER_SECONDS),
            );
            res
        }
        _ => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            "Something went wrong on our side. Please try again.",
        ),
    }
}
