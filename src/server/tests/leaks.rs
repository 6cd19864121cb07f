//! Responding to a leak (issue 22): administrators look up and revoke a
//! token by its secret (GitLab 17's token information API, its request
//! spec's cases), anybody may report leaked secrets, and API answers say
//! when the token that authenticated them expires.

use super::support::{both_backends, is_revoked, register, token_with_scopes, Rest, Scenario};
use crate::domain::token::{format_secret, DEFAULT_PREFIX, RANDOM_BYTES};
use crate::server::api::auth::TOKEN_EXPIRES_AT;
use crate::server::db::outbox;
use crate::server::services::audit;
use crate::server::services::leaks::{self, REPORTER};
use serde_json::{json, Value};

both_backends!(administrators_identify_a_token_by_its_secret, |t| {
    let s = Scenario::new(&t).await;
    let root = register(&s.st, "root").await;
    let alice = register(&s.st, "alice").await;
    let (_, admin_secret) = token_with_scopes(&s.st, &root, &["api"]).await;
    let (alice_id, alice_secret) = token_with_scopes(&s.st, &alice, &["read_api"]).await;
    let (_, alice_api) = token_with_scopes(&s.st, &alice, &["api"]).await;

    let found = Rest::post(&s.app, "/api/v4/admin/token")
        .token(&admin_secret)
        .json(json!({ "token": alice_secret }))
        .send()
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    let body: Value = serde_json::from_str(&found.body).unwrap();
    assert_eq!(body["id"], alice_id.get());
    assert_eq!(body["user_id"], alice.id.get());
    assert_eq!(body["scopes"], json!(["read_api"]));
    assert_eq!(body["revoked"], false);
    assert!(!found.body.contains(&alice_secret));

    // GitLab's spec: a real secret with something appended is 404, a
    // string that is no kind of token 422, a missing parameter 400.
    for (presented, status) in [
        (format!("{alice_secret}-non-existing"), 404),
        (format_secret(DEFAULT_PREFIX, &[7; RANDOM_BYTES]), 404),
        ("unsupported".to_owned(), 422),
    ] {
        let r = Rest::post(&s.app, "/api/v4/admin/token")
            .token(&admin_secret)
            .json(json!({ "token": presented }))
            .send()
            .await;
        assert_eq!(r.status, status, "{presented}: {}", r.body);
    }
    let unsupported = Rest::post(&s.app, "/api/v4/admin/token")
        .token(&admin_secret)
        .json(json!({ "token": "unsupported" }))
        .send()
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&unsupported.body).unwrap(),
        json!({ "message": "Token type not supported." })
    );
    let missing = Rest::post(&s.app, "/api/v4/admin/token")
        .token(&admin_secret)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(missing.status, 400, "{}", missing.body);

    // Not an administrator: 403; no token: 401 (both before any lookup).
    for method in ["POST", "DELETE"] {
        let r = Rest::method(&s.app, method, "/api/v4/admin/token")
            .token(&alice_api)
            .json(json!({ "token": alice_secret }))
            .send()
            .await;
        assert_eq!(r.status, 403, "{method}: {}", r.body);
        let r = Rest::method(&s.app, method, "/api/v4/admin/token")
            .json(json!({ "token": alice_secret }))
            .send()
            .await;
        assert_eq!(r.status, 401, "{method}: {}", r.body);
    }
    assert!(!is_revoked(&s.st, alice_id).await);

    // DELETE revokes it, on the record as the administrator's doing;
    // again is fine, and the token no longer works.
    for _ in 0..2 {
        let r = Rest::delete(&s.app, "/api/v4/admin/token")
            .token(&admin_secret)
            .json(json!({ "token": alice_secret }))
            .send()
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
    }
    assert!(is_revoked(&s.st, alice_id).await);
    let refused = Rest::get(&s.app, "/api/v4/user")
        .token(&alice_secret)
        .send()
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let (events, _) = audit::list(&s.st, &Default::default(), 0, 10)
        .await
        .unwrap();
    let revoked: Vec<_> = events
        .iter()
        .filter(|e| e.action == "token_revoked" && e.token_id == Some(alice_id))
        .collect();
    assert_eq!(revoked.len(), 1, "{events:?}");
    assert_eq!(revoked[0].actor_name, "root");
    // The information API still finds a revoked token, and says so.
    let after = Rest::post(&s.app, "/api/v4/admin/token")
        .token(&admin_secret)
        .json(json!({ "token": alice_secret }))
        .send()
        .await;
    assert_eq!(after.status, 200, "{}", after.body);
    assert_eq!(
        serde_json::from_str::<Value>(&after.body).unwrap()["revoked"],
        true
    );
});

both_backends!(anybody_may_report_leaked_secrets_and_owners_are_told, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let bob = register(&s.st, "bob").await;
    let (a1, a1_secret) = token_with_scopes(&s.st, &alice, &["api"]).await;
    let (a2, a2_secret) = token_with_scopes(&s.st, &alice, &["read_api"]).await;
    let (b1, b1_secret) = token_with_scopes(&s.st, &bob, &["api"]).await;
    let (kept, _) = token_with_scopes(&s.st, &bob, &["api"]).await;
    let before = outbox::list(&s.st.db, 0, 100).await.unwrap().1;

    // Secrets among garbage, a duplicate and an invented one: 202, no
    // authentication, and the answer says nothing of what existed.
    let invented = format_secret(DEFAULT_PREFIX, &[9; RANDOM_BYTES]);
    let reported = json!({ "tokens": [
        a1_secret, a2_secret, b1_secret, a1_secret, "not a token", invented,
    ] });
    let r = Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
        .sent_from([198, 51, 100, 7])
        .json(reported)
        .send()
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let nothing = Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
        .sent_from([198, 51, 100, 7])
        .json(json!({ "tokens": [invented] }))
        .send()
        .await;
    assert_eq!(nothing.status, 202);
    assert_eq!(nothing.body, r.body, "the same answer either way");

    for id in [a1, a2, b1] {
        assert!(is_revoked(&s.st, id).await);
    }
    assert!(!is_revoked(&s.st, kept).await);

    // One mail per owner, naming the tokens, never a secret.
    let (mails, total) = outbox::list(&s.st.db, 0, 100).await.unwrap();
    assert_eq!(total - before, 2, "{mails:?}");
    let to_alice: Vec<_> = mails
        .iter()
        .filter(|m| m.recipient == "alice@example.com" && m.subject.contains("found in public"))
        .collect();
    assert_eq!(to_alice.len(), 1, "{mails:?}");
    assert!(to_alice[0].subject.starts_with("2 personal access tokens"));
    assert!(mails
        .iter()
        .all(|m| !m.body.contains(DEFAULT_PREFIX) && !m.body.contains(&b1_secret)));

    // On the record: reported leaked, from where.
    let (events, _) = audit::list(&s.st, &Default::default(), 0, 20)
        .await
        .unwrap();
    let leaked: Vec<_> = events
        .iter()
        .filter(|e| e.action == "token_revoked_as_leaked")
        .collect();
    assert_eq!(leaked.len(), 3, "{events:?}");
    assert!(leaked.iter().all(|e| e.actor_name == REPORTER
        && e.actor_id.is_none()
        && e.ip_address.as_deref() == Some("198.51.100.7")));

    // Reporting an already revoked token changes nothing and mails nobody.
    let again = Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
        .sent_from([198, 51, 100, 7])
        .json(json!({ "tokens": [a1_secret] }))
        .send()
        .await;
    assert_eq!(again.status, 202);
    assert_eq!(outbox::list(&s.st.db, 0, 100).await.unwrap().1, total);
});

both_backends!(leak_reports_are_bounded_and_rate_limited, |t| {
    let s = Scenario::new(&t).await;
    let report = |tokens: Value, ip: [u8; 4]| {
        Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
            .sent_from(ip)
            .json(json!({ "tokens": tokens }))
            .send()
    };
    let too_many: Vec<String> = (0..=leaks::MAX_SECRETS).map(|i| format!("x{i}")).collect();
    for bad in [json!([]), json!(too_many)] {
        let r = report(bad, [203, 0, 113, 1]).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    let r = Rest::post(&s.app, "/api/v4/personal_access_tokens/revoke_leaked")
        .sent_from([203, 0, 113, 1])
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // A full report of the largest size is taken: 999 invented secrets
    // and, last (past the first batch of lookups), a real one.
    let alice = register(&s.st, "alice").await;
    let (real, real_secret) = token_with_scopes(&s.st, &alice, &["api"]).await;
    let mut full: Vec<String> = (0..leaks::MAX_SECRETS - 1)
        .map(|i| {
            let mut random = [7; RANDOM_BYTES];
            random[..2].copy_from_slice(&(i as u16).to_be_bytes());
            format_secret(DEFAULT_PREFIX, &random)
        })
        .collect();
    full.push(real_secret);
    assert_eq!(report(json!(full), [203, 0, 113, 2]).await.status, 202);
    assert!(is_revoked(&s.st, real).await);

    // The quota is per address: the next report from a spent address is
    // 429; another address goes on.
    for _ in 1..leaks::REPORTS_PER_ADDRESS_PER_HOUR {
        assert_eq!(report(json!(["x"]), [203, 0, 113, 2]).await.status, 202);
    }
    assert_eq!(report(json!(["x"]), [203, 0, 113, 2]).await.status, 429);
    assert_eq!(report(json!(["x"]), [203, 0, 113, 3]).await.status, 202);
    s.clock.advance(3_600);
    assert_eq!(report(json!(["x"]), [203, 0, 113, 2]).await.status, 202);
});

both_backends!(api_answers_say_when_the_token_expires, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    // Expires 2026-02-01 (`token_with_scopes`): 00:00 UTC that day.
    let (_, secret) = token_with_scopes(&s.st, &alice, &["read_user"]).await;
    for path in ["/api/v4/user", "/api/v4/personal_access_tokens/self"] {
        let r = Rest::get(&s.app, path).token(&secret).send().await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(
            r.headers.get(&TOKEN_EXPIRES_AT).unwrap(),
            "2026-02-01T00:00:00Z"
        );
    }
    // Not for a request no token authenticated.
    let forged = format_secret(DEFAULT_PREFIX, &[1; RANDOM_BYTES]);
    for token in [None, Some(forged.as_str())] {
        let r = Rest::get(&s.app, "/api/v4/user")
            .maybe_token(token)
            .send()
            .await;
        assert_eq!(r.status, 401);
        assert!(!r.headers.contains_key(&TOKEN_EXPIRES_AT));
    }
});

both_backends!(owners_hear_of_each_creation_rotation_and_revocation, |t| {
    use crate::server::services::audit::{Actor, Via};
    use crate::server::services::tokens::{self, Issuer, Request};
    let s = Scenario::new(&t).await;
    let root = register(&s.st, "root").await;
    let alice = register(&s.st, "alice").await;
    let latest = |n: usize| {
        let db = s.st.db.clone();
        async move {
            let (mails, _) = outbox::list(&db, 0, 100).await.unwrap();
            assert!(mails.len() >= n);
            mails.into_iter().take(n).collect::<Vec<_>>()
        }
    };
    let by_alice = Actor::user(&alice).from(Some([192, 0, 2, 9].into()));
    let request = Request {
        name: "deploy",
        description: "",
        expires_on: "2026-02-01",
        scopes: &["api", "read_user"],
        allowed_ips: "",
        projects: "",
    };
    let created = tokens::issue(&s.st, &by_alice, &alice, Issuer::Owner, request)
        .await
        .unwrap();
    let [mail] = &latest(1).await[..] else {
        unreachable!()
    };
    assert_eq!(mail.recipient, "alice@example.com");
    assert_eq!(mail.subject, "A new personal access token has been created");
    assert!(
        mail.body.contains(
            "\"deploy\" (scopes: api, read_user; expires 2026-02-01), by you from 192.0.2.9 \
             at Jan 1, 2026 00:00:00 UTC"
        ),
        "{}",
        mail.body
    );

    // An administrator's impersonation token, rotation and revocation.
    let by_root = Actor::user(&root);
    let impersonation = Request {
        name: "support",
        ..request
    };
    tokens::issue(
        &s.st,
        &by_root,
        &alice,
        Issuer::Impersonation(&root),
        impersonation,
    )
    .await
    .unwrap();
    let rotated = tokens::rotate(&s.st, &by_alice, &created.token, None)
        .await
        .unwrap();
    tokens::revoke_as(
        &s.st,
        &by_root.clone().acting_as(&alice, Via::Sudo),
        rotated.token.id,
    )
    .await
    .unwrap();
    let mails = latest(3).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Your personal access token was revoked",
            "Your personal access token was rotated",
            "An impersonation token was created for your account",
        ]
    );
    assert!(mails[0].body.contains("by root at"), "{}", mails[0].body);
    assert!(mails[2].body.contains("by root at"), "{}", mails[2].body);
    assert!(mails.iter().all(|m| m.recipient == "alice@example.com"
        && !m.body.contains(&created.secret)
        && !m.body.contains(&rotated.secret)));
    // Revoking again changes nothing and mails nobody.
    let before = outbox::list(&s.st.db, 0, 1).await.unwrap().1;
    tokens::revoke_as(&s.st, &by_root, rotated.token.id)
        .await
        .unwrap();
    assert_eq!(outbox::list(&s.st.db, 0, 1).await.unwrap().1, before);
});

both_backends!(graphql_answers_say_when_the_token_expires_too, |t| {
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (_, secret) = token_with_scopes(&s.st, &alice, &["read_api"]).await;
    let r = Rest::post(&s.app, "/api/graphql")
        .token(&secret)
        .json(json!({ "query": "{ currentUser { username } }" }))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("alice"), "{}", r.body);
    assert_eq!(
        r.headers.get(&TOKEN_EXPIRES_AT).unwrap(),
        "2026-02-01T00:00:00Z"
    );
    let anonymous = Rest::post(&s.app, "/api/graphql")
        .json(json!({ "query": "{ currentUser { username } }" }))
        .send()
        .await;
    assert!(!anonymous.headers.contains_key(&TOKEN_EXPIRES_AT));
});

both_backends!(reuse_detection_is_on_the_record_and_mailed, |t| {
    use crate::server::services::audit::Actor;
    use crate::server::services::tokens;
    let s = Scenario::new(&t).await;
    let alice = register(&s.st, "alice").await;
    let (id, first) = token_with_scopes(&s.st, &alice, &["api"]).await;
    let old = crate::server::db::tokens::find(&s.st.db, id)
        .await
        .unwrap()
        .unwrap();
    let newest = tokens::rotate(&s.st, &Actor::user(&alice), &old, None)
        .await
        .unwrap();
    let r = Rest::post(&s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&first)
        .send()
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(is_revoked(&s.st, newest.token.id).await);
    let (events, _) = audit::list(&s.st, &Default::default(), 0, 10)
        .await
        .unwrap();
    let reuse: Vec<_> = events
        .iter()
        .filter(|e| e.action == "token_revoked_for_reuse")
        .collect();
    assert_eq!(reuse.len(), 1, "{events:?}");
    assert_eq!(reuse[0].token_id, Some(newest.token.id));
    assert_eq!(reuse[0].actor_name, "reuse detection");
    let (mails, _) = outbox::list(&s.st.db, 0, 1).await.unwrap();
    assert_eq!(mails[0].subject, "Your personal access token was revoked");
    assert!(
        mails[0].body.contains("by reuse detection"),
        "{}",
        mails[0].body
    );
});
