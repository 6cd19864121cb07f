//! The front end's files and the pages on the wire: how long browsers keep
//! a file (by whether its name carries its content's hash), precompressed
//! files by content negotiation, and compression of large answers only.

use super::support::{
    api_token, app, both_backends, register, state_serving, Client, Reply, Rest, Scenario, T0,
};
use crate::server::clock::ManualClock;
use axum::http::{header, StatusCode};

const SCRIPT: &str = "console.log('the front end');";

/// A site root holding one script, and its precompressed forms (their
/// contents stand in for real compressed bytes: the server only picks one).
fn site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("forgekey.Qx7.js"), SCRIPT).unwrap();
    std::fs::write(pkg.join("forgekey.Qx7.js.br"), "brotli bytes").unwrap();
    std::fs::write(pkg.join("forgekey.Qx7.js.gz"), "gzip bytes").unwrap();
    dir
}

async fn fetch(app: &axum::Router, path: &str, accept: Option<&str>) -> Reply {
    let mut req = Rest::get(app, path);
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    req.send().await
}

fn header(r: &Reply, name: header::HeaderName) -> Option<&str> {
    r.headers.get(name).map(|v| v.to_str().unwrap())
}

both_backends!(
    hashed_front_end_files_are_kept_a_year_and_sent_precompressed,
    |t| {
        let root = site();
        let clock = ManualClock::at(T0);
        let st = state_serving(&t, &clock, root.path().to_str().unwrap(), true);
        let app = app(&t, st).await;
        let path = "/pkg/forgekey.Qx7.js";

        let r = fetch(&app, path, Some("gzip, deflate, br")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(header(&r, header::CONTENT_ENCODING), Some("br"));
        assert_eq!(r.body, "brotli bytes");
        assert_eq!(
            header(&r, header::CACHE_CONTROL),
            Some("public, max-age=31536000, immutable")
        );
        let r = fetch(&app, path, Some("gzip")).await;
        assert_eq!(header(&r, header::CONTENT_ENCODING), Some("gzip"));
        assert_eq!(r.body, "gzip bytes");
        let r = fetch(&app, path, None).await;
        assert_eq!(header(&r, header::CONTENT_ENCODING), None);
        assert_eq!(r.body, SCRIPT);

        // A name that is not there is never kept.
        let r = fetch(&app, "/pkg/forgekey.Old.js", Some("br")).await;
        assert_ne!(r.status, StatusCode::OK);
        assert_eq!(header(&r, header::CACHE_CONTROL), Some("no-store"));
    }
);

both_backends!(unhashed_front_end_files_are_checked_each_time, |t| {
    let root = site();
    let clock = ManualClock::at(T0);
    let st = state_serving(&t, &clock, root.path().to_str().unwrap(), false);
    let app = app(&t, st).await;
    let r = fetch(&app, "/pkg/forgekey.Qx7.js", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r, header::CACHE_CONTROL), Some("no-cache"));
});

both_backends!(large_answers_are_compressed_and_small_ones_are_not, |t| {
    let s = Scenario::new(&t).await;
    // A page: several KiB of HTML, never cached.
    let r = fetch(&s.app, "/users/sign_in", Some("br")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r, header::CONTENT_ENCODING), Some("br"));
    assert_eq!(header(&r, header::CACHE_CONTROL), Some("no-store"));
    let r = fetch(&s.app, "/users/sign_in", Some("gzip")).await;
    assert_eq!(header(&r, header::CONTENT_ENCODING), Some("gzip"));
    // Without Accept-Encoding, as it was.
    let mut browser = Client::new(s.app.clone());
    let r = browser.get("/users/sign_in").await;
    assert_eq!(header(&r, header::CONTENT_ENCODING), None);
    assert!(r.body.starts_with("<!DOCTYPE html>"), "{}", &r.body[..40]);

    // A short API answer goes out as it is: compressing it gains nothing.
    let root = register(&s.st, "root").await;
    let token = api_token(&s.st, &root, "t", "2026-02-01").await.secret;
    let r = Rest::get(&s.app, "/api/v4/version")
        .token(&token)
        .header("accept-encoding", "br, gzip")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.len() < crate::server::COMPRESS_ABOVE_BYTES.into());
    assert_eq!(header(&r, header::CONTENT_ENCODING), None);
    // A long list is compressed.
    for i in 0..30 {
        api_token(&s.st, &root, &format!("token number {i}"), "2026-02-01").await;
    }
    let r = Rest::get(&s.app, "/api/v4/personal_access_tokens?per_page=100")
        .token(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r, header::CONTENT_ENCODING), Some("gzip"));
    let vary = header(&r, header::VARY)
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(vary.contains("accept-encoding"), "{vary}");
});
