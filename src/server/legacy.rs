//! GitLab's older addresses of pages Forgekey serves under their current
//! ones: scripts, tools and old bookmarks link there (GitLab 16.7 moved the
//! user settings from `/-/profile/…`, and before 13.x they lived under
//! `/profile/…`). A permanent redirect that keeps the query string, so a
//! prefilled token form (`?name=…&scopes=…`) still arrives prefilled.

use crate::paths;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// Old address, current one.
pub const MOVED: [(&str, &str); 4] = [
    ("/-/profile/personal_access_tokens", paths::TOKENS),
    ("/profile/personal_access_tokens", paths::TOKENS),
    ("/-/profile/two_factor_auth", paths::TWO_FACTOR),
    ("/profile/two_factor_auth", paths::TWO_FACTOR),
];

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    MOVED.into_iter().fold(Router::new(), |router, (old, new)| {
        router.route(old, get(move |uri: Uri| async move { moved(new, &uri) }))
    })
}

/// 301 to `to`, with the request's query. The path is always ours: only
/// the query comes from the request, so this can never redirect off-site.
fn moved(to: &'static str, uri: &Uri) -> Response {
    let location = match uri.query() {
        Some(query) if !query.is_empty() => format!("{to}?{query}"),
        _ => to.to_owned(),
    };
    // A request line's query is always a valid header value; if it ever
    // were not, the page without it is still the right place.
    let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static(to));
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location)],
    )
        .into_response()
}
