//! A database that stops answering: every way in says 503 with
//! `Retry-After` within the timeouts (never a hang, never a 500, never a
//! yes), liveness stays up while readiness goes down, and the server
//! recovers by itself when the database does.

use super::support::{both_backends, register, Client, Rest, Scenario, T0};
use crate::paths;
use crate::server::clock::ManualClock;
use crate::server::db::{Db, Timeouts};
use crate::server::services::audit::Actor;
use crate::server::services::tokens;
use axum::http::{header, StatusCode};
use std::time::Duration;

/// A reply that must come, and soon: a hang fails the test instead of
/// stalling the suite.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 20 s"))
}

fn assert_unavailable(what: &str, r: &super::support::Reply) {
    assert_eq!(
        r.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{what}: {}",
        r.body
    );
    assert_eq!(
        r.headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("5"),
        "{what} says when to try again"
    );
}

both_backends!(a_lost_database_answers_503_and_lets_no_one_in, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let secret = tokens::create(&st, &Actor::user(&root), &root, "t", "2026-02-01", &["api"])
        .await
        .unwrap()
        .secret;
    let mut browser = Client::new(app.clone());
    browser.sign_up("alice").await;
    let ready = Rest::get(&app, "/-/readiness").send().await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(Client::json(&ready)["status"], "ok");
    let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
    assert_eq!(r.status, StatusCode::OK);

    // The cached answer ages out; then the database goes away.
    clock.advance(2);
    st.db.pool.close().await;

    let r = within("API", Rest::get(&app, "/api/v4/user").token(&secret).send()).await;
    assert_unavailable("a known token", &r);
    assert_eq!(Client::json(&r)["message"], "503 Service Unavailable");
    let unknown =
        crate::domain::token::format_secret("glpat-", &[9; crate::domain::token::RANDOM_BYTES]);
    let r = within(
        "API",
        Rest::get(&app, "/api/v4/user").token(&unknown).send(),
    )
    .await;
    assert_unavailable("an unknown token is not judged without the database", &r);

    let r = within("page", browser.get(paths::TOKENS)).await;
    assert_unavailable("a page", &r);
    assert!(r.body.contains("cannot reach its database"), "{}", r.body);
    let r = within("server function", browser.call("current_user", &[])).await;
    assert_unavailable("a server function", &r);

    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("root:{secret}"))
    };
    let r = within(
        "Git",
        Rest::get(&app, "/root/repo.git/info/refs?service=git-upload-pack")
            .header("authorization", format!("Basic {basic}"))
            .send(),
    )
    .await;
    assert_unavailable("Git", &r);

    let r = within("readiness", Rest::get(&app, "/-/readiness").send()).await;
    assert_unavailable("readiness", &r);
    assert_eq!(Client::json(&r)["status"], "failed");
    let r = Rest::get(&app, "/-/liveness").send().await;
    assert_eq!(r.status, StatusCode::OK, "the process itself is alive");
});

/// PostgreSQL: another session holds a table lock. Requests that need the
/// table give up after the lock timeout with 503, requests that do not are
/// served, and once the lock is released everything works again without a
/// restart.
#[test]
#[cfg_attr(
    not(forgekey_test_pg),
    ignore = "no PostgreSQL named: set FORGEKEY_TEST_PG_URL (scripts/test.sh does)"
)]
fn a_held_lock_times_out_and_the_server_recovers() {
    super::support::runtime().block_on(async {
        use sqlx::{Connection, Executor};
        let t = super::support::postgres().await;
        let short = Timeouts {
            acquire: Duration::from_millis(500),
            statement: Duration::from_secs(2),
            lock: Duration::from_millis(300),
        };
        let db = Db::connect_with(&t.url, short).await.unwrap();
        let clock = ManualClock::at(T0);
        let st = super::support::state_over(db, &t, &clock, |_| {});
        let app = super::support::app(&t, st.clone()).await;
        let root = register(&st, "root").await;
        let secret = tokens::create(&st, &Actor::user(&root), &root, "t", "2026-02-01", &["api"])
            .await
            .unwrap()
            .secret;

        let mut holder = sqlx::PgConnection::connect(&t.url).await.unwrap();
        holder.execute("BEGIN").await.unwrap();
        holder
            .execute("LOCK TABLE personal_access_tokens IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();

        clock.advance(2);
        let r = within(
            "a locked table",
            Rest::get(&app, "/api/v4/user").token(&secret).send(),
        )
        .await;
        assert_unavailable("a token lookup behind a lock", &r);
        let r = Rest::get(&app, "/-/readiness").send().await;
        assert_eq!(r.status, StatusCode::OK, "the database itself answers");

        holder.execute("ROLLBACK").await.unwrap();
        let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
        assert_eq!(r.status, StatusCode::OK, "recovered: {}", r.body);
    });
}

both_backends!(a_replayed_rotated_token_is_refused_from_memory, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let first = tokens::create(&st, &Actor::user(&root), &root, "t", "2026-02-01", &["api"])
        .await
        .unwrap();
    tokens::rotate(&st, &Actor::command_line(), &first.token, None)
        .await
        .unwrap();
    // The first replay is read from the database (refused; its family is
    // left alone, this is no rotation endpoint: one log line)…
    let r = Rest::get(&app, "/api/v4/user")
        .token(&first.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // …presented to rotate, it revokes the family (one write)…
    let rotate = "/api/v4/personal_access_tokens/self/rotate";
    let r = Rest::post(&app, rotate).token(&first.secret).send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // …and every later one, wherever presented, is answered without the
    // database: with it gone, still a 401, not a 503.
    st.db.pool.close().await;
    for _ in 0..3 {
        let r = within(
            "a replay",
            Rest::get(&app, "/api/v4/user").token(&first.secret).send(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        let r = within(
            "a replay to rotate",
            Rest::post(&app, rotate).token(&first.secret).send(),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
});
