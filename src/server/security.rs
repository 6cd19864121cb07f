//! Web security middleware: cross-origin request refusal (CSRF) and the
//! headers every response carries.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

use super::config::WebConfig;

/// Paths whose state-changing requests are authenticated by tokens, never by
/// cookies, and so cannot be forged by another site.
const TOKEN_ONLY_PREFIXES: &[&str] = &["/api/v4/"];

/// Refuses state-changing requests that a browser made on behalf of another
/// site. Browsers send `Sec-Fetch-Site`; older ones at least `Origin`.
/// Requests with neither come from non-browser clients, which carry no
/// ambient cookies of a victim.
pub async fn refuse_cross_origin(
    State(config): State<Arc<WebConfig>>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let token_only = TOKEN_ONLY_PREFIXES
        .iter()
        .any(|p| req.uri().path().starts_with(p));
    if safe || token_only || is_same_origin(req.headers(), &config) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-origin request");
    (
        StatusCode::FORBIDDEN,
        "Cross-origin request refused: submit the form from Forgekey's own pages.",
    )
        .into_response()
}

fn is_same_origin(headers: &HeaderMap, config: &WebConfig) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    // With a public URL, that exact origin (scheme included) and no other.
    if let Some(public) = &config.public_url {
        return public.origin().ascii_serialization() == origin;
    }
    // Without one, the Host the request was sent to is this server's
    // origin.
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((host, origin_host), (Some(h), Some(o)) if h.eq_ignore_ascii_case(o))
}

/// The policy for responses that are not HTML pages (the pages set their
/// own, with a per-response nonce for the hydration script).
const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of an HTML page whose inline scripts carry `nonce`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' \
         'unsafe-hashes' '{SELECT_ON_FOCUS_HASH}'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The hash of the one inline event handler pages may carry,
/// `onfocus="this.select()"` ([`crate::paths::SELECT_ON_FOCUS`]: a one-time
/// secret's field selects itself, even without JavaScript loaded).
const SELECT_ON_FOCUS_HASH: &str = "sha256-biFQTroSCI3Z5BmsMGyEE2jFZdwjjG1Oe7JLytgH6jM=";

/// Adds the security headers every response carries, and how long it may
/// be cached. Everything but the static front end is `no-store`: pages show
/// private data, and a one-time token secret must not come back from the
/// cache with the back button.
pub async fn security_headers(
    State(config): State<Arc<WebConfig>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let path = req.uri().path();
    // The front end's files are named by their content when hashing is on:
    // a browser keeps them for a year and never asks again; else it asks
    // each time whether they changed.
    let caching = if path.starts_with("/pkg/") {
        if config.hashed_assets {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }
    } else if path == "/favicon.svg" || path == "/no_avatar.svg" {
        "public, max-age=86400"
    } else {
        "no-store"
    };
    let mut res = next.run(req).await;
    // Only what was found is kept; a miss is asked again.
    let found = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let caching = if found { caching } else { "no-store" };
    let headers = res.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    }
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, DEFAULT_CSP),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use sha2::Digest;

    fn config(public_url: Option<&str>) -> WebConfig {
        WebConfig {
            public_url: public_url.map(|u| u.parse().unwrap()),
            session_lifetime: time::Duration::days(1),
            secret: crate::server::config::ServerSecret::from_bytes([1; 64]),
            smtp: false,
            trusted_proxies: Default::default(),
            listen_addr: ([127, 0, 0, 1], 3000).into(),
            metrics: Default::default(),
            hashed_assets: false,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(*name, value.parse().unwrap());
        }
        h
    }

    #[test]
    fn with_a_public_url_only_its_exact_origin_may_post() {
        let public = config(Some("https://keys.example.com"));
        let host = ("host", "keys.example.com");
        for (origin, allowed) in [
            ("https://keys.example.com", true),
            ("http://keys.example.com", false),
            ("https://keys.example.com:8443", false),
            ("https://evil.example.com", false),
        ] {
            let h = headers(&[host, ("origin", origin)]);
            assert_eq!(is_same_origin(&h, &public), allowed, "{origin}");
        }
        // Whatever Host says.
        let h = headers(&[
            ("host", "evil.example.com"),
            ("origin", "https://evil.example.com"),
        ]);
        assert!(!is_same_origin(&h, &public));
        // Without a public URL, the Host is the origin.
        let h = headers(&[
            ("host", "localhost:3000"),
            ("origin", "http://localhost:3000"),
        ]);
        assert!(is_same_origin(&h, &config(None)));
        let h = headers(&[("host", "localhost:3000"), ("origin", "http://evil:3000")]);
        assert!(!is_same_origin(&h, &config(None)));
        // Browsers' own word decides when they give it.
        let h = headers(&[host, ("sec-fetch-site", "cross-site")]);
        assert!(!is_same_origin(&h, &public));
    }

    #[test]
    fn the_allowed_inline_handler_matches_its_hash() {
        let hash = sha2::Sha256::digest(crate::paths::SELECT_ON_FOCUS.as_bytes());
        let expected = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(hash)
        );
        assert_eq!(SELECT_ON_FOCUS_HASH, expected);
        assert!(page_csp("abc").contains(&format!("'{expected}'")));
    }
}
