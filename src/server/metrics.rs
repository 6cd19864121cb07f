//! Prometheus metrics at `/-/metrics`: requests by route and status with
//! their latency, token authentications by outcome, the token cache, the
//! database pool, password hashing, jobs and mail delivery.
//!
//! Open to loopback clients by default (never to a request a local proxy
//! forwarded, unless that proxy is trusted and names a loopback client);
//! other addresses only when allowed (`--metrics-allow`) or with the
//! bearer secret (`FORGEKEY_METRICS_TOKEN`). Anyone else gets a 404.

use super::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets, in seconds: from a cached token check to a slow page.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder (the `metrics` facade is global), installed
/// on first use; `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Suffix("_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .ok()?
                .build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "forgekey_http_requests_total",
        "HTTP requests answered, by route and status"
    );
    describe_histogram!(
        "forgekey_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer an HTTP request (to its response head), by route"
    );
    describe_counter!(
        "forgekey_token_authentications_total",
        "Presented token secrets, by outcome: cached, loaded (from the database), refused, failed \
         (the database unavailable)"
    );
    describe_gauge!(
        "forgekey_token_cache_entries",
        "Tokens remembered in memory"
    );
    describe_gauge!(
        "forgekey_db_connections",
        "Database pool connections, by state"
    );
    describe_counter!(
        "forgekey_db_unavailable_total",
        "Database operations that failed because the database was unavailable"
    );
    describe_gauge!(
        "forgekey_password_hash_slots_free",
        "Password hashes that could start now without waiting"
    );
    describe_counter!("forgekey_password_hashes_total", "Password hashes computed");
    describe_counter!(
        "forgekey_password_hash_busy_total",
        "Sign-ins told to try again because hashing was saturated"
    );
    describe_counter!(
        "forgekey_job_runs_total",
        "Daily job runs on this instance, by job and outcome"
    );
    describe_counter!(
        "forgekey_mail_deliveries_total",
        "Outbox deliveries, by outcome"
    );
}

/// Who may read the metrics besides loopback clients.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    /// Client addresses (or ranges) allowed besides loopback.
    pub allow: Vec<IpNet>,
    /// SHA-256 of the bearer secret that opens the metrics from anywhere.
    pub token_digest: Option<[u8; 32]>,
}

impl MetricsAccess {
    pub fn new(allow: Vec<IpNet>, token: Option<&str>) -> Self {
        Self {
            allow,
            token_digest: token
                .filter(|t| !t.is_empty())
                .map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    /// Whether a request from `client` (resolved through trusted proxies)
    /// with `headers` may read the metrics. `forwarded_untrusted`: the
    /// request carries forwarding headers nobody trusted resolved, so its
    /// peer (a proxy on this machine, say) is not its client.
    fn allows(
        &self,
        client: Option<IpAddr>,
        headers: &HeaderMap,
        forwarded_untrusted: bool,
    ) -> bool {
        if let (Some(want), Some(given)) = (&self.token_digest, bearer(headers)) {
            // Digests compared: no timing tells anything of the secret.
            return Sha256::digest(given.as_bytes()).as_slice() == want.as_slice();
        }
        let Some(client) = client.filter(|_| !forwarded_untrusted) else {
            return false;
        };
        client.is_loopback() || self.allow.iter().any(|net| net.contains(&client))
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// `GET /-/metrics`.
pub async fn render(State(state): State<AppState>, req: Request) -> Response {
    let resolved = req
        .extensions()
        .get::<super::client_addr::ClientIp>()
        .is_some();
    let forwarded_untrusted = !resolved
        && (req.headers().contains_key("forwarded")
            || req.headers().contains_key("x-forwarded-for"));
    let client = super::client_addr::client_ip(req.extensions());
    if !state
        .config
        .metrics
        .allows(client, req.headers(), forwarded_untrusted)
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(handle) = handle() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    sample(&state);
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// Gauges read at scrape time.
fn sample(state: &AppState) {
    metrics::gauge!("forgekey_token_cache_entries").set(state.token_cache.len() as f64);
    let size = state.db.pool.size() as f64;
    let idle = state.db.pool.num_idle() as f64;
    metrics::gauge!("forgekey_db_connections", "state" => "idle").set(idle);
    metrics::gauge!("forgekey_db_connections", "state" => "in_use").set((size - idle).max(0.0));
    metrics::gauge!("forgekey_password_hash_slots_free").set(state.passwords.free_slots() as f64);
    metrics::counter!("forgekey_password_hashes_total").absolute(state.passwords.operations());
}

/// Counts every request by its route (the pattern, never the path: no
/// names or secrets in labels) and status, and times it.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::histogram!(
        "forgekey_http_request_duration_seconds",
        "method" => method.clone(),
        "route" => route.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "forgekey_http_requests_total",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .increment(1);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn loopback_the_allowed_and_the_bearer_may_read() {
        let none = HeaderMap::new();
        let open = MetricsAccess::default();
        assert!(open.allows(ip("127.0.0.1"), &none, false));
        assert!(open.allows(ip("::1"), &none, false));
        assert!(!open.allows(ip("192.0.2.7"), &none, false));
        assert!(!open.allows(None, &none, false));
        assert!(
            !open.allows(ip("127.0.0.1"), &none, true),
            "a local proxy forwarding someone else"
        );

        let allowed = MetricsAccess::new(vec!["10.0.0.0/8".parse().unwrap()], None);
        assert!(allowed.allows(ip("10.1.2.3"), &none, false));
        assert!(!allowed.allows(ip("11.1.2.3"), &none, false));

        let with_token = MetricsAccess::new(vec![], Some("s3cret"));
        let mut good = HeaderMap::new();
        good.insert(header::AUTHORIZATION, "Bearer s3cret".parse().unwrap());
        let mut bad = HeaderMap::new();
        bad.insert(header::AUTHORIZATION, "Bearer s3cre".parse().unwrap());
        assert!(with_token.allows(ip("192.0.2.7"), &good, true));
        assert!(
            !with_token.allows(ip("127.0.0.1"), &bad, false),
            "a wrong secret is refused"
        );
        assert!(with_token.allows(ip("127.0.0.1"), &none, false));
    }
}
