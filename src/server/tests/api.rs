use super::support::{app, both_backends, register, state, Client, Rest, Scenario, T0};
use crate::domain::admin::UserChange;
use crate::domain::ids::TokenId;
use crate::server::clock::ManualClock;
use crate::server::db::tokens as db_tokens;
use crate::server::db::users;
use crate::server::services::admin::change_user;
use crate::server::services::audit::Actor;
use crate::server::services::tokens;
use crate::server::state::AppState;
use axum::http::{header, StatusCode};
use serde_json::{json, Value};

/// 2026-02-01, within a year of T0.
const EXPIRES: &str = "2026-02-01";

async fn token_for(st: &AppState, u: &users::User, scopes: &[&str]) -> String {
    tokens::create(st, &Actor::user(u), u, "t", EXPIRES, scopes)
        .await
        .unwrap()
        .secret
}

fn body(r: &super::support::Reply) -> Value {
    Client::json(r)
}

both_backends!(
    tokens_are_read_from_every_place_gitlab_clients_put_them,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let root = register(&st, "root").await;
        let secret = token_for(&st, &root, &["api"]).await;

        let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(body(&r)["username"], "root");
        assert_eq!(body(&r)["is_admin"], true);

        let r = Rest::get(&app, format!("/api/v4/user?private_token={secret}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let mut c = Client::new(app.clone());
        let req = axum::http::Request::get("/api/v4/user")
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {secret}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let r = c.send(req).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.headers.get(header::SET_COOKIE).is_none(),
            "the API never makes sessions"
        );
    }
);

both_backends!(bad_tokens_get_gitlabs_401, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let good = token_for(&st, &u, &["api"]).await;
    let mut typo = good.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    let typo = String::from_utf8(typo).unwrap();
    let unknown = crate::domain::token::format_secret("fkpat-", &[7; 32]);
    let revoked = crate::server::tests::support::api_token(&st, &u, "r", EXPIRES).await;
    crate::server::tests::support::revoke(&st, revoked.token.id).await;

    for (what, token) in [
        ("none", None),
        ("garbage", Some("hello")),
        ("typo", Some(typo.as_str())),
        ("unknown", Some(unknown.as_str())),
    ] {
        let r = Rest::get(&app, "/api/v4/user")
            .maybe_token(token)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(body(&r), json!({"message": "401 Unauthorized"}), "{what}");
        let www = r.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            www.starts_with("Bearer") && www.contains("error=\"invalid_token\""),
            "{www}"
        );
    }
    // A revoked token's holder is told so, as API::APIGuard tells them
    // (only the secret's holder can ask).
    let r = Rest::get(&app, "/api/v4/user")
        .token(&revoked.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(&r),
        json!({
            "error": "invalid_token",
            "error_description": "Token was revoked. You have to re-authorize from the user.",
        })
    );

    // Expiry: valid at 23:59:59 the day before, refused at 00:00:00 UTC.
    clock.advance(1_769_904_000 - T0 - 1);
    let r = Rest::get(&app, "/api/v4/user").token(&good).send().await;
    assert_eq!(r.status, StatusCode::OK);
    clock.advance(1);
    let r = Rest::get(&app, "/api/v4/user").token(&good).send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body(&r),
        json!({"error": "invalid_token", "error_description": "Token has expired."})
    );
    let www = r.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        www.contains("error_description=\"Token has expired.\""),
        "{www}"
    );

    // A browser session does not open the API.
    let mut browser = Client::new(app.clone());
    browser.sign_up("webonly").await;
    let req = axum::http::Request::get("/api/v4/user")
        .header(header::HOST, "localhost")
        .header(header::COOKIE, browser.cookie.clone().unwrap())
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(browser.send(req).await.status, StatusCode::UNAUTHORIZED);
});

both_backends!(scopes_decide_what_a_token_may_do, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let read_api = token_for(&st, &u, &["read_api"]).await;
    let read_user = token_for(&st, &u, &["read_user"]).await;
    let repo = token_for(&st, &u, &["read_repository", "write_repository"]).await;

    assert_eq!(
        Rest::get(&app, "/api/v4/personal_access_tokens")
            .token(&read_api)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let r = Rest::post(&app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&read_api)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(body(&r)["error"], "insufficient_scope");
    assert_eq!(body(&r)["scope"], "api");
    // Any token may revoke itself (GitLab 15.4+).
    let r = Rest::delete(&app, "/api/v4/personal_access_tokens/self")
        .token(&read_api)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&read_user)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        Rest::get(&app, "/api/v4/users/1")
            .token(&read_user)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let r = Rest::get(&app, "/api/v4/personal_access_tokens")
        .token(&read_user)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(body(&r)["scope"], "api read_api");

    let r = Rest::get(&app, "/api/v4/user").token(&repo).send().await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(body(&r)["scope"], "api read_api read_user");
});

both_backends!(sudo_acts_as_another_user_for_admins_only, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let bob = register(&st, "bob").await;
    let sudo = token_for(&st, &root, &["api", "sudo"]).await;
    let plain = token_for(&st, &root, &["api"]).await;
    let bobs = token_for(&st, &bob, &["api"]).await;

    let r = Rest::get(&app, "/api/v4/user?sudo=bob")
        .token(&sudo)
        .send()
        .await;
    assert_eq!(body(&r)["username"], "bob");
    let r = Rest::get(&app, format!("/api/v4/user?sudo={}", bob.id))
        .token(&sudo)
        .send()
        .await;
    assert_eq!(body(&r)["username"], "bob");
    let r = Rest::get(&app, "/api/v4/user?sudo=nobody")
        .token(&sudo)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        body(&r)["message"],
        "404 User with ID or username 'nobody' Not Found"
    );
    let r = Rest::get(&app, "/api/v4/user?sudo=bob")
        .token(&plain)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = Rest::get(&app, "/api/v4/user?sudo=root")
        .token(&bobs)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nobody acts as a blocked user.
    use crate::server::services::{admin, audit::Actor};
    admin::change_user(
        &st,
        &Actor::user(&root),
        bob.id,
        crate::domain::admin::UserChange::Block,
    )
    .await
    .unwrap();
    let r = Rest::get(&app, "/api/v4/user?sudo=bob")
        .token(&sudo)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
});

// `GET /user` keeps its rendered answer with the token's cache entry: the
// answer still names the host asked, is the sudo target's under `Sudo`, and
// is never older than the entry (at most a second, or until this instance
// changes the user).
both_backends!(the_user_answer_follows_host_sudo_and_the_cache_entry, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    register(&st, "bob").await;
    let secret = token_for(&st, &root, &["api", "sudo"]).await;
    let get = |host: &'static str, path: &'static str| {
        let app = app.clone();
        let secret = secret.clone();
        async move {
            let req = axum::http::Request::get(path)
                .header(header::HOST, host)
                .header("PRIVATE-TOKEN", secret)
                .body(axum::body::Body::empty())
                .unwrap();
            let r = Client::new(app).send(req).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(
                r.headers[header::CONTENT_TYPE],
                "application/json",
                "{path}"
            );
            r.body
        }
    };

    let first = get("a.example", "/api/v4/user").await;
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["web_url"], "http://a.example/root");
    assert_eq!(v["last_sign_in_at"], Value::Null);
    let other_host = get("b.example", "/api/v4/user").await;
    let v: Value = serde_json::from_str(&other_host).unwrap();
    assert_eq!(v["web_url"], "http://b.example/root");
    assert_eq!(get("a.example", "/api/v4/user").await, first);
    let v: Value = serde_json::from_str(&get("a.example", "/api/v4/user?sudo=bob").await).unwrap();
    assert_eq!(v["username"], "bob");
    assert_eq!(v["web_url"], "http://a.example/bob");
    assert_eq!(get("a.example", "/api/v4/user").await, first);

    // Another instance records a sign-in: this one answers from its entry
    // until the entry's second is over, then reads the user again.
    users::record_sign_in(&st.db, root.id, T0 + 5)
        .await
        .unwrap();
    assert_eq!(get("a.example", "/api/v4/user").await, first);
    clock.advance(1);
    let v: Value = serde_json::from_str(&get("a.example", "/api/v4/user").await).unwrap();
    assert_eq!(v["last_sign_in_at"], "2026-01-01T00:00:05.000Z");

    // A change made here forgets the entry, and the answer with it, at once.
    let carol = register(&st, "carol").await;
    let carols = token_for(&st, &carol, &["api"]).await;
    let as_root = Actor::user(&root);
    let r = Rest::get(&app, "/api/v4/user").token(&carols).send().await;
    // GitLab shows `is_admin` to administrators only.
    assert_eq!(body(&r).get("is_admin"), None);
    change_user(&st, &as_root, carol.id, UserChange::MakeAdmin)
        .await
        .unwrap();
    let r = Rest::get(&app, "/api/v4/user").token(&carols).send().await;
    assert_eq!(body(&r)["is_admin"], true);

    // Users are shown in their state, as GitLab does.
    change_user(&st, &as_root, carol.id, UserChange::Block)
        .await
        .unwrap();
    let path = format!("/api/v4/users/{}", carol.id);
    let r = Rest::get(&app, &path).token(&secret).send().await;
    assert_eq!(body(&r)["state"], "blocked");
    let r = Rest::get(&app, "/api/v4/users?username=carol")
        .token(&secret)
        .send()
        .await;
    assert_eq!(body(&r)[0]["state"], "blocked");
    let r = Rest::get(&app, "/api/v4/users?username=bob")
        .token(&secret)
        .send()
        .await;
    assert_eq!(body(&r)[0]["state"], "active");
});

both_backends!(listing_filters_and_paginates_like_gitlab, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let other = register(&st, "bob").await;
    let secret = token_for(&st, &u, &["api"]).await;
    for i in 0..4 {
        clock.advance(10);
        tokens::create(
            &st,
            &Actor::user(&u),
            &u,
            &format!("deploy {i}"),
            EXPIRES,
            &["read_api"],
        )
        .await
        .unwrap();
    }
    token_for(&st, &other, &["api"]).await;
    let gone = crate::server::tests::support::api_token(&st, &u, "gone", EXPIRES).await;
    crate::server::tests::support::revoke(&st, gone.token.id).await;

    let r = Rest::get(
        &app,
        format!(
            "/api/v4/personal_access_tokens?user_id={}&per_page=2&page=2",
            u.id
        ),
    )
    .token(&secret)
    .send()
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers["x-total"], "6");
    assert_eq!(r.headers["x-total-pages"], "3");
    assert_eq!(r.headers["x-page"], "2");
    assert_eq!(r.headers["x-per-page"], "2");
    assert_eq!(r.headers["x-next-page"], "3");
    assert_eq!(r.headers["x-prev-page"], "1");
    let link = r.headers[header::LINK].to_str().unwrap();
    assert!(link.contains(&format!("<http://localhost/api/v4/personal_access_tokens?user_id={}&page=3&per_page=2>; rel=\"next\"", u.id)), "{link}");
    assert_eq!(body(&r).as_array().unwrap().len(), 2);

    let r = Rest::get(
        &app,
        "/api/v4/personal_access_tokens?search=DEPLOY&state=active",
    )
    .token(&secret)
    .send()
    .await;
    let found = body(&r);
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // Oldest first, as GitLab orders by id.
    assert_eq!(names, ["deploy 0", "deploy 1", "deploy 2", "deploy 3"]);
    let r = Rest::get(&app, "/api/v4/personal_access_tokens?revoked=true")
        .token(&secret)
        .send()
        .await;
    let v = body(&r);
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], "gone");
    assert_eq!(v[0]["active"], false);
    assert_eq!(v[0]["revoked"], true);
    assert_eq!(v[0]["expires_at"], EXPIRES);
    assert_eq!(v[0]["created_at"], "2026-01-01T00:00:40.000Z");
    assert!(v[0].get("token").is_none());

    // The admin without user_id sees everyone's; bad parameters name themselves.
    let r = Rest::get(&app, "/api/v4/personal_access_tokens")
        .token(&secret)
        .send()
        .await;
    assert_eq!(r.headers["x-total"], "7");
    for (bad, error) in [
        // GitLab's `verify_pagination_params!` and Grape's `except_values`
        ("page=0", "page does not have a valid value"),
        ("page=-2", "page does not have a valid value"),
        ("page=two", "page is invalid"),
        ("per_page=0", "per_page has a value not allowed"),
        ("per_page=-1", "per_page does not have a valid value"),
        ("state=sideways", "state does not have a valid value"),
        ("revoked=perhaps", "revoked is invalid"),
        ("created_after=soon", "created_after is invalid"),
    ] {
        let r = Rest::get(&app, format!("/api/v4/personal_access_tokens?{bad}"))
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(body(&r)["error"], error);
    }
    // Above 100, a page is 100 long (GitLab's cap), not refused.
    let r = Rest::get(&app, "/api/v4/personal_access_tokens?per_page=500")
        .token(&secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["x-per-page"], "100");
});

both_backends!(users_see_only_their_own_tokens, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let bob = register(&st, "bob").await;
    let roots = crate::server::tests::support::api_token(&st, &root, "r", EXPIRES).await;
    let bobs = token_for(&st, &bob, &["api"]).await;
    let path = format!("/api/v4/personal_access_tokens/{}", roots.token.id);
    // GitLab: 401 to read another user's token, 400 to revoke it.
    for (method, status, message) in [
        ("GET", StatusCode::UNAUTHORIZED, "401 Unauthorized"),
        ("DELETE", StatusCode::BAD_REQUEST, "400 Bad request"),
    ] {
        let r = Rest::method(&app, method, &path).token(&bobs).send().await;
        assert_eq!(r.status, status, "{method}");
        assert_eq!(body(&r), json!({ "message": message }));
    }
    let r = Rest::get(
        &app,
        format!("/api/v4/personal_access_tokens?user_id={}", root.id),
    )
    .token(&bobs)
    .send()
    .await;
    // GitLab: 401 for a non-administrator filtering by someone else.
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = Rest::get(&app, "/api/v4/personal_access_tokens")
        .token(&bobs)
        .send()
        .await;
    assert_eq!(r.headers["x-total"], "1");
    // The admin may.
    let r = Rest::get(&app, &path).token(&roots.secret).send().await;
    assert_eq!(r.status, StatusCode::OK);
});

both_backends!(self_revoke_and_rotation, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let first = token_for(&st, &u, &["api", "read_user"]).await;

    let r = Rest::get(&app, "/api/v4/personal_access_tokens/self")
        .token(&first)
        .send()
        .await;
    let old = body(&r);
    assert_eq!(old["scopes"], json!(["api", "read_user"]));

    let r = Rest::post(&app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&first)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rotated = body(&r);
    let second = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(rotated["name"], old["name"]);
    assert_eq!(rotated["scopes"], old["scopes"]);
    assert_eq!(rotated["expires_at"], "2026-01-08", "a week by default");
    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&second)
            .send()
            .await
            .status,
        StatusCode::OK
    );

    let id = rotated["id"].as_i64().unwrap();
    let r = Rest::post(&app, format!("/api/v4/personal_access_tokens/{id}/rotate"))
        .token(&second)
        .json(json!({"expires_at": "2026-03-01"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let third = body(&r)["token"].as_str().unwrap().to_owned();
    assert_eq!(body(&r)["expires_at"], "2026-03-01");
    let r = Rest::post(&app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&third)
        .json(json!({"expires_at": "2030-01-01"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let message = body(&r)["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("400 Bad request - ") && message.contains("365 days"),
        "{message}"
    );

    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&third)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    // A stale copy of a rotated-away token is a plain 401 anywhere but at a
    // rotation endpoint: the newest token of its family keeps working.
    for _ in 0..2 {
        assert_eq!(
            Rest::get(&app, "/api/v4/user")
                .token(&first)
                .send()
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&third)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    // Presented to rotate, it revokes the whole family (GitLab's reuse
    // detection): someone holds a copy they should not.
    let r = Rest::post(&app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&first)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&third)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

    let last = token_for(&st, &u, &["api"]).await;
    let r = Rest::delete(&app, "/api/v4/personal_access_tokens/self")
        .token(&last)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(&last)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
});

both_backends!(admins_create_personal_and_impersonation_tokens, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let bob = register(&st, "bob").await;
    let admin = token_for(&st, &root, &["api"]).await;
    let bobs = token_for(&st, &bob, &["api"]).await;

    let path = format!("/api/v4/users/{}/personal_access_tokens", bob.id);
    let r = Rest::post(&app, &path)
        .token(&admin)
        .json(json!({"name": "for bob", "scopes": ["read_api"], "expires_at": EXPIRES}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(body(&r)["user_id"], bob.id.get());
    let r = Rest::post(&app, &path)
        .token(&bobs)
        .json(json!({"name": "x", "scopes": ["api"]}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = Rest::post(&app, &path)
        .token(&admin)
        .json(json!({"scopes": ["api"]}))
        .send()
        .await;
    assert_eq!(
        (r.status, body(&r)),
        (StatusCode::BAD_REQUEST, json!({"error": "name is missing"}))
    );
    let r = Rest::post(&app, &path)
        .token(&admin)
        .json(json!({"name": "x"}))
        .send()
        .await;
    assert_eq!(body(&r), json!({"error": "scopes is missing"}));
    // Grape lists every missing parameter (users_spec: 'returns error if
    // required attributes are missing').
    let r = Rest::post(&app, &path)
        .token(&admin)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(
        (r.status, body(&r)),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "name is missing, scopes is missing"})
        )
    );
    // A token the lifetime limit refuses is 422 here, as GitLab's
    // `PersonalAccessTokens::CreateService` answers.
    let r = Rest::post(&app, &path)
        .token(&admin)
        .json(json!({"name": "x", "scopes": ["api"], "expires_at": "2030-01-01"}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        body(&r)["message"].as_str().unwrap().contains("at most"),
        "{}",
        r.body
    );
    let r = Rest::post(&app, "/api/v4/users/999/personal_access_tokens")
        .token(&admin)
        .json(json!({"name": "x", "scopes": ["api"]}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let imp_path = format!("/api/v4/users/{}/impersonation_tokens", bob.id);
    let r = Rest::post(&app, &imp_path)
        .token(&admin)
        .json(json!({"name": "support", "scopes": ["api"], "expires_at": EXPIRES}))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let imp = body(&r);
    assert_eq!(imp["impersonation"], true);
    let imp_secret = imp["token"].as_str().unwrap();
    let r = Rest::get(&app, "/api/v4/user")
        .token(imp_secret)
        .send()
        .await;
    assert_eq!(
        body(&r)["username"],
        "bob",
        "an impersonation token acts as the user"
    );
    let stored = db_tokens::find(&st.db, TokenId(imp["id"].as_i64().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.created_by, Some(root.id));

    // Not on the user's own list, not revocable by them.
    let r = Rest::get(&app, "/api/v4/personal_access_tokens")
        .token(&bobs)
        .send()
        .await;
    assert!(!r.body.contains("support"));
    let r = Rest::delete(
        &app,
        format!("/api/v4/personal_access_tokens/{}", imp["id"]),
    )
    .token(&bobs)
    .send()
    .await;
    // GitLab: a user cannot revoke an impersonation token (400).
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        Rest::get(&app, &imp_path).token(&bobs).send().await.status,
        StatusCode::FORBIDDEN
    );

    let r = Rest::get(&app, format!("{imp_path}?state=active"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(body(&r).as_array().unwrap().len(), 1);
    let one = format!("{imp_path}/{}", imp["id"]);
    assert_eq!(
        Rest::get(&app, &one).token(&admin).send().await.status,
        StatusCode::OK
    );
    assert_eq!(
        Rest::delete(&app, &one).token(&admin).send().await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        Rest::get(&app, "/api/v4/user")
            .token(imp_secret)
            .send()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let r = Rest::get(&app, format!("{imp_path}?state=inactive"))
        .token(&admin)
        .send()
        .await;
    assert_eq!(body(&r).as_array().unwrap().len(), 1);
});

both_backends!(last_use_is_recorded_at_most_every_ten_minutes, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let created = crate::server::tests::support::api_token(&st, &u, "t", EXPIRES).await;
    let id = created.token.id;
    let stored = || async { db_tokens::find(&st.db, id).await.unwrap().unwrap() };
    let settle = || tokio::time::sleep(std::time::Duration::from_millis(200));

    for _ in 0..20 {
        Rest::get(&app, "/api/v4/user")
            .token(&created.secret)
            .send()
            .await;
    }
    settle().await;
    assert_eq!(stored().await.last_used_at, Some(T0));
    clock.advance(599);
    Rest::get(&app, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await;
    settle().await;
    assert_eq!(
        stored().await.last_used_at,
        Some(T0),
        "not again within ten minutes"
    );
    clock.advance(1);
    Rest::get(&app, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await;
    settle().await;
    assert_eq!(stored().await.last_used_at, Some(T0 + 600));
});

both_backends!(version_and_unknown_routes, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let u = register(&st, "root").await;
    let secret = token_for(&st, &u, &["read_api"]).await;
    let r = Rest::get(&app, "/api/v4/version")
        .token(&secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(body(&r)["version"], crate::server::api::GITLAB_VERSION);
    assert_eq!(
        Rest::get(&app, "/api/v4/version").send().await.status,
        StatusCode::UNAUTHORIZED
    );
    // GitLab's version_spec: a `read_user` token may ask too, a
    // `read_repository` one may not.
    let read_user = token_for(&st, &u, &["read_user"]).await;
    let r = Rest::get(&app, "/api/v4/version")
        .token(&read_user)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let read_repository = token_for(&st, &u, &["read_repository"]).await;
    let r = Rest::get(&app, "/api/v4/version")
        .token(&read_repository)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = Rest::get(&app, "/api/v4/nothing/here")
        .token(&secret)
        .send()
        .await;
    assert_eq!(
        (r.status, body(&r)),
        (StatusCode::NOT_FOUND, json!({"message": "404 Not Found"}))
    );
});

both_backends!(revocation_reaches_other_instances_within_a_second, |t| {
    let clock = ManualClock::at(T0);
    // Two instances on one database, each with its own token cache.
    // Two instances on one database and one clock.
    let st_a = state(&t, &clock);
    let app_a = app(&t, st_a.clone()).await;
    let st_b = state(&t, &clock);
    let app_b = app(&t, st_b.clone()).await;
    assert!(!std::sync::Arc::ptr_eq(
        &st_a.token_cache,
        &st_b.token_cache
    ));
    let u = register(&st_a, "root").await;
    let created = tokens::create(&st_a, &Actor::user(&u), &u, "shared", EXPIRES, &["api"])
        .await
        .unwrap();
    let ok = |r: &crate::server::tests::support::Reply| r.status == StatusCode::OK;
    assert!(ok(&Rest::get(&app_a, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await));
    assert!(ok(&Rest::get(&app_b, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await));

    let path = format!("/api/v4/personal_access_tokens/{}", created.token.id);
    let r = Rest::delete(&app_a, &path)
        .token(&created.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    // The instance that revoked refuses the very next request...
    let r = Rest::get(&app_a, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // ...the other may still trust its copy for the rest of this second...
    assert_eq!(st_b.token_cache.len(), 1);
    // ...and refuses once a second has passed.
    clock.advance(1);
    let r = Rest::get(&app_b, "/api/v4/user")
        .token(&created.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(
    a_cached_token_skips_the_database_for_at_most_a_second,
    |t| {
        let Scenario { clock, st, app } = Scenario::new(&t).await;
        let u = register(&st, "root").await;
        let created = crate::server::tests::support::api_token(&st, &u, "fast", EXPIRES).await;
        let get = || {
            Rest::get(&app, "/api/v4/user")
                .token(&created.secret)
                .send()
        };
        assert_eq!(get().await.status, StatusCode::OK);
        // Remove the row behind the server's back: the cache answers this second
        // (no query was made), the database decides the next.
        sqlx::query("DELETE FROM personal_access_tokens")
            .execute(&st.db.pool)
            .await
            .unwrap();
        assert_eq!(get().await.status, StatusCode::OK);
        clock.advance(1);
        assert_eq!(get().await.status, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(admin_mode_requires_the_admin_mode_scope, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let bob = register(&st, "bob").await;
    let plain = token_for(&st, &root, &["api", "sudo"]).await;
    let moded = token_for(&st, &root, &["api", "sudo", "admin_mode"]).await;
    let path = format!("/api/v4/users/{}/personal_access_tokens", bob.id);
    let new_token = || json!({ "name": "by-admin", "scopes": ["read_api"] });

    // Off (the default): an administrator's api token is enough.
    let r = Rest::post(&app, &path)
        .token(&plain)
        .json(new_token())
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    crate::server::tests::support::change_settings(&st, |s| s.admin_mode = true).await;
    let r = Rest::post(&app, &path)
        .token(&plain)
        .json(new_token())
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = Rest::post(&app, &path)
        .token(&moded)
        .json(new_token())
        .send()
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Without admin_mode the token sees what anyone sees, and cannot sudo.
    let r = Rest::get(&app, format!("/api/v4/users/{}", bob.id))
        .token(&plain)
        .send()
        .await;
    assert!(body(&r).get("email").is_none(), "{}", r.body);
    let r = Rest::get(&app, format!("/api/v4/users/{}", bob.id))
        .token(&moded)
        .send()
        .await;
    assert_eq!(body(&r)["email"], "bob@example.com");
    let mut c = Client::new(app.clone());
    let req = axum::http::Request::get("/api/v4/user")
        .header(header::HOST, "localhost")
        .header("PRIVATE-TOKEN", plain.as_str())
        .header("Sudo", "bob")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
});

/// Everything logged while it is alive, at every level.
struct CapturedLogs {
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn start() -> Self {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().unwrap()).into_owned()
    }
}

both_backends!(
    private_token_in_a_form_or_json_body_and_never_in_a_log,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let root = register(&st, "root").await;
        let secret = token_for(&st, &root, &["api"]).await;
        let logs = CapturedLogs::start();
        let mut c = Client::new(app.clone());
        let post = |content_type: &str, body: String| {
            axum::http::Request::post("/api/v4/projects")
                .header(header::HOST, "localhost")
                .header(header::CONTENT_TYPE, content_type)
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let form = format!("name=from-form&private_token={secret}");
        let r = c
            .send(post("application/x-www-form-urlencoded", form))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(body(&r)["path"], "from-form");
        let json_body = json!({ "name": "from-json", "private_token": secret }).to_string();
        let r = c.send(post("application/json", json_body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = c
            .send(post(
                "application/x-www-form-urlencoded",
                "name=x&private_token=fkpat-wrong".into(),
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = Rest::get(&app, format!("/api/v4/user?private_token={secret}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let logged = logs.text();
        assert!(
            logged.contains("project created"),
            "logs were captured: {logged}"
        );
        assert!(
            !logged.contains(&secret),
            "a token reached the log: {logged}"
        );
        assert!(
            !logged.contains(&secret[6..30]),
            "part of a token reached the log"
        );
    }
);

both_backends!(
    lists_longer_than_ten_thousand_are_not_counted_to_the_end,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let root = register(&st, "root").await;
        let admin = token_for(&st, &root, &["api"]).await;
        // 10,050 more tokens, written in one statement.
        sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10050) \
         INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, created_at, expires_at) \
         SELECT $1, 'bulk', 'digest-' || i, 'api', 0, 1800000000 FROM n",
    )
    .bind(root.id)
    .execute(&st.db.pool)
    .await
    .unwrap();
        let r = Rest::get(&app, "/api/v4/personal_access_tokens?per_page=20&page=2")
            .token(&admin)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(body(&r).as_array().unwrap().len(), 20);
        let h = |name: &str| {
            r.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(h("x-total"), None, "GitLab leaves totals out above 10,000");
        assert_eq!(h("x-total-pages"), None);
        assert_eq!(h("x-next-page").as_deref(), Some("3"));
        let link = h("link").unwrap();
        assert!(
            link.contains("rel=\"next\"") && !link.contains("rel=\"last\""),
            "{link}"
        );

        // The very last page: no next one, whatever the count did not say.
        let r = Rest::get(&app, "/api/v4/personal_access_tokens?per_page=100&page=101")
            .token(&admin)
            .send()
            .await;
        assert_eq!(body(&r).as_array().unwrap().len(), 51);
        assert_eq!(r.headers.get("x-next-page").unwrap(), "");
        // Short lists keep their exact totals.
        let r = Rest::get(&app, "/api/v4/users").token(&admin).send().await;
        assert_eq!(r.headers.get("x-total").unwrap(), "1");
    }
);

both_backends!(keyset_pagination_links_each_next_page_until_the_last, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let admin = token_for(&st, &root, &["api"]).await;
    for _ in 0..4 {
        token_for(&st, &root, &["read_api"]).await;
    }
    // Five tokens, two per page, oldest first; the links carry the
    // filters but never the token.
    let mut path = format!(
            "/api/v4/personal_access_tokens?pagination=keyset&order_by=id&sort=asc&per_page=2&private_token={admin}"
        );
    let mut pages = Vec::new();
    loop {
        let r = Rest::get(&app, &path).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.headers.get("x-total"), None);
        assert_eq!(r.headers.get("x-per-page").unwrap(), "2");
        let ids: Vec<i64> = body(&r)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        pages.push(ids.clone());
        let Some(link) = r.headers.get(header::LINK) else {
            break;
        };
        let link = link.to_str().unwrap();
        assert!(!link.contains("private_token"), "{link}");
        let expected = format!(
                "<http://localhost/api/v4/personal_access_tokens?order_by=id&pagination=keyset&per_page=2&sort=asc&id_after={}>; rel=\"next\"",
                ids.last().unwrap()
            );
        assert_eq!(link, expected);
        path = format!(
            "{}&private_token={admin}",
            link.trim_start_matches("<http://localhost")
                .split('>')
                .next()
                .unwrap()
        );
    }
    assert_eq!(pages, [vec![1, 2], vec![3, 4], vec![5]]);
    // Oldest first by default, as GitLab orders by id; newest first with
    // `sort=desc`, whose cursor is then `id_before`.
    for (query, expected, cursor) in [
        ("", [1, 2, 3], "id_after=3"),
        ("&sort=desc", [5, 4, 3], "id_before=3"),
    ] {
        let r = Rest::get(
            &app,
            format!("/api/v4/personal_access_tokens?pagination=keyset&per_page=3{query}"),
        )
        .token(&admin)
        .send()
        .await;
        let ids: Vec<i64> = body(&r)
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, expected);
        let link = r.headers[header::LINK].to_str().unwrap();
        assert!(
            link.ends_with(&format!("{cursor}>; rel=\"next\"")),
            "{link}"
        );
    }
    // What keyset pagination cannot do is refused, not ignored.
    for bad in [
        "pagination=pages",
        "pagination=keyset&order_by=name",
        "pagination=keyset&sort=up",
    ] {
        let r = Rest::get(&app, format!("/api/v4/personal_access_tokens?{bad}"))
            .token(&admin)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.body);
    }
});

both_backends!(
    get_user_matches_gitlabs_public_api_v4_user_public_schema,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let root = register(&st, "root").await;
        let alice = register(&st, "alice").await;
        let secret = token_for(&st, &alice, &["read_user"]).await;
        let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
        let user = body(&r);
        // spec/fixtures/api/schemas/public_api/v4/user/public.json: every
        // required key, of its type.
        let strings = [
            "username",
            "email",
            "name",
            "state",
            "avatar_url",
            "web_url",
            "created_at",
            "bio",
            "skype",
            "linkedin",
            "twitter",
            "website_url",
            "confirmed_at",
        ];
        for key in strings {
            assert!(user[key].is_string(), "{key}: {user}");
        }
        for key in [
            "location",
            "organization",
            "last_sign_in_at",
            "current_sign_in_at",
        ] {
            assert!(user.get(key).is_some(), "{key} missing: {user}");
        }
        for key in ["id", "color_scheme_id", "projects_limit"] {
            assert!(user[key].is_i64(), "{key}: {user}");
        }
        for key in [
            "can_create_group",
            "can_create_project",
            "two_factor_enabled",
            "external",
        ] {
            assert!(user[key].is_boolean(), "{key}: {user}");
        }
        assert_eq!(user["identities"], json!([]));
        assert_eq!(user["state"], "active");
        assert!(user["email"].as_str().unwrap().contains('@'));
        assert_eq!(user["avatar_url"], "http://localhost/no_avatar.svg");
        assert_eq!(user.get("is_admin"), None, "for administrators only");
        // An administrator sees it, on themself and on others.
        let admin = token_for(&st, &root, &["api"]).await;
        let r = Rest::get(&app, "/api/v4/user").token(&admin).send().await;
        assert_eq!(body(&r)["is_admin"], true);
        let r = Rest::get(&app, format!("/api/v4/users/{}", alice.id))
            .token(&admin)
            .send()
            .await;
        assert_eq!(body(&r)["is_admin"], false);
    }
);

// Ported from GitLab's users_spec.rb, `GET /users` "when unauthenticated".
both_backends!(get_users_when_unauthenticated, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    register(&st, "root").await;
    let user = register(&st, "alice").await;
    // "returns authorization error when the `username` parameter is not passed"
    let r = Rest::get(&app, "/api/v4/users").send().await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // "returns the user when a valid `username` parameter is passed (case insensitive)"
    for name in ["alice", "ALICE"] {
        let r = Rest::get(&app, format!("/api/v4/users?username={name}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let list = body(&r);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], user.id.get());
        assert_eq!(list[0]["username"], "alice");
        assert_eq!(list[0].get("email"), None, "the basic entity only");
    }
    // "returns an empty response when an invalid `username` parameter is passed"
    let r = Rest::get(&app, "/api/v4/users?username=invalid")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(body(&r), json!([]));
    // A token that is presented is still checked.
    let r = Rest::get(&app, "/api/v4/users?username=alice")
        .token("fkpat-not-a-token")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

// GitLab's projects API answers public projects without a token.
both_backends!(public_projects_are_listed_and_shown_without_a_token, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let admin = token_for(&st, &root, &["api"]).await;
    for (path, visibility) in [("open", "public"), ("closed", "private")] {
        let r = Rest::post(&app, "/api/v4/projects")
            .token(&admin)
            .json(json!({"name": path, "path": path, "visibility": visibility}))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = Rest::get(&app, "/api/v4/projects").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<String> = body(&r)
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["open"]);
    let r = Rest::get(&app, "/api/v4/projects/root%2Fopen").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let r = Rest::get(&app, "/api/v4/projects/root%2Fclosed")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The owner sees both.
    let r = Rest::get(&app, "/api/v4/projects")
        .token(&admin)
        .send()
        .await;
    assert_eq!(body(&r).as_array().unwrap().len(), 2);
});

// GitLab's `GET /users`: newest first; `order_by` and `sort` checked for
// everyone and followed for administrators; `blocked` and `active`.
both_backends!(users_list_orders_sorts_and_filters_as_gitlab, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let bob = register(&st, "bob").await;
    let amy = register(&st, "amy").await;
    let admin = token_for(&st, &root, &["api"]).await;
    let bobs = token_for(&st, &bob, &["read_user"]).await;
    change_user(&st, &Actor::user(&root), amy.id, UserChange::Block)
        .await
        .unwrap();
    let names = |token: String, query: &'static str| {
        let app = app.clone();
        async move {
            let r = Rest::get(&app, format!("/api/v4/users?{query}"))
                .token(&token)
                .send()
                .await;
            assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
            body(&r)
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names(admin.clone(), "").await, ["amy", "bob", "root"]);
    assert_eq!(
        names(admin.clone(), "sort=asc").await,
        ["root", "bob", "amy"]
    );
    assert_eq!(
        names(admin.clone(), "order_by=username&sort=asc").await,
        ["amy", "bob", "root"]
    );
    assert_eq!(
        names(admin.clone(), "order_by=name&sort=desc").await,
        ["root", "bob", "amy"]
    );
    assert_eq!(names(admin.clone(), "blocked=true").await, ["amy"]);
    assert_eq!(names(admin.clone(), "active=true").await, ["bob", "root"]);
    // Others get GitLab's default order whatever they ask.
    assert_eq!(
        names(bobs.clone(), "sort=asc").await,
        ["amy", "bob", "root"]
    );
    for (query, error) in [
        ("order_by=email", "order_by does not have a valid value"),
        ("sort=sideways", "sort does not have a valid value"),
        ("blocked=maybe", "blocked is invalid"),
    ] {
        let r = Rest::get(&app, format!("/api/v4/users?{query}"))
            .token(&bobs)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body(&r)["error"], error);
    }
});
