//! `/-/metrics`: what it counts, in Prometheus' text format, and who may
//! read it.

use super::support::{both_backends, register, Client, Rest, Scenario};
use crate::server::services::audit::Actor;
use crate::server::services::tokens;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use std::net::SocketAddr;
use tower::ServiceExt;

/// `GET /-/metrics` from `peer`, with extra headers.
async fn scrape(
    app: &axum::Router,
    peer: [u8; 4],
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut req = Request::get("/-/metrics").header("host", "localhost");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((peer, 40_000))));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the sample line starting with `series` (all labels).
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

both_backends!(
    metrics_count_requests_and_authentications_for_loopback_only,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let root = register(&st, "root").await;
        let secret = tokens::create(&st, &Actor::user(&root), &root, "t", "2026-02-01", &["api"])
            .await
            .unwrap()
            .secret;
        let (status, before) = scrape(&app, [127, 0, 0, 1], &[]).await;
        assert_eq!(status, StatusCode::OK);
        let ok_series =
            r#"forgekey_http_requests_total{method="GET",route="/api/v4/user",status="200"}"#;
        let loaded = r#"forgekey_token_authentications_total{outcome="loaded"}"#;
        let refused = r#"forgekey_token_authentications_total{outcome="refused"}"#;

        for _ in 0..3 {
            let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
            assert_eq!(r.status, StatusCode::OK);
        }
        let r = Rest::get(&app, "/api/v4/user")
            .token(&crate::domain::token::format_secret(
                "glpat-",
                &[3; crate::domain::token::RANDOM_BYTES],
            ))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        let (_, after) = scrape(&app, [127, 0, 0, 1], &[]).await;
        // Other tests share the process-wide recorder: at least ours counted.
        assert!(
            sample(&after, ok_series) >= sample(&before, ok_series) + 3.0,
            "{after}"
        );
        assert!(
            sample(&after, loaded) >= sample(&before, loaded) + 1.0,
            "{after}"
        );
        assert!(
            sample(&after, refused) >= sample(&before, refused) + 1.0,
            "{after}"
        );
        for family in [
            "forgekey_http_request_duration_seconds_bucket",
            "forgekey_token_cache_entries",
            r#"forgekey_db_connections{state="idle"}"#,
            "forgekey_password_hash_slots_free",
            "# HELP forgekey_http_requests_total",
        ] {
            assert!(after.contains(family), "{family} missing: {after}");
        }
        assert!(!after.contains(&secret), "no secret in any label");

        // Anyone else: nothing to see.
        assert_eq!(
            scrape(&app, [192, 0, 2, 1], &[]).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            scrape(&app, [127, 0, 0, 1], &[("x-forwarded-for", "192.0.2.1")])
                .await
                .0,
            StatusCode::NOT_FOUND,
            "a local proxy forwarding a stranger"
        );
        let mut c = Client::new(app.clone());
        assert_eq!(
            c.get("/-/metrics").await.status,
            StatusCode::NOT_FOUND,
            "no peer known"
        );
    }
);
