//! Git over HTTP with the real `git` command line against a served
//! Forgekey.

use super::support::{app, both_backends, state, Rest, T0};
use crate::domain::two_factor::STEP_SECONDS;
use crate::server::clock::ManualClock;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::{accounts, projects, tokens};
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::Engine;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tower::ServiceExt;

const PASSWORD: &str = "secret-password";
/// Within a year of T0 (2026-01-01).
const EXPIRES: &str = "2026-02-01";

/// Serves `router` on a loopback port, with the client address known.
pub(super) async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

struct Git {
    home: tempfile::TempDir,
}

struct Outcome {
    ok: bool,
    stderr: String,
}

impl Git {
    fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// Runs git in `cwd` without any prompt or stored credential.
    async fn run(&self, cwd: &Path, args: &[&str]) -> Outcome {
        let out = tokio::process::Command::new("git")
            .args(["-c", "credential.helper=", "-c", "protocol.version=2"])
            .args(args)
            .current_dir(cwd)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_ASKPASS", "")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .await
            .unwrap();
        Outcome {
            ok: out.status.success(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    async fn clone(&self, url: &str, name: &str) -> Outcome {
        self.run(self.home.path(), &["clone", url, name]).await
    }

    /// Commits a new file in a clone.
    async fn commit(&self, name: &str, file: &str) {
        let dir = self.dir(name);
        std::fs::write(dir.join(file), file).unwrap();
        assert!(self.run(&dir, &["add", file]).await.ok);
        assert!(self.run(&dir, &["commit", "-q", "-m", file]).await.ok);
    }

    async fn push(&self, name: &str, url: &str) -> Outcome {
        self.run(&self.dir(name), &["push", url, "HEAD:main"]).await
    }
}

fn url(addr: SocketAddr, user: &str, secret: &str, path: &str) -> String {
    let secret: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    format!("http://{user}:{secret}@{addr}/{path}.git")
}

async fn git_settings(st: &AppState, password_auth: bool, username_match: bool) {
    crate::server::tests::support::change_settings(st, |s| {
        s.git_password_auth = password_auth;
        s.git_token_username_match = username_match;
    })
    .await;
}

async fn user(st: &AppState, name: &str) -> User {
    accounts::register(st, name, &format!("{name}@example.com"), PASSWORD, false)
        .await
        .unwrap()
}

async fn token(st: &AppState, u: &User, scopes: &[&str]) -> String {
    tokens::create(st, &Actor::user(u), u, "git", EXPIRES, scopes)
        .await
        .unwrap()
        .secret
}

both_backends!(token_scopes_decide_clone_and_push, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let alice = user(&st, "alice").await;
    projects::create(&st, &Actor::user(&alice), &alice, "Demo", "", "private")
        .await
        .unwrap();
    let read = token(&st, &alice, &["read_repository"]).await;
    let write = token(&st, &alice, &["write_repository"]).await;
    let addr = serve(app(&t, st.clone()).await).await;
    let git = Git::new();

    let cloned = git
        .clone(&url(addr, "anything", &read, "alice/demo"), "work")
        .await;
    assert!(cloned.ok, "{}", cloned.stderr);
    git.commit("work", "README").await;
    let refused = git.push("work", &url(addr, "x", &read, "alice/demo")).await;
    assert!(!refused.ok);
    assert!(
        refused
            .stderr
            .contains("You are not allowed to push code to this project"),
        "git shows why: {}",
        refused.stderr
    );
    let pushed = git
        .push("work", &url(addr, "x", &write, "alice/demo"))
        .await;
    assert!(pushed.ok, "{}", pushed.stderr);

    let again = git
        .clone(&url(addr, "x", &read, "alice/demo"), "again")
        .await;
    assert!(again.ok, "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(git.dir("again").join("README")).unwrap(),
        "README"
    );

    // Revoked: refused at once.
    let write_id = tokens::list(&st, alice.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.scopes.len() == 1 && t.scopes[0].as_str() == "write_repository")
        .unwrap()
        .id;
    tokens::revoke(&st, &Actor::user(&alice), alice.id, write_id)
        .await
        .unwrap();
    git.commit("work", "CHANGES").await;
    let revoked = git
        .push("work", &url(addr, "x", &write, "alice/demo"))
        .await;
    assert!(!revoked.ok);
    assert!(
        revoked.stderr.contains("Authentication failed"),
        "{}",
        revoked.stderr
    );

    // Expired (00:00 UTC on its date): refused.
    clock.advance(31 * 86_400);
    let expired = git
        .clone(&url(addr, "x", &read, "alice/demo"), "late")
        .await;
    assert!(!expired.ok);
    assert!(
        expired.stderr.contains("Authentication failed"),
        "{}",
        expired.stderr
    );
});

both_backends!(passwords_pass_the_two_factor_gate_and_the_setting, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let bob = user(&st, "bob").await;
    projects::create(&st, &Actor::user(&bob), &bob, "tools", "", "private")
        .await
        .unwrap();
    let addr = serve(app(&t, st.clone()).await).await;
    let git = Git::new();

    let by_password = git
        .clone(&url(addr, "bob", PASSWORD, "bob/tools"), "one")
        .await;
    assert!(by_password.ok, "{}", by_password.stderr);

    git_settings(&st, false, false).await;
    let disabled = git
        .clone(&url(addr, "bob", PASSWORD, "bob/tools"), "two")
        .await;
    assert!(!disabled.ok);
    assert!(
        disabled
            .stderr
            .contains("Password authentication is disabled"),
        "{}",
        disabled.stderr
    );
    git_settings(&st, true, false).await;

    // With 2FA on, the password is refused, right or wrong alike (no
    // oracle), with the hint to use a token; a token works.
    let (bob, _, _) = crate::server::tests::two_factor::enrol(&st, bob).await;
    clock.advance(STEP_SECONDS);
    let refused = git
        .clone(&url(addr, "bob", PASSWORD, "bob/tools"), "three")
        .await;
    assert!(!refused.ok);
    assert!(
        refused.stderr.contains("required to use a token"),
        "{}",
        refused.stderr
    );
    let wrong = git
        .clone(&url(addr, "bob", "not-the-password", "bob/tools"), "three")
        .await;
    assert_eq!(
        wrong.stderr.replace("not-the-password", PASSWORD),
        refused.stderr
    );
    let read = token(&st, &bob, &["read_repository"]).await;
    let with_token = git
        .clone(&url(addr, "bob", &read, "bob/tools"), "four")
        .await;
    assert!(with_token.ok, "{}", with_token.stderr);

    // The stricter setting: the username must be the token's owner.
    git_settings(&st, true, true).await;
    let stranger = git
        .clone(&url(addr, "someone", &read, "bob/tools"), "five")
        .await;
    assert!(!stranger.ok);
    let owner = git
        .clone(&url(addr, "BOB", &read, "bob/tools"), "six")
        .await;
    assert!(owner.ok, "{}", owner.stderr);
});

both_backends!(visibility_decides_who_sees_a_project, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let carol = user(&st, "carol").await;
    let dave = user(&st, "dave").await;
    projects::create(&st, &Actor::user(&carol), &carol, "open", "", "public")
        .await
        .unwrap();
    projects::create(&st, &Actor::user(&carol), &carol, "closed", "", "private")
        .await
        .unwrap();
    let daves = token(&st, &dave, &["write_repository"]).await;
    let addr = serve(app(&t, st.clone()).await).await;
    let git = Git::new();

    let anonymous = git
        .clone(&format!("http://{addr}/carol/open.git"), "anon")
        .await;
    assert!(anonymous.ok, "{}", anonymous.stderr);
    let prompt = git
        .clone(&format!("http://{addr}/carol/closed.git"), "anon2")
        .await;
    assert!(!prompt.ok);
    assert!(
        prompt.stderr.contains("could not read Username"),
        "git asks for credentials: {}",
        prompt.stderr
    );
    let hidden = git
        .clone(&url(addr, "dave", &daves, "carol/closed"), "d1")
        .await;
    assert!(!hidden.ok);
    assert!(
        hidden.stderr.contains("not found") || hidden.stderr.contains("404"),
        "{}",
        hidden.stderr
    );
    let missing = git
        .clone(&url(addr, "dave", &daves, "carol/nothing"), "d2")
        .await;
    assert_eq!(
        hidden
            .stderr
            .replace("closed", "nothing")
            .replace("d1", "d2"),
        missing.stderr
    );
    let readable = git
        .clone(&url(addr, "dave", &daves, "carol/open"), "d3")
        .await;
    assert!(readable.ok, "{}", readable.stderr);
    git.commit("d3", "mine").await;
    let no_push = git
        .push("d3", &url(addr, "dave", &daves, "carol/open"))
        .await;
    assert!(!no_push.ok);
    assert!(
        no_push.stderr.contains("You are not allowed to push code"),
        "{}",
        no_push.stderr
    );
});

/// erin with a private project `erin/repo`, a `read_repository` token of
/// hers, and the application serving them.
pub(super) async fn erin_with_a_repo(
    t: &super::support::TestDb,
    st: &AppState,
) -> (Router, String) {
    let erin = user(st, "erin").await;
    projects::create(st, &Actor::user(&erin), &erin, "repo", "", "private")
        .await
        .unwrap();
    let read = token(st, &erin, &["read_repository"]).await;
    (app(t, st.clone()).await, read)
}

/// `GET info/refs` from `ip` with Basic credentials.
pub(super) async fn info_refs(
    router: &Router,
    ip: [u8; 4],
    user: &str,
    password: &str,
) -> StatusCode {
    info_refs_forwarded(router, ip, None, user, password).await
}

/// The same through a proxy at `ip` that says it forwards for `client`.
async fn info_refs_forwarded(
    router: &Router,
    ip: [u8; 4],
    client: Option<&str>,
    user: &str,
    password: &str,
) -> StatusCode {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut req = Request::get("/erin/repo.git/info/refs?service=git-upload-pack")
        .header(header::AUTHORIZATION, format!("Basic {basic}"));
    if let Some(client) = client {
        req = req.header("x-forwarded-for", client);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((ip, 40_000))));
    router.clone().oneshot(req).await.unwrap().status()
}

both_backends!(ten_failures_from_an_address_refuse_it_for_an_hour, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (router, read) = erin_with_a_repo(&t, &st).await;
    let attacker = [192, 0, 2, 1];
    let neighbour = [192, 0, 2, 2];
    assert_eq!(
        info_refs(&router, attacker, "erin", &read).await,
        StatusCode::OK
    );
    for _ in 0..10 {
        assert_eq!(
            info_refs(&router, attacker, "erin", "guess").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Banned, even with valid credentials; others are not.
    assert_eq!(
        info_refs(&router, attacker, "erin", &read).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        info_refs(&router, neighbour, "erin", &read).await,
        StatusCode::OK
    );
    clock.advance(3_600);
    assert_eq!(
        info_refs(&router, attacker, "erin", &read).await,
        StatusCode::OK
    );
});

both_backends!(behind_a_trusted_proxy_each_client_has_its_own_ban, |t| {
    let clock = ManualClock::at(T0);
    let st = crate::server::tests::support::state_with(&t, &clock, |c| {
        c.trusted_proxies =
            crate::server::client_addr::TrustedProxies::new(vec!["10.0.0.0/8".parse().unwrap()]);
    });
    let (router, read) = erin_with_a_repo(&t, &st).await;
    let proxy = [10, 0, 0, 1];
    for _ in 0..10 {
        let s = info_refs_forwarded(&router, proxy, Some("198.51.100.1"), "erin", "guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let banned = info_refs_forwarded(&router, proxy, Some("198.51.100.1"), "erin", &read).await;
    assert_eq!(banned, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not banned with it.
    let other = info_refs_forwarded(&router, proxy, Some("198.51.100.2"), "erin", &read).await;
    assert_eq!(other, StatusCode::OK);
    // An untrusted peer's header is ignored: the ban is on the peer.
    let untrusted = [203, 0, 113, 5];
    for _ in 0..10 {
        let s =
            info_refs_forwarded(&router, untrusted, Some("198.51.100.3"), "erin", "guess").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = info_refs_forwarded(&router, untrusted, Some("198.51.100.4"), "erin", &read).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
});

both_backends!(a_repeated_service_parameter_is_refused, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (router, read) = erin_with_a_repo(&t, &st).await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("erin:{read}"));
    for query in [
        "service=git-upload-pack&service=git-receive-pack",
        "service=git-receive-pack&service=git-upload-pack",
        "service=git-upload-pack&%73ervice=git-receive-pack",
    ] {
        let req = Request::get(format!("/erin/repo.git/info/refs?{query}"))
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Body::empty())
            .unwrap();
        let status = router.clone().oneshot(req).await.unwrap().status();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
});

both_backends!(token_use_over_git_is_recorded, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let fay = user(&st, "fay").await;
    projects::create(&st, &Actor::user(&fay), &fay, "notes", "", "private")
        .await
        .unwrap();
    let read = token(&st, &fay, &["read_repository"]).await;
    let addr = serve(app(&t, st.clone()).await).await;
    let git = Git::new();
    assert!(
        git.clone(&url(addr, "fay", &read, "fay/notes"), "n")
            .await
            .ok
    );
    // Recorded in the background, off the request path.
    let mut recorded = None;
    for _ in 0..50 {
        recorded = tokens::list(&st, fay.id).await.unwrap()[0].last_used_at;
        if recorded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(recorded, Some(T0));
});

both_backends!(projects_through_the_rest_api, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    user(&st, "root").await; // the first account, an administrator
    let gus = user(&st, "gus").await;
    let api_token = token(&st, &gus, &["api"]).await;
    let read_api = token(&st, &gus, &["read_api"]).await;
    let router = app(&t, st.clone()).await;
    let call =
        |method: &'static str, path: String, token: String, body: Option<serde_json::Value>| {
            let router = router.clone();
            async move {
                let call = Rest::method(&router, method, &path).token(&token);
                match body {
                    Some(body) => call.json(body),
                    None => call,
                }
                .send()
                .await
            }
        };

    let body = serde_json::json!({ "name": "My Tool", "visibility": "public" });
    let r = call(
        "POST",
        "/api/v4/projects".into(),
        api_token.clone(),
        Some(body.clone()),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(created["path_with_namespace"], "gus/my-tool");
    assert_eq!(created["visibility"], "public");
    assert_eq!(
        created["http_url_to_repo"],
        "http://localhost/gus/my-tool.git"
    );
    assert!(projects::repository_path(
        &t.repositories(),
        crate::domain::ids::ProjectId(created["id"].as_i64().unwrap()),
    )
    .join("HEAD")
    .exists());

    let again = call(
        "POST",
        "/api/v4/projects".into(),
        api_token.clone(),
        Some(body),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert!(
        again.body.contains("has already been taken"),
        "{}",
        again.body
    );
    let bad = serde_json::json!({ "name": "x", "path": "x.git" });
    let r = call(
        "POST",
        "/api/v4/projects".into(),
        api_token.clone(),
        Some(bad),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = call(
        "POST",
        "/api/v4/projects".into(),
        read_api.clone(),
        Some(serde_json::json!({ "name": "nope" })),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "read_api cannot create");

    let r = call(
        "GET",
        "/api/v4/projects/gus%2Fmy-tool".into(),
        read_api.clone(),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Listed: own projects and others' public ones, not others' private.
    let hal = user(&st, "hal").await;
    projects::create(&st, &Actor::user(&hal), &hal, "shared", "", "public")
        .await
        .unwrap();
    projects::create(&st, &Actor::user(&hal), &hal, "secret", "", "private")
        .await
        .unwrap();
    let paths = |r: &crate::server::tests::support::Reply| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["path_with_namespace"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = call("GET", "/api/v4/projects".into(), read_api.clone(), None).await;
    assert_eq!(paths(&r), ["hal/shared", "gus/my-tool"]);
    let r = call(
        "GET",
        "/api/v4/projects?owned=true".into(),
        read_api.clone(),
        None,
    )
    .await;
    assert_eq!(paths(&r), ["gus/my-tool"]);
    let r = call("GET", "/api/v4/projects?search=SHA".into(), read_api, None).await;
    assert_eq!(paths(&r), ["hal/shared"]);
});

both_backends!(
    the_tenth_failure_in_a_minute_bans_an_address_on_every_instance,
    |t| {
        use crate::domain::lockout::Outcome;
        use crate::server::services::attempts::{
            address_banned_until, reserve_address, AddressRefused,
        };
        let clock = ManualClock::at(100);
        let st_a = state(&t, &clock);
        // Another instance: its own pool on the same database.
        let db_b =
            crate::server::db::Db::connect_with(&t.url, crate::server::tests::support::timeouts())
                .await
                .unwrap();
        let st_b = crate::server::tests::support::state_over(db_b, &t, &clock, |_| {});
        let ip: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        let other: std::net::IpAddr = "192.0.2.8".parse().unwrap();
        // Nine failures, alternating between the instances…
        for i in 0..9 {
            let st = if i % 2 == 0 { &st_a } else { &st_b };
            reserve_address(st, ip)
                .await
                .unwrap()
                .settle(Outcome::Wrong)
                .await
                .unwrap();
            clock.advance(1);
        }
        assert_eq!(address_banned_until(&st_a, ip).await.unwrap(), None);
        // …and the tenth bans the address for an hour, on both.
        reserve_address(&st_b, ip)
            .await
            .unwrap()
            .settle(Outcome::Wrong)
            .await
            .unwrap();
        assert_eq!(address_banned_until(&st_a, ip).await.unwrap(), Some(3_709));
        assert_eq!(
            reserve_address(&st_a, ip).await.unwrap_err(),
            AddressRefused::Banned { until: 3_709 }
        );
        assert_eq!(address_banned_until(&st_b, other).await.unwrap(), None);
        clock.advance(3_709 - 109);
        assert_eq!(
            address_banned_until(&st_b, ip).await.unwrap(),
            None,
            "an hour later"
        );
    }
);

both_backends!(
    address_successes_give_their_slot_back_and_abandoned_checks_count,
    |t| {
        use crate::domain::lockout::Outcome;
        use crate::server::services::attempts::{address_banned_until, reserve_address};
        let clock = ManualClock::at(100);
        let st = state(&t, &clock);
        let ip: std::net::IpAddr = "2001:db8::1".parse().unwrap();
        for _ in 0..50 {
            reserve_address(&st, ip)
                .await
                .unwrap()
                .settle(Outcome::Unchecked)
                .await
                .unwrap();
        }
        assert_eq!(address_banned_until(&st, ip).await.unwrap(), None);
        for _ in 0..10 {
            drop(reserve_address(&st, ip).await.unwrap());
        }
        // Abandoned checks are settled in the background.
        for _ in 0..100 {
            if address_banned_until(&st, ip).await.unwrap().is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(address_banned_until(&st, ip).await.unwrap(), Some(3_700));
    }
);
