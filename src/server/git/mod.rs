//! Git over HTTP ("smart" protocol) at `/<namespace>/<project>.git/…`,
//! authenticated with HTTP Basic: a personal access token as the password
//! (the username is then ignored unless the instance says otherwise), or
//! the account's password where the two-factor gate allows it.
//! `git http-backend` does the Git side.

pub mod cgi;
pub mod state;

pub use state::GitState;

use crate::domain::project::{authorize_git, GitDenied, GitOperation};
use crate::server::basic_auth::{self, Client, Identity, Refusal};
use crate::server::client_addr::client_ip;
use crate::server::db::projects::Project;
use crate::server::services::ServiceError;
use crate::server::services::{addresses, projects};
use crate::server::state::AppState;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{namespace}/{project}/info/refs", get(info_refs))
        .route("/{namespace}/{project}/git-upload-pack", post(upload_pack))
        .route(
            "/{namespace}/{project}/git-receive-pack",
            post(receive_pack),
        )
}

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

async fn handle(
    State(state): State<AppState>,
    Path((namespace, project)): Path<(String, String)>,
    req: Request,
    operation: GitOperation,
    endpoint: &str,
) -> Response {
    let ip = client_ip(req.extensions());
    let identity = match basic_auth::authenticate(&state, req.headers(), ip, Client::Git).await {
        Ok(identity) => identity,
        Err(Refusal::Banned { seconds }) => return too_many_attempts(seconds),
        Err(Refusal::Denied(message)) => return ask_for_credentials(&message),
        Err(Refusal::Failed(e)) => return error_response(e),
    };

    let path = project.strip_suffix(".git").unwrap_or(&project);
    let project = match projects::find_by_path(&state, &namespace, path).await {
        Ok(p) => p,
        Err(e) => return error_response(e),
    };
    let access = project.as_ref().map(Project::access);
    let actor = identity.actor();
    match authorize_git(access, actor, operation) {
        Ok(()) => {}
        Err(GitDenied::Unauthorized) => return ask_for_credentials("HTTP Basic: Access denied."),
        Err(GitDenied::NotFound) => return text(StatusCode::NOT_FOUND, NOT_FOUND),
        Err(GitDenied::Forbidden(message)) => return text(StatusCode::FORBIDDEN, message),
    }
    let Some(project) = project else {
        return text(StatusCode::NOT_FOUND, NOT_FOUND);
    };
    if let Identity::Token(auth) = &identity {
        addresses::note_use(&state, auth, ip).await;
    }
    let remote_user = identity.username().map(str::to_owned);

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
