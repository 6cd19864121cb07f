//! Where tokens are used from (issue 22): allow lists on every surface,
//! refusals told once per address per day, first use from a new address
//! mailed and audited; and rotation with an overlap window.

use super::support::{both_backends, register, Rest, Scenario};
use crate::domain::ids::TokenId;
use crate::server::db::outbox;
use crate::server::db::users::User;
use crate::server::services::audit::{self, Actor};
use crate::server::services::tokens::{self, Issuer, Request};
use crate::server::state::AppState;
use base64::Engine;
use serde_json::{json, Value};

/// A token of `user`'s with `scopes` that may be used from `allowed_ips`.
async fn token_from(st: &AppState, user: &User, allowed_ips: &str) -> (TokenId, String) {
    let request = Request {
        name: "fleet",
        description: "",
        expires_on: "2026-02-01",
        scopes: &["api", "read_repository"],
        allowed_ips,
        projects: "",
    };
    let created = tokens::issue(st, &Actor::user(user), user, Issuer::Owner, request)
        .await
        .unwrap();
    (created.token.id, created.secret)
}

async fn subjects(st: &AppState) -> Vec<String> {
    let (mails, _) = outbox::list(&st.db, 0, 100).await.unwrap();
    mails.into_iter().map(|m| m.subject).collect()
}

async fn actions(st: &AppState, action: &str) -> Vec<crate::server::db::audit::AuditEvent> {
    let (events, _) = audit::list(st, &Default::default(), 0, 100).await.unwrap();
    events.into_iter().filter(|e| e.action == action).collect()
}

const REFUSED: &str = "A request with your personal access token was refused";
const NEW_ADDRESS: &str = "Your personal access token was used from a new address";

both_backends!(a_token_works_only_from_its_allowed_addresses, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, secret) = token_from(&s.st, &alice, "192.0.2.0/24, 198.51.100.7").await;
    let user = |ip: [u8; 4]| {
        Rest::get(&s.app, "/api/v4/user")
            .token(&secret)
            .sent_from(ip)
            .send()
    };
    assert_eq!(user([192, 0, 2, 200]).await.status, 200);
    assert_eq!(user([198, 51, 100, 7]).await.status, 200);
    // From elsewhere: a wrong token's answer.
    let refused = user([203, 0, 113, 5]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(
        serde_json::from_str::<Value>(&refused.body).unwrap(),
        json!({ "message": "401 Unauthorized" })
    );
    // Without a known address, a token with a list is refused too.
    let unknown = Rest::get(&s.app, "/api/v4/user")
        .token(&secret)
        .send()
        .await;
    assert_eq!(unknown.status, 401);

    // Refused again that day from the same address: one audit row, one
    // mail; another address is told of separately; the next day again.
    assert_eq!(user([203, 0, 113, 5]).await.status, 401);
    assert_eq!(user([203, 0, 113, 6]).await.status, 401);
    let refusals = actions(&s.st, "token_refused_from_address").await;
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert!(refusals.iter().all(|e| e.token_id == Some(id)));
    assert!(
        refusals[1]
            .details
            .contains("from 203.0.113.5, not in 192.0.2.0/24 198.51.100.7"),
        "{:?}",
        refusals[1].details
    );
    let mails = subjects(&s.st).await;
    assert_eq!(
        mails.iter().filter(|m| *m == REFUSED).count(),
        2,
        "{mails:?}"
    );
    s.clock.advance(86_400);
    assert_eq!(user([203, 0, 113, 5]).await.status, 401);
    assert_eq!(actions(&s.st, "token_refused_from_address").await.len(), 3);

    // The API lists the allow list (a Forgekey extension, only when set).
    let listed = Rest::get(&s.app, "/api/v4/personal_access_tokens/self")
        .token(&secret)
        .sent_from([192, 0, 2, 1])
        .send()
        .await;
    let body: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(body["allowed_ips"], json!(["192.0.2.0/24", "198.51.100.7"]));
    let (_, anywhere) = token_from(&s.st, &alice, "").await;
    let plain = Rest::get(&s.app, "/api/v4/personal_access_tokens/self")
        .token(&anywhere)
        .send()
        .await;
    let body: Value = serde_json::from_str(&plain.body).unwrap();
    assert!(body.get("allowed_ips").is_none(), "{body}");
});

both_backends!(git_over_http_honours_the_allow_list, |t| {
    use crate::server::services::projects;
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    projects::create(&s.st, &Actor::user(&alice), &alice, "repo", "", "private")
        .await
        .unwrap();
    let (_, secret) = token_from(&s.st, &alice, "10.1.0.0/16").await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{secret}"));
    let refs = |ip: [u8; 4]| {
        Rest::get(&s.app, "/alice/repo.git/info/refs?service=git-upload-pack")
            .header("authorization", format!("Basic {basic}"))
            .sent_from(ip)
            .send()
    };
    assert_eq!(refs([10, 1, 2, 3]).await.status, 200);
    let refused = refs([10, 2, 0, 1]).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(refused.headers.contains_key("www-authenticate"));
    assert_eq!(actions(&s.st, "token_refused_from_address").await.len(), 1);
});

both_backends!(tokens_are_created_with_an_allow_list_everywhere, |t| {
    let s = Scenario::new(&t).await;
    let root = register(&s.st, "root").await;
    let (_, admin) = token_from(&s.st, &root, "").await;
    // The API: `allowed_ips[]` or one comma-separated value; a bad entry
    // is a 422 naming it (as any invalid field).
    let created = Rest::post(&s.app, format!("/api/v4/users/{}/personal_access_tokens", root.id))
        .token(&admin)
        .json(json!({ "name": "ci", "scopes": ["read_api"], "allowed_ips": ["2001:db8::/32", "192.0.2.1"] }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let body: Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(body["allowed_ips"], json!(["2001:db8::/32", "192.0.2.1"]));
    let bad = Rest::post(
        &s.app,
        format!("/api/v4/users/{}/personal_access_tokens", root.id),
    )
    .token(&admin)
    .json(json!({ "name": "ci", "scopes": ["read_api"], "allowed_ips": "10.0.0.1/8" }))
    .send()
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body
            .contains("10.0.0.1/8 is not a network address: did you mean 10.0.0.0/8?"),
        "{}",
        bad.body
    );
    // A rotation keeps the list.
    let id = body["id"].as_i64().unwrap();
    let rotated = Rest::post(
        &s.app,
        format!("/api/v4/personal_access_tokens/{id}/rotate"),
    )
    .token(&admin)
    .send()
    .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let body: Value = serde_json::from_str(&rotated.body).unwrap();
    assert_eq!(body["allowed_ips"], json!(["2001:db8::/32", "192.0.2.1"]));
});

both_backends!(the_first_use_from_each_new_address_is_mailed_once, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, secret) = token_from(&s.st, &alice, "").await;
    let user = |ip: [u8; 4]| {
        Rest::get(&s.app, "/api/v4/user")
            .token(&secret)
            .sent_from(ip)
            .send()
    };
    for ip in [
        [192, 0, 2, 1],
        [192, 0, 2, 1],
        [192, 0, 2, 2],
        [192, 0, 2, 1],
    ] {
        assert_eq!(user(ip).await.status, 200);
    }
    let seen = actions(&s.st, "token_used_from_new_address").await;
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen.iter().all(|e| e.token_id == Some(id)));
    assert_eq!(seen[0].details, "first use from 192.0.2.2");
    assert_eq!(seen[0].actor_name, "alice");
    let (mails, _) = outbox::list(&s.st.db, 0, 100).await.unwrap();
    let told: Vec<_> = mails.iter().filter(|m| m.subject == NEW_ADDRESS).collect();
    assert_eq!(told.len(), 2);
    assert!(
        told[0]
            .body
            .contains("\"fleet\" was used from 192.0.2.2 at"),
        "{}",
        told[0].body
    );
    assert!(told[0]
        .body
        .contains("/-/user_settings/personal_access_tokens"));
    assert!(!told[0].body.contains(&secret));

    // Remembered in the database, not only in this instance's memory: a
    // fresh instance over the same database mails nobody again; nor does
    // a rotation (its successor is the same token to its owner).
    let other = crate::server::tests::support::state(&t, &s.clock);
    let other_app = crate::server::tests::support::app(&t, other.clone()).await;
    let again = Rest::get(&other_app, "/api/v4/user")
        .token(&secret)
        .sent_from([192, 0, 2, 2])
        .send()
        .await;
    assert_eq!(again.status, 200);
    let old = crate::server::db::tokens::find(&s.st.db, id)
        .await
        .unwrap()
        .unwrap();
    let successor = tokens::rotate(&s.st, &Actor::user(&alice), &old, None)
        .await
        .unwrap();
    let r = Rest::get(&other_app, "/api/v4/user")
        .token(&successor.secret)
        .sent_from([192, 0, 2, 1])
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(actions(&s.st, "token_used_from_new_address").await.len(), 2);

    // A token tried from many addresses in a day: every one on the record,
    // at most ten mails.
    for last in 10..30u8 {
        let r = Rest::get(&s.app, "/api/v4/user")
            .token(&successor.secret)
            .sent_from([203, 0, 113, last])
            .send()
            .await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(
        actions(&s.st, "token_used_from_new_address").await.len(),
        22
    );
    let mails = subjects(&s.st).await;
    assert_eq!(
        mails.iter().filter(|m| *m == NEW_ADDRESS).count(),
        10,
        "{mails:?}"
    );
});

both_backends!(a_rotation_may_keep_the_old_secret_for_an_overlap, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, old) = token_from(&s.st, &alice, "").await;
    let works = |secret: String| {
        let app = s.app.clone();
        async move {
            Rest::get(&app, "/api/v4/user")
                .token(&secret)
                .send()
                .await
                .status
        }
    };
    // Out of bounds: refused, nothing rotated.
    let too_long = Rest::post(&s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&old)
        .json(json!({ "overlap_minutes": 1441 }))
        .send()
        .await;
    assert_eq!(too_long.status, 400, "{}", too_long.body);
    assert!(
        too_long.body.contains("from 0 to 1440"),
        "{}",
        too_long.body
    );

    let rotated = Rest::post(&s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&old)
        .json(json!({ "overlap_minutes": 60 }))
        .send()
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new = serde_json::from_str::<Value>(&rotated.body).unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Inside the hour both work; the old one says until when, and is
    // listed as revoked (by its rotation) as GitLab lists rotated tokens.
    assert_eq!(works(old.clone()).await, 200);
    assert_eq!(works(new.clone()).await, 200);
    let listed = Rest::get(&s.app, format!("/api/v4/personal_access_tokens/{id}"))
        .token(&new)
        .send()
        .await;
    let body: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(body["revoked"], true);
    assert_eq!(body["works_until"], "2026-01-01T01:00:00.000Z");
    // Rotating the old one again inside the window is refused, and the
    // family stays: it is not a reuse.
    let again = Rest::post(&s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&old)
        .send()
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(works(new.clone()).await, 200);
    let mails = subjects(&s.st).await;
    assert_eq!(mails[0], "Your personal access token was rotated");
    let (outbox, _) = outbox::list(&s.st.db, 0, 1).await.unwrap();
    assert!(
        outbox[0]
            .body
            .contains("keeps working until Jan 1, 2026 01:00:00 UTC"),
        "{}",
        outbox[0].body
    );

    // The hour over: the old secret is a rotated-away one (cached or not).
    s.clock.advance(3_600);
    assert_eq!(works(old.clone()).await, 401);
    assert_eq!(works(new.clone()).await, 200);
    // And presenting it to rotate now is a reuse: the family is revoked.
    let reuse = Rest::post(&s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&old)
        .send()
        .await;
    assert_eq!(reuse.status, 401, "{}", reuse.body);
    assert_eq!(works(new).await, 401);
});

both_backends!(revoking_ends_an_overlap_at_once, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, old) = token_from(&s.st, &alice, "").await;
    let token = crate::server::db::tokens::find(&s.st.db, id)
        .await
        .unwrap()
        .unwrap();
    let new = tokens::rotate_with_overlap(&s.st, &Actor::user(&alice), &token, None, 3_600)
        .await
        .unwrap();
    let user = |secret: &str| Rest::get(&s.app, "/api/v4/user").token(secret).send();
    assert_eq!(user(&old).await.status, 200);
    // A leak of the old secret during the window: revoking it ends it.
    let r = Rest::delete(&s.app, format!("/api/v4/personal_access_tokens/{id}"))
        .token(&new.secret)
        .send()
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(user(&old).await.status, 401);
    assert_eq!(user(&new.secret).await.status, 200);
    let revoked = actions(&s.st, "token_revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].token_id, Some(id));

    // So does a leak report naming the old secret of another overlap.
    let current = crate::server::db::tokens::find(&s.st.db, new.token.id)
        .await
        .unwrap()
        .unwrap();
    let newest = tokens::rotate_with_overlap(&s.st, &Actor::user(&alice), &current, None, 3_600)
        .await
        .unwrap();
    assert_eq!(user(&new.secret).await.status, 200);
    let r = Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
        .json(json!({ "tokens": [new.secret] }))
        .sent_from([198, 51, 100, 1])
        .send()
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(user(&new.secret).await.status, 401);
    assert_eq!(user(&newest.secret).await.status, 200);
    assert_eq!(actions(&s.st, "token_revoked_as_leaked").await.len(), 1);
});

both_backends!(an_edit_narrows_a_token_in_place_and_never_widens_it, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, secret) = token_from(&s.st, &alice, "192.0.2.0/24").await;
    let put = |body: Value| {
        Rest::method(
            &s.app,
            "PUT",
            format!("/api/v4/personal_access_tokens/{id}"),
        )
        .token(&secret)
        .sent_from([192, 0, 2, 7])
        .json(body)
        .send()
    };
    let edited = put(json!({
        "name": "fleet-ro",
        "scopes": ["read_repository"],
        "allowed_ips": "192.0.2.0/25",
        "expires_at": "2026-03-01"
    }))
    .await;
    assert_eq!(edited.status, 200, "{}", edited.body);
    let body: Value = serde_json::from_str(&edited.body).unwrap();
    assert_eq!(body["name"], "fleet-ro");
    assert_eq!(body["scopes"], json!(["read_repository"]));
    assert_eq!(body["allowed_ips"], json!(["192.0.2.0/25"]));
    assert_eq!(body["expires_at"], "2026-03-01");
    // At once, on the same secret: no more api scope, no more .200.
    let me = |ip: [u8; 4]| {
        Rest::get(&s.app, "/api/v4/user")
            .token(&secret)
            .sent_from(ip)
            .send()
    };
    assert_eq!(me([192, 0, 2, 7]).await.status, 403);
    assert_eq!(me([192, 0, 2, 200]).await.status, 401);
    let (events, _) = audit::list(&s.st, &Default::default(), 0, 10)
        .await
        .unwrap();
    let edit = events.iter().find(|e| e.action == "token_edited").unwrap();
    assert_eq!(edit.token_id, Some(id));
    assert_eq!(
        edit.details,
        "name: fleet → fleet-ro; expires: 2026-02-01 → 2026-03-01; scopes: api read_repository \
         → read_repository; allowed addresses: 192.0.2.0/24 → 192.0.2.0/25"
    );

    // Widening anything is refused, saying so, and nothing changes. (The
    // token may no longer write, so its owner's other token edits it.)
    let (_, admin) = token_from(&s.st, &alice, "").await;
    for (body, says) in [
        (json!({ "scopes": ["api"] }), "Scopes can only be removed"),
        (
            json!({ "allowed_ips": "192.0.2.0/24" }),
            "can only be narrowed",
        ),
        (json!({ "allowed_ips": "" }), "can only be narrowed"),
        (json!({ "expires_at": "2027-06-01" }), "expires_at"),
        (json!({ "name": " " }), "name"),
    ] {
        let r = Rest::method(
            &s.app,
            "PUT",
            format!("/api/v4/personal_access_tokens/{id}"),
        )
        .token(&admin)
        .json(body.clone())
        .send()
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body.contains(says), "{body}: {}", r.body);
    }
    let after = crate::server::db::tokens::find(&s.st.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.name, "fleet-ro");
    assert_eq!(after.allowed_ips.entries(), ["192.0.2.0/25"]);
    // Another user's token: as GitLab answers for one not theirs.
    let bob = register(&s.st, "bob").await;
    let (_, bobs) = token_from(&s.st, &bob, "").await;
    let r = Rest::method(
        &s.app,
        "PUT",
        format!("/api/v4/personal_access_tokens/{id}"),
    )
    .token(&bobs)
    .json(json!({ "name": "mine" }))
    .send()
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    // A revoked token is not edited.
    tokens::revoke_as(&s.st, &Actor::user(&alice), id)
        .await
        .unwrap();
    let r = Rest::method(
        &s.app,
        "PUT",
        format!("/api/v4/personal_access_tokens/{id}"),
    )
    .token(&admin)
    .json(json!({ "name": "back" }))
    .send()
    .await;
    assert!(
        r.status == 400 || r.status == 409,
        "{}: {}",
        r.status,
        r.body
    );
});

both_backends!(the_edit_page_saves_a_narrowed_token, |t| {
    use crate::server::tests::support::Client;
    use axum::http::StatusCode;
    let s = Scenario::new(&t).await;
    let mut c = Client::new(s.app.clone());
    c.sign_up("carol").await;
    let created = c
        .call(
            "create_token",
            &[
                ("name", "ci"),
                ("expires_at", "2026-02-01"),
                ("scopes[]", "api"),
                ("scopes[]", "read_user"),
                ("allowed_ips", "10.0.0.0/8"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = Client::json(&created)["token"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    async fn send(
        c: &mut crate::server::tests::support::Client,
        id: &str,
        scopes: &[&str],
        ips: &str,
    ) -> crate::server::tests::support::Reply {
        let mut form = vec![
            ("id", id),
            ("name", "ci-read"),
            ("description", "Reads"),
            ("expires_at", "2026-02-15"),
            ("allowed_ips", ips),
        ];
        form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
        c.call("edit_token", &form).await
    }
    // No scope left, or a wider list: refused by field.
    let r = send(&mut c, &id, &[], "10.1.0.0/16").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Select at least one scope."), "{}", r.body);
    let r = send(&mut c, &id, &["read_user"], "0.0.0.0/0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("can only be narrowed"), "{}", r.body);
    let r = send(&mut c, &id, &["read_user"], "10.1.0.0/16").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let saved = Client::json(&r);
    assert_eq!(saved["name"], "ci-read");
    assert_eq!(saved["description"], "Reads");
    assert_eq!(saved["scopes"], json!(["read_user"]));
    assert_eq!(saved["allowed_ips"], json!(["10.1.0.0/16"]));
});

both_backends!(a_token_restricted_to_projects_finds_no_other, |t| {
    use crate::server::services::projects;
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let bob = register(&s.st, "bob").await;
    let by = |u: &User| Actor::user(u);
    let site = projects::create(&s.st, &by(&alice), &alice, "site", "", "private")
        .await
        .unwrap();
    let tools = projects::create(&s.st, &by(&alice), &alice, "tools", "", "private")
        .await
        .unwrap();
    projects::create(&s.st, &by(&bob), &bob, "lib", "", "public")
        .await
        .unwrap();
    let issue = |projects: &'static str| {
        let st = s.st.clone();
        let alice = alice.clone();
        async move {
            let request = Request {
                name: "deploy",
                description: "",
                expires_on: "2026-02-01",
                scopes: &["api"],
                allowed_ips: "",
                projects,
            };
            tokens::issue(&st, &Actor::user(&alice), &alice, Issuer::Owner, request).await
        }
    };
    // A project that does not exist, or is someone else's private one: named.
    let Err(crate::server::services::ServiceError::Invalid(fields)) = issue("alice/nope").await
    else {
        panic!("an unknown project was taken");
    };
    assert_eq!(fields[0].field, "projects");
    assert_eq!(
        fields[0].message,
        "There is no project alice/nope that you can reach."
    );
    let created = issue("alice/site.git").await.unwrap();
    let secret = created.secret;

    // Git over HTTP: its project, and no other (not even a public one).
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("alice:{secret}"));
    for (path, want) in [("alice/site", 200), ("alice/tools", 404), ("bob/lib", 404)] {
        let r = Rest::get(
            &s.app,
            format!("/{path}.git/info/refs?service=git-upload-pack"),
        )
        .header("authorization", format!("Basic {basic}"))
        .sent_from([192, 0, 2, 1])
        .send()
        .await;
        assert_eq!(r.status, want, "{path}: {}", r.body);
    }
    // The project API lists and shows only its project, creates none.
    let listed = Rest::get(&s.app, "/api/v4/projects")
        .token(&secret)
        .send()
        .await;
    let body: Value = serde_json::from_str(&listed.body).unwrap();
    let ids: Vec<i64> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [site.id.get()]);
    let shown = |id: i64| {
        Rest::get(&s.app, format!("/api/v4/projects/{id}"))
            .token(&secret)
            .send()
    };
    assert_eq!(shown(site.id.get()).await.status, 200);
    assert_eq!(shown(tools.id.get()).await.status, 404);
    let made = Rest::post(&s.app, "/api/v4/projects")
        .token(&secret)
        .json(json!({ "name": "more" }))
        .send()
        .await;
    assert_eq!(made.status, 403, "{}", made.body);
    // GraphQL the same.
    let gql = Rest::post(&s.app, "/api/graphql")
        .token(&secret)
        .json(json!({ "query": "{ projects { nodes { fullPath } } tools: project(fullPath: \"alice/tools\") { id } }" }))
        .send()
        .await;
    let body: Value = serde_json::from_str(&gql.body).unwrap();
    assert_eq!(
        body["data"]["projects"]["nodes"],
        json!([{ "fullPath": "alice/site" }]),
        "{body}"
    );
    assert_eq!(body["data"]["tools"], Value::Null);
    // The API says which (a Forgekey extension); an edit may not add one.
    let me = Rest::get(&s.app, "/api/v4/personal_access_tokens/self")
        .token(&secret)
        .send()
        .await;
    let body: Value = serde_json::from_str(&me.body).unwrap();
    assert_eq!(body["projects"], json!([site.id.get()]));
    let wider = Rest::method(&s.app, "PUT", "/api/v4/personal_access_tokens/self")
        .token(&secret)
        .json(json!({ "projects": "alice/site, alice/tools" }))
        .send()
        .await;
    assert_eq!(wider.status, 400, "{}", wider.body);
    assert!(
        wider.body.contains("Projects can only be removed"),
        "{}",
        wider.body
    );
    // A token for every project reaches both of hers.
    let all = issue("").await.unwrap();
    assert_eq!(
        Rest::get(&s.app, format!("/api/v4/projects/{}", tools.id.get()))
            .token(&all.secret)
            .send()
            .await
            .status,
        200
    );
});
