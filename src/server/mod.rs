//! Everything that only runs on the server.

pub mod api;
pub mod basic_auth;
pub mod change_feed;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod flash;
pub mod git;
pub mod graphql;
pub mod jobs;
pub mod legacy;
pub mod listen;
pub mod log_limit;
pub mod mailer;
pub mod metrics;
pub mod passwords;
pub mod probes;
pub mod registry;
pub mod reveal;
pub mod sealed;
pub mod security;
pub mod services;
pub mod session;
pub mod settings_cache;
pub mod sign_ups;
pub mod slots;
pub mod state;
pub mod token_cache;
pub mod usage;

#[cfg(test)]
mod tests;

use crate::app::{shell, App};
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{middleware, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use state::AppState;
use std::sync::OnceLock;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

/// The prefix of Leptos server functions, apart from the REST API.
pub const SERVER_FN_PREFIX: &str = "/_fn";

/// Request bodies larger than this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

async fn server_fn_handler(State(state): State<AppState>, req: Request) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

/// Leptos answers 500 for an error raised before a server function runs
/// (arguments that do not decode, such as an unknown `change`); the error
/// itself says what it is, so the answer gets its status (400, …).
async fn server_fn_error_status(req: Request, next: middleware::Next) -> axum::response::Response {
    let server_fn = req.uri().path().starts_with(SERVER_FN_PREFIX);
    let res = next.run(req).await;
    if !server_fn || res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4096).await else {
        // Longer than any error of ours: a 500 it stays, without its body.
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<crate::app::error::AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The session layer answers a bare 500 when it cannot save a session,
/// which happens only when the database is unavailable: that becomes the
/// same 503 with `Retry-After` as any other outage, with a page that says
/// what happened (or the server functions' JSON error).
async fn session_store_outage(req: Request, next: middleware::Next) -> axum::response::Response {
    use axum::body::HttpBody as _;
    use axum::http::{header, HeaderValue, StatusCode};
    let server_fn = req.uri().path().starts_with(SERVER_FN_PREFIX);
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || res.body().size_hint().exact() != Some(0)
    {
        return res;
    }
    let error = crate::app::error::AppError::Unavailable;
    let mut res = if server_fn {
        let body = serde_json::to_string(&error).unwrap_or_default();
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    } else {
        axum::response::Html(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Try again shortly · Forgekey</title></head><body><main>\
             <h1>Forgekey is unavailable for a moment</h1><p>{error}</p></main></body></html>"
        ))
        .into_response()
    };
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(api::error::RETRY_AFTER_SECONDS),
    );
    res
}

/// The application's routes, generated once per process. Generating them
/// switches resource loading off process-wide for a moment
/// (`IS_SUPPRESSING_RESOURCE_LOAD` in leptos_server), so a page rendering
/// meanwhile would wait forever for its data; the server builds its router
/// once, but the tests build many, concurrently.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Works out who the client is (the peer, or whom a trusted proxy
/// forwarded for) once, for everything after.
async fn resolve_client(
    State(config): State<std::sync::Arc<config::WebConfig>>,
    mut req: Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::extract::ConnectInfo;
    // Without trusted proxies the peer is the client: nothing to add to
    // every request (`client_addr::client_ip` reads the peer).
    if config.trusted_proxies.is_empty() {
        return next.run(req).await;
    }
    let peer = req
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = config.trusted_proxies.client(peer, req.headers());
        req.extensions_mut().insert(client_addr::ClientIp(client));
    }
    next.run(req).await
}

/// The whole web application: pages, server functions and middleware.
/// Brotli or gzip, as the client accepts, for answers above one packet's
/// worth (smaller ones gain nothing on the wire and would cost the busy API
/// routes CPU). The front end's files come precompressed from the build
/// and pass through unchanged; Git's streams are never touched.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(tower_http::CompressionLevel::Precise(COMPRESSION_QUALITY))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE_BYTES)))
}

/// Brotli quality 4 (gzip level 4): a page about a fifth smaller than at
/// the fastest setting (quality 0), compressing some 180 MB a second on
/// this machine kind against 500 at 0 and 7 at brotli's default, 11.
const COMPRESSION_QUALITY: i32 = 4;

/// Answers shorter than this go out uncompressed.
pub const COMPRESS_ABOVE_BYTES: u16 = 1400;

pub fn router(state: AppState, store: session::Store) -> Router {
    metrics::handle();
    let config = state.config.clone();
    let sessions = SessionManagerLayer::new(store)
        .with_name("forgekey_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.is_https())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(config.session_lifetime))
        .with_signed(Key::from(config.secret.bytes()));

    let routes = route_list();
    let page_state = state.clone();
    let fallback_state = state.clone();
    // Pages and server functions: sessions, and no cross-site posts.
    let web = Router::new()
        .route(
            &format!("{SERVER_FN_PREFIX}/{{*name}}"),
            post(server_fn_handler),
        )
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(page_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(fallback_state.clone()), shell
        ))
        .layer(middleware::from_fn(server_fn_error_status))
        .layer(middleware::from_fn_with_state(
            config.clone(),
            security::refuse_cross_origin,
        ))
        .layer(sessions)
        .layer(middleware::from_fn(session_store_outage));

    // The REST API and probes: tokens only, never a session.
    let limited = Router::new()
        .route("/-/liveness", get(probes::liveness))
        .route("/-/readiness", get(probes::readiness))
        .route("/-/metrics", get(metrics::render))
        .merge(legacy::router())
        .merge(api::router())
        .merge(graphql::router())
        .merge(registry::router())
        .merge(web)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(compression());
    // Git over HTTP: Basic authentication, and pushes of any size
    // (streamed to git, never buffered).
    Router::new()
        .merge(git::router())
        .merge(limited)
        .layer(middleware::from_fn_with_state(
            config.clone(),
            security::security_headers,
        ))
        .layer(middleware::from_fn(metrics::track))
        .layer(middleware::from_fn_with_state(config, resolve_client))
        .with_state(state)
}
