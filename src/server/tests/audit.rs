//! The audit trail: every powerful action leaves a row with the instant,
//! the actor, whom they acted as (sudo, impersonation), the client address
//! and the target; the Audit log filters by actor, target and action.

use super::support::{api_token, app, both_backends, register, state, Client, Reply, T0};
use crate::server::clock::ManualClock;
use crate::server::db::audit::AuditEvent;
use crate::server::services::audit::{self, Actor};
use crate::server::services::tokens;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use std::net::SocketAddr;

const FROM: [u8; 4] = [198, 51, 100, 23];

/// A REST call with a token from the client address `FROM`.
async fn api_from(app: &Router, method: &str, path: &str, token: &str) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost")
        .header("PRIVATE-TOKEN", token)
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from((FROM, 41_000))));
    Client::new(app.clone()).send(req).await
}

async fn latest(st: &AppState, action: &str) -> AuditEvent {
    let filter = audit::Filter {
        action: Some(action.to_owned()),
        ..Default::default()
    };
    let (events, _) = audit::list(st, &filter, 0, 1).await.unwrap();
    events
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {action} event"))
}

both_backends!(
    an_administrator_rotating_a_users_token_is_on_the_record,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let router = app(&t, st.clone()).await;
        let root = register(&st, "root").await;
        let ann = register(&st, "ann").await;
        let admin = api_token(&st, &root, "admin", "2026-02-01").await;
        let anns = api_token(&st, &ann, "ci", "2026-02-01").await;
        let path = format!("/api/v4/personal_access_tokens/{}/rotate", anns.token.id);
        let r = api_from(&router, "POST", &path, &admin.secret).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let e = latest(&st, "token_rotated").await;
        assert_eq!(e.created_at, T0);
        assert_eq!(e.actor_name, "root");
        assert_eq!(e.target_name.as_deref(), Some("ann"));
        assert_eq!(e.token_name.as_deref(), Some("ci"));
        assert_eq!(e.ip_address.as_deref(), Some("198.51.100.23"));
        assert_eq!(e.acted_as_name, None);
    }
);

both_backends!(
    actions_under_sudo_name_the_administrator_and_whom_they_acted_as,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let router = app(&t, st.clone()).await;
        let root = register(&st, "root").await;
        let bob = register(&st, "bob").await;
        let sudo = tokens::create(
            &st,
            &Actor::user(&root),
            &root,
            "s",
            "2026-02-01",
            &["api", "sudo"],
        )
        .await
        .unwrap();
        let r = api_from(
            &router,
            "POST",
            "/api/v4/projects?name=tools&sudo=bob",
            &sudo.secret,
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let e = latest(&st, "project_created").await;
        assert_eq!(e.actor_name, "root");
        assert_eq!(e.acted_as_name.as_deref(), Some("bob"));
        assert_eq!(e.acted_via.as_deref(), Some("sudo"));
        assert_eq!(e.target_name.as_deref(), Some("bob"));
        assert_eq!(e.ip_address.as_deref(), Some("198.51.100.23"));
        // Revoking bob's token as bob, under sudo.
        let bobs = api_token(&st, &bob, "bobs", "2026-02-01").await;
        let path = format!("/api/v4/personal_access_tokens/{}?sudo=bob", bobs.token.id);
        let r = api_from(&router, "DELETE", &path, &sudo.secret).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
        let e = latest(&st, "token_revoked").await;
        assert_eq!(
            (e.actor_name.as_str(), e.acted_via.as_deref()),
            ("root", Some("sudo"))
        );
    }
);

both_backends!(
    actions_with_an_impersonation_token_name_the_administrator,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let router = app(&t, st.clone()).await;
        let root = register(&st, "root").await;
        let ann = register(&st, "ann").await;
        let impersonation = tokens::issue(
            &st,
            &Actor::user(&root),
            &ann,
            tokens::Issuer::Impersonation(&root),
            tokens::Request {
                name: "support",
                description: "",
                expires_on: "2026-02-01",
                scopes: &["api"],
                allowed_ips: "",
                projects: "",
            },
        )
        .await
        .unwrap();
        let r = api_from(
            &router,
            "POST",
            "/api/v4/personal_access_tokens/self/rotate",
            &impersonation.secret,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let e = latest(&st, "token_rotated").await;
        assert_eq!(e.actor_name, "root");
        assert_eq!(e.acted_as_name.as_deref(), Some("ann"));
        assert_eq!(e.acted_via.as_deref(), Some("impersonation"));
    }
);

both_backends!(owners_token_and_two_factor_changes_are_on_the_record, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let router = app(&t, st.clone()).await;
    let mut c = Client::new(router.clone());
    c.sign_up("cid").await;
    let r = c
        .call(
            "create_token",
            &[
                ("name", "laptop"),
                ("expires_at", "2026-02-01"),
                ("scopes[]", "api"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let created = latest(&st, "personal_access_token_created").await;
    assert_eq!(
        (created.actor_name.as_str(), created.target_name.as_deref()),
        ("cid", Some("cid"))
    );
    assert_eq!(created.token_name.as_deref(), Some("laptop"));
    let id = Client::json(&r)["token"]["id"].to_string();
    let r = c.call("revoke_token", &[("id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(latest(&st, "token_revoked").await.actor_name, "cid");

    let cid = crate::server::db::users::find_by_username_key(&t.db, "cid")
        .await
        .unwrap()
        .unwrap();
    let (cid, _, _) = crate::server::tests::two_factor::enrol(&st, cid).await;
    assert_eq!(
        latest(&st, "two_factor_enabled")
            .await
            .target_name
            .as_deref(),
        Some("cid")
    );
    crate::server::services::two_factor::disable(&st, &Actor::command_line(), &cid)
        .await
        .unwrap();
    let off = latest(&st, "two_factor_disabled").await;
    assert_eq!(
        (off.actor_name.as_str(), off.target_name.as_deref()),
        ("command line", Some("cid"))
    );
});

both_backends!(the_audit_log_filters_by_actor_target_and_action, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let router = app(&t, st.clone()).await;
    let mut root = Client::new(router.clone());
    root.sign_up("root").await;
    let ann = register(&st, "ann").await;
    let dan = register(&st, "dan").await;
    let anns = api_token(&st, &ann, "a", "2026-02-01").await;
    api_token(&st, &dan, "d", "2026-02-01").await;
    let root_user = crate::server::db::users::find_by_username_key(&t.db, "root")
        .await
        .unwrap()
        .unwrap();
    tokens::revoke_as(&st, &Actor::user(&root_user), anns.token.id)
        .await
        .unwrap();
    let load = |actor: &'static str, target: &'static str, action: &'static str| {
        let mut c = Client {
            app: router.clone(),
            cookie: root.cookie.clone(),
            others: root.others.clone(),
        };
        async move {
            let r = c
                .call(
                    "load_audit_events",
                    &[
                        ("page", "1"),
                        ("actor", actor),
                        ("target", target),
                        ("action", action),
                    ],
                )
                .await;
            (r.status, Client::json(&r))
        }
    };
    let (status, all) = load("", "", "").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["events"]["total"], 3, "{all}");
    let (_, by_root) = load("ROOT", "", "").await;
    assert_eq!(by_root["events"]["total"], 1, "{by_root}");
    assert_eq!(by_root["events"]["items"][0]["action"], "Revoked token");
    let (_, about_dan) = load("", "dan", "").await;
    assert_eq!(about_dan["events"]["total"], 1, "{about_dan}");
    let (_, created) = load("", "", "personal_access_token_created").await;
    assert_eq!(created["events"]["total"], 2, "{created}");
    let (status, _) = load("", "", "no_such_action").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The page shows the time of day.
    let page = root.get("/admin/audit_events?actor=root").await;
    assert!(page.body.contains("00:00:00 UTC"), "{}", page.body);
});
