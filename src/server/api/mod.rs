//! The GitLab-compatible REST API under `/api/v4`. Authentication and scope
//! checks happen in one place, the [`ApiAuth`] extractor; handlers here
//! only decide who may see what and shape the answers like GitLab's.

pub mod auth;
pub mod error;
pub mod json;
pub mod params;
pub mod projects;
mod tokens;
mod users;

use crate::server::state::AppState;
use auth::ApiAuth;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post, MethodRouter};
use axum::{Json, Router};
use error::ApiError;
use params::Params;
use serde_json::{json, Value};

/// The GitLab API level these endpoints follow.
pub const GITLAB_VERSION: &str = "16.11.0";

/// A route whose requests may carry the token in their body (GitLab
/// reads `private_token` there too); reading requests skip that step.
fn with_body_token(route: MethodRouter<AppState>) -> MethodRouter<AppState> {
    route.layer(axum::middleware::from_fn(auth::token_from_body))
}

/// The API's routes, with their full `/api/v4/…` paths.
pub fn router() -> Router<AppState> {
    let body = with_body_token;
    Router::new()
        .route("/api/v4/version", get(version))
        .route("/api/v4/user", get(users::current))
        .route("/api/v4/users", get(users::list))
        .route("/api/v4/users/{id}", get(users::show))
        .route(
            "/api/v4/users/{id}/personal_access_tokens",
            body(post(tokens::create_for_user)),
        )
        .route(
            "/api/v4/users/{id}/impersonation_tokens",
            get(tokens::list_impersonation).merge(body(post(tokens::create_impersonation))),
        )
        .route(
            "/api/v4/users/{id}/impersonation_tokens/{token_id}",
            get(tokens::show_impersonation).merge(body(delete(tokens::revoke_impersonation))),
        )
        .route("/api/v4/personal_access_tokens", get(tokens::list))
        // Forgekey's extension: no authentication (see `tokens::revoke_leaked`).
        .route(
            "/api/v4/personal_access_tokens/revoke_leaked",
            post(tokens::revoke_leaked),
        )
        .route(
            "/api/v4/admin/token",
            body(post(tokens::admin_show_by_secret).delete(tokens::admin_revoke_by_secret)),
        )
        .route(
            "/api/v4/personal_access_tokens/self",
            get(tokens::show_self).merge(body(delete(tokens::revoke_self).put(tokens::edit_self))),
        )
        .route(
            "/api/v4/personal_access_tokens/self/rotate",
            body(post(tokens::rotate_self)),
        )
        .route(
            "/api/v4/personal_access_tokens/{id}",
            get(tokens::show).merge(body(delete(tokens::revoke).put(tokens::edit))),
        )
        .route(
            "/api/v4/personal_access_tokens/{id}/rotate",
            body(post(tokens::rotate)),
        )
        .route(
            "/api/v4/projects",
            get(projects::list).merge(body(post(projects::create))),
        )
        .route("/api/v4/projects/{id}", get(projects::show))
        // Routes of their own rather than a nested router: nesting costs
        // every request a URI rewrite. Anything else under the prefix is
        // GitLab's JSON 404.
        .route("/api/v4", any(not_found))
        .route("/api/v4/{*rest}", any(not_found))
        .layer(axum::middleware::from_fn(auth::announce_expiry))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("")
}

async fn version(_auth: ApiAuth) -> Json<Value> {
    Json(json!({
        "version": GITLAB_VERSION,
        "revision": concat!("forgekey-", env!("CARGO_PKG_VERSION")),
        "enterprise": false,
    }))
}

/// GitLab's conditional delete (`destroy_conditionally!`): with an
/// `If-Unmodified-Since` older than the resource's last change
/// (`last_modified`, unix seconds), 412. A date that cannot be read is
/// ignored, as GitLab's `Time.parse(…) rescue nil` does.
pub fn check_unmodified_since(headers: &HeaderMap, last_modified: i64) -> Result<(), ApiError> {
    let since = headers
        .get(axum::http::header::IF_UNMODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_instant);
    match since {
        Some(since) if last_modified > since => Err(ApiError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// An instant as clients write it in a header: an HTTP date
/// (`Tue, 01 Dec 2026 10:00:00 GMT`), RFC 3339, or Ruby's
/// `2026-12-01T10:00:00-0600` and `2026-12-01 10:00:00 +0000`.
fn parse_http_instant(raw: &str) -> Option<i64> {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    use time::OffsetDateTime;
    let raw = raw.trim();
    if let Ok(t) = httpdate::parse_http_date(raw) {
        return t
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok());
    }
    let ruby = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day][first [T] [ ]][hour]:[minute]:[second][optional [ ]][offset_hour sign:mandatory][optional [:]][offset_minute]"
    );
    OffsetDateTime::parse(raw, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(raw, &Rfc2822))
        .or_else(|_| OffsetDateTime::parse(raw, ruby))
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::parse_http_instant;

    #[test]
    fn instants_in_headers_are_read_in_every_form_clients_send() {
        // 1990-01-12T06:00:48Z
        let at = Some(632_124_048);
        assert_eq!(parse_http_instant("Fri, 12 Jan 1990 06:00:48 GMT"), at);
        assert_eq!(parse_http_instant("1990-01-12T06:00:48Z"), at);
        assert_eq!(parse_http_instant("1990-01-12T00:00:48-0600"), at);
        assert_eq!(parse_http_instant("1990-01-12T00:00:48-06:00"), at);
        assert_eq!(parse_http_instant("1990-01-12 06:00:48 +0000"), at);
        assert_eq!(parse_http_instant("yesterday"), None);
    }
}

/// The largest page GitLab serves (Kaminari's `max_per_page`).
pub const MAX_PER_PAGE: i64 = 100;

/// Where links in answers point: the public URL, or the request's host.
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(state.config.base_url(&parts.headers)))
    }
}

/// A request's `page` and `per_page` (default 20; above 100 read as 100,
/// as GitLab caps it), checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    pub fn of(params: &Params) -> Result<Self, ApiError> {
        let page = params.int("page")?.unwrap_or(1);
        let per_page = params.int("per_page")?.unwrap_or(20);
        // GitLab's `verify_pagination_params!` and Grape's
        // `except_values: [0]`, each in its own words.
        if page < 1 {
            return Err(ApiError::not_a_valid_value("page"));
        }
        if per_page == 0 {
            return Err(ApiError::BadParameter(
                "per_page has a value not allowed".to_owned(),
            ));
        }
        if per_page < 1 {
            return Err(ApiError::not_a_valid_value("per_page"));
        }
        Ok(Self {
            page,
            per_page: per_page.min(MAX_PER_PAGE),
        })
    }

    /// How many items come before this page.
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// GitLab's pagination headers for `total` items: `X-Total`, `X-Page`…
    /// and `Link`, whose URLs keep the other filters but never a token.
    pub fn headers(self, total: i64, params: &Params, base_url: &str, path: &str) -> HeaderMap {
        let Self { page, per_page } = self;
        let pages = ((total + per_page - 1) / per_page).max(1);
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        };
        // Beyond the count's limit GitLab leaves the totals out.
        let exact = crate::domain::paging::is_exact(total);
        if exact {
            set("x-total", total.to_string());
            set("x-total-pages", pages.to_string());
        }
        set("x-page", page.to_string());
        set("x-per-page", per_page.to_string());
        let next = if page < pages {
            (page + 1).to_string()
        } else {
            String::new()
        };
        set("x-next-page", next);
        let prev = if page > 1 {
            (page - 1).to_string()
        } else {
            String::new()
        };
        set("x-prev-page", prev);
        let kept = kept_query(params, &["page", "per_page"]);
        let link = |p: i64, rel: &str| {
            let sep = if kept.is_empty() { "" } else { "&" };
            format!(
                "<{base_url}/api/v4{path}?{kept}{sep}page={p}&per_page={per_page}>; rel=\"{rel}\""
            )
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(link(page - 1, "prev"));
        }
        if page < pages {
            links.push(link(page + 1, "next"));
        }
        links.push(link(1, "first"));
        if exact {
            links.push(link(pages, "last"));
        }
        set("link", links.join(", "));
        headers
    }
}

/// The request's query for a link: every parameter but `dropped` and a
/// token (URLs we emit never carry a secret).
fn kept_query(params: &Params, dropped: &[&str]) -> String {
    let mut kept = url::form_urlencoded::Serializer::new(String::new());
    for (k, values) in params.entries() {
        if dropped.contains(&k) || matches!(k, "private_token" | "access_token") {
            continue;
        }
        for v in values {
            kept.append_pair(k, v);
        }
    }
    kept.finish()
}

/// GitLab's keyset pagination (`pagination=keyset`): pages in id order
/// (`order_by=id`, `sort=asc|desc`), each found from the last id of the one
/// before (`id_after` ascending, `id_before` descending) rather than by
/// counting rows, so the millionth page costs what the first does. No
/// totals; a `Link` to the next page while there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub per_page: i64,
    pub newest_first: bool,
}

impl Keyset {
    /// The keyset pagination a request asks for, or `None` for page
    /// numbers (`pagination=offset` or none). `newest_first` is the list's
    /// order when `sort` is not given.
    pub fn of(params: &Params, newest_first: bool) -> Result<Option<Self>, ApiError> {
        match params.get("pagination") {
            None | Some("offset") => return Ok(None),
            Some("keyset") => {}
            Some(_) => return Err(ApiError::invalid("pagination")),
        }
        if !matches!(params.get("order_by"), None | Some("id")) {
            return Err(ApiError::invalid("order_by"));
        }
        let newest_first = match params.get("sort") {
            None => newest_first,
            Some("desc") => true,
            Some("asc") => false,
            Some(_) => return Err(ApiError::invalid("sort")),
        };
        let per_page = Paging::of(params)?.per_page;
        Ok(Some(Self {
            per_page,
            newest_first,
        }))
    }

    /// The parameter that carries the cursor in this order.
    pub fn cursor_param(self) -> &'static str {
        if self.newest_first {
            "id_before"
        } else {
            "id_after"
        }
    }

    /// `X-Per-Page`, and the `Link` to the page after the item `last`
    /// when `more` follow.
    pub fn headers(
        self,
        last: Option<i64>,
        more: bool,
        params: &Params,
        base_url: &str,
        path: &str,
    ) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-per-page", HeaderValue::from(self.per_page));
        if let (Some(last), true) = (last, more) {
            let cursor = self.cursor_param();
            let kept = kept_query(params, &[cursor, "page"]);
            let sep = if kept.is_empty() { "" } else { "&" };
            let link =
                format!("<{base_url}/api/v4{path}?{kept}{sep}{cursor}={last}>; rel=\"next\"");
            if let Ok(value) = HeaderValue::from_str(&link) {
                headers.insert("link", value);
            }
        }
        headers
    }
}

/// One page of `items` already in memory (short lists: a user's projects
/// or impersonation tokens), with GitLab's pagination headers.
pub fn paginate<T>(
    items: Vec<T>,
    params: &Params,
    base_url: &str,
    path: &str,
) -> Result<(HeaderMap, Vec<T>), ApiError> {
    let paging = Paging::of(params)?;
    let headers = paging.headers(items.len() as i64, params, base_url, path);
    let skip = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
    let take = usize::try_from(paging.per_page).unwrap_or(20);
    Ok((headers, items.into_iter().skip(skip).take(take).collect()))
}

/// A JSON list with pagination headers.
pub fn page_response(headers: HeaderMap, items: Vec<Value>) -> Response {
    (headers, Json(Value::Array(items))).into_response()
}
