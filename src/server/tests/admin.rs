//! The Admin Area: its rules end to end through the server functions and
//! the REST API, on both backends.

use super::support::{
    api_token, both_backends, change_settings, register, state, Client, Rest, Scenario, T0,
};
use crate::domain::admin::{Refused, UserChange};
use crate::domain::ids::{TokenId, UserId};
use crate::server::clock::ManualClock;
use crate::server::db::{outbox, settings::Settings, tokens as db_tokens, users};
use crate::server::services::audit::Actor;
use crate::server::services::{admin, audit, settings, tokens, Conflict, ServiceError};
use crate::server::state::AppState;
use axum::http::StatusCode;

const DAY: i64 = 86_400;

async fn limit(st: &AppState, days: i64) -> admin::SettingsChanged {
    change_settings(st, |s| s.token_max_lifetime_days = days).await
}

async fn status(app: &axum::Router, secret: &str) -> StatusCode {
    Rest::get(app, "/api/v4/user")
        .token(secret)
        .send()
        .await
        .status
}

both_backends!(
    lowering_the_limit_revokes_longer_tokens_and_mails_owners,
    |t| {
        // T0 is 2026-01-01.
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let (ann, bob) = (register(&st, "ann").await, register(&st, "bob").await);
        let short = api_token(&st, &ann, "short", "2026-01-31").await; // 30 days
        let long = api_token(&st, &ann, "long", "2026-06-01").await;
        let bobs = api_token(&st, &bob, "bobs", "2026-12-31").await;
        let already = api_token(&st, &bob, "already revoked", "2026-12-31").await;
        crate::server::tests::support::revoke(&st, already.token.id).await;
        assert_eq!(
            status(&app, &long.secret).await,
            StatusCode::OK,
            "cached now"
        );
        assert_eq!(
            admin::revoked_by_limit(&st, 30).await.unwrap(),
            (2, 2),
            "the preview counts unrevoked tokens beyond the limit"
        );

        let changed = limit(&st, 30).await;
        let mut revoked: Vec<_> = changed.revoked.iter().map(|t| t.name.clone()).collect();
        revoked.sort();
        assert_eq!(revoked, ["bobs", "long"]);
        // At once on this instance, even though "long" was in the token cache.
        assert_eq!(status(&app, &long.secret).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, &bobs.secret).await, StatusCode::UNAUTHORIZED);
        assert_eq!(status(&app, &short.secret).await, StatusCode::OK);

        // One mail per owner, naming the tokens and the page, never a secret.
        let (mut mails, _) = outbox::list(&t.db, 0, 100).await.unwrap();
        mails.retain(|m| m.body.contains("An administrator limited"));
        assert_eq!(mails.len(), 2);
        let to_ann = mails
            .iter()
            .find(|m| m.recipient == "ann@example.com")
            .unwrap();
        assert!(
            to_ann.body.contains("- long (expires 2026-06-01)"),
            "{}",
            to_ann.body
        );
        assert!(!to_ann.body.contains("short"));
        assert!(to_ann
            .body
            .contains("/-/user_settings/personal_access_tokens"));
        for m in &mails {
            for secret in [&short.secret, &long.secret, &bobs.secret] {
                assert!(!m.body.contains(secret.as_str()));
            }
        }
        // On the record: the change and each revocation.
        let (events, _) = audit::list(&st, &audit::Filter::default(), 0, 10)
            .await
            .unwrap();
        let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| **a == "token_revoked_by_lifetime_limit")
                .count(),
            2
        );
        let change = events
            .iter()
            .find(|e| e.action == "settings_changed")
            .unwrap();
        assert_eq!(change.actor_name, "command line");
        assert!(
            change.details.contains("365 → 30 days"),
            "{}",
            change.details
        );

        // New tokens obey the new limit, with a message naming it.
        let refused = tokens::create(
            &st,
            &Actor::user(&ann),
            &ann,
            "too long",
            "2026-02-01",
            &["api"],
        )
        .await;
        let Err(ServiceError::Invalid(fields)) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(
            fields[0].message,
            "The expiration date can be at most 30 days from today (2026-01-31)."
        );
        // Raising it again revokes nothing and mails nobody.
        let before = outbox::list(&t.db, 0, 1).await.unwrap().1;
        assert!(limit(&st, 365).await.revoked.is_empty());
        assert_eq!(outbox::list(&t.db, 0, 1).await.unwrap().1, before);
    }
);

both_backends!(blocking_stops_tokens_sessions_and_sign_in, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let mut admin_browser = Client::new(app.clone());
    admin_browser.sign_up("root").await;
    let mut browser = Client::new(app.clone());
    browser.sign_up("eve").await;
    let eve = users::find_by_username_key(&t.db, "eve")
        .await
        .unwrap()
        .unwrap();
    let root = users::find_by_username_key(&t.db, "root")
        .await
        .unwrap()
        .unwrap();
    assert!(root.is_admin && !eve.is_admin);
    let secret = api_token(&st, &eve, "ci", "2026-02-01").await.secret;
    assert_eq!(status(&app, &secret).await, StatusCode::OK);

    let id = eve.id.to_string();
    let r = admin_browser
        .call(
            "change_admin_user",
            &[("user_id", &id), ("change", "block")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // GitLab: 403, "Your account has been blocked."
    assert_eq!(status(&app, &secret).await, StatusCode::FORBIDDEN);
    assert_eq!(browser.whoami().await, None, "her session ended");
    let r = browser
        .call(
            "sign_in",
            &[("login", "eve"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("Blocked"), "{}", r.body);
    // A wrong password does not learn that the account is blocked.
    let r = browser
        .call(
            "sign_in",
            &[("login", "eve"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let r = admin_browser
        .call(
            "change_admin_user",
            &[("user_id", &id), ("change", "unblock")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(status(&app, &secret).await, StatusCode::OK);
    let (events, _) = audit::about_user(&st, eve.id, 0, 10).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user_unblocked",
            "user_blocked",
            "personal_access_token_created"
        ]
    );
    assert!(events[..2].iter().all(|e| e.actor_name == "root"));
    // Her own token is on the record too, as her doing.
    assert_eq!(events[2].actor_name, "eve");
});

both_backends!(the_admin_area_is_not_found_for_others, |t| {
    let Scenario { app, .. } = Scenario::new(&t).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let mut other = Client::new(app.clone());
    other.sign_up("mallory").await;
    let mallory = users::find_by_username_key(&t.db, "mallory")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mallory.last_sign_in_at, Some(T0), "registering signs in");
    for (name, form) in [
        ("load_admin_overview", vec![]),
        ("load_admin_settings", vec![]),
        ("load_admin_users", vec![("search", ""), ("page", "1")]),
        ("load_admin_user", vec![("username", "root")]),
        ("load_audit_events", vec![("page", "1")]),
        ("load_outbox", vec![("page", "1")]),
        (
            "change_admin_user",
            vec![("user_id", "1"), ("change", "remove_admin")],
        ),
    ] {
        let r = other.call(name, &form).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{name}: {}", r.body);
        let r = root.call(name, &form).await;
        let expected = if name == "change_admin_user" {
            StatusCode::CONFLICT // the last administrator
        } else {
            StatusCode::OK
        };
        assert_eq!(r.status, expected, "{name}: {}", r.body);
    }
    // What a form may ask is typed: anything else is a bad request.
    for (name, form) in [
        (
            "change_admin_user",
            [("user_id", "2"), ("change", "delete")],
        ),
        (
            "change_admin_token",
            [("token_id", "1"), ("action", "destroy")],
        ),
    ] {
        let r = root.call(name, &form).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.body);
    }
    assert_eq!(
        other.get("/admin/users").await.status,
        StatusCode::NOT_FOUND
    );
    let page = root.get("/admin/users?search=MALL").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("mallory@example.com"),
        "search finds her"
    );
    assert_eq!(
        page.body.matches("data-testid=\"admin-user\"").count(),
        1,
        "and only her"
    );
    let mut nobody = Client::new(app.clone());
    let r = nobody.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(the_last_administrator_stays_even_under_races, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let root = register(&st, "root").await; // the first user: an administrator
    let ada = register(&st, "ada").await;
    let as_root = Actor::user(&root);
    let refused = admin::change_user(&st, &as_root, root.id, UserChange::RemoveAdmin).await;
    assert_eq!(
        refused.unwrap_err(),
        Conflict::UserChange(Refused::LastAdmin).into()
    );
    admin::change_user(&st, &as_root, ada.id, UserChange::MakeAdmin)
        .await
        .unwrap();
    let as_ada = Actor::user(&ada);
    // Each demotes the other at the same time: exactly one wins.
    for _ in 0..5 {
        let (a, b) = tokio::join!(
            admin::change_user(&st, &as_root, ada.id, UserChange::RemoveAdmin),
            admin::change_user(&st, &as_ada, root.id, UserChange::RemoveAdmin),
        );
        assert_eq!(u8::from(a.is_ok()) + u8::from(b.is_ok()), 1, "{a:?} {b:?}");
        let admins = users::page(&t.db, &Default::default(), 0, 100)
            .await
            .unwrap()
            .0
            .iter()
            .filter(|u| u.is_admin)
            .count();
        assert_eq!(admins, 1);
        // Restore both for the next round.
        let (winner, loser) = if a.is_ok() {
            (&as_root, ada.id)
        } else {
            (&as_ada, root.id)
        };
        admin::change_user(&st, winner, loser, UserChange::MakeAdmin)
            .await
            .unwrap();
    }
    let refused = admin::change_user(&st, &as_root, root.id, UserChange::Block).await;
    assert_eq!(
        refused.unwrap_err(),
        Conflict::UserChange(Refused::SelfBlock).into()
    );
});

both_backends!(unrevoke_and_unenforced_expiry, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let root = register(&st, "root").await;
    let ann = register(&st, "ann").await;
    let created = api_token(&st, &ann, "oops", "2026-01-10").await;
    let as_root = Actor::user(&root);
    tokens::set_token_revoked(&st, &as_root, created.token.id, true)
        .await
        .unwrap();
    assert_eq!(
        status(&app, &created.secret).await,
        StatusCode::UNAUTHORIZED
    );
    let again = tokens::set_token_revoked(&st, &as_root, created.token.id, true).await;
    assert_eq!(again.unwrap_err(), Conflict::AlreadyRevoked.into());
    tokens::set_token_revoked(&st, &as_root, created.token.id, false)
        .await
        .unwrap();
    assert_eq!(
        status(&app, &created.secret).await,
        StatusCode::OK,
        "works again"
    );

    // A rotated-away token stays revoked: its successor replaced it.
    let rotated = api_token(&st, &ann, "rotated", "2026-01-10").await;
    tokens::rotate(&st, &Actor::command_line(), &rotated.token, None)
        .await
        .unwrap();
    let refused = tokens::set_token_revoked(&st, &as_root, rotated.token.id, false).await;
    assert_eq!(refused.unwrap_err(), Conflict::RotatedAway.into());

    // Expired at 00:00 UTC on 2026-01-10 …
    clock.advance(9 * DAY);
    assert_eq!(
        status(&app, &created.secret).await,
        StatusCode::UNAUTHORIZED
    );
    // … and working while expiry is not enforced, on the very next request.
    let current = settings::current(&st).await.unwrap();
    admin::change_settings(
        &st,
        &as_root,
        Settings {
            token_expiry_enforced: false,
            ..current
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(status(&app, &created.secret).await, StatusCode::OK);
    admin::change_settings(&st, &as_root, current, true)
        .await
        .unwrap();
    assert_eq!(
        status(&app, &created.secret).await,
        StatusCode::UNAUTHORIZED
    );

    let (events, _) = audit::about_user(&st, ann.id, 0, 10).await.unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "token_rotated",
            "personal_access_token_created",
            "token_unrevoked",
            "token_revoked",
            "personal_access_token_created"
        ]
    );
    assert_eq!(events[2].token_name.as_deref(), Some("oops"));
    let stored = db_tokens::find(&t.db, created.token.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revoked_at, None);

    // A family revoked by reuse detection stays revoked, successor too.
    let family = api_token(&st, &ann, "family", "2026-02-01").await;
    let successor = tokens::rotate(&st, &Actor::command_line(), &family.token, None)
        .await
        .unwrap();
    assert!(tokens::authenticate_to_rotate(&st, &family.secret)
        .await
        .is_err());
    let refused = tokens::set_token_revoked(&st, &as_root, successor.token.id, false).await;
    assert_eq!(refused.unwrap_err(), Conflict::FamilyRevoked.into());

    // Unrevoking gives back no more than the current limit allows.
    let long = api_token(&st, &ann, "long", "2026-06-01").await;
    change_settings(&st, |s| s.token_max_lifetime_days = 30).await;
    let refused = tokens::set_token_revoked(&st, &as_root, long.token.id, false).await;
    let refused = refused.unwrap_err();
    assert_eq!(
        refused,
        Conflict::BeyondLimit {
            expires_on: Some(time::macros::date!(2026 - 06 - 01)),
            max_days: 30
        }
        .into()
    );
    // People read it as a sentence naming the date and the limit.
    let words = refused.to_string();
    assert!(
        words.contains("expires on 2026-06-01") && words.contains("30-day limit"),
        "{words}"
    );
});

both_backends!(
    an_impersonation_token_from_the_admin_area_acts_as_the_user,
    |t| {
        let Scenario { st, app, .. } = Scenario::new(&t).await;
        let mut root = Client::new(app.clone());
        root.sign_up("root").await;
        let ann = register(&st, "ann").await;
        let id = ann.id.to_string();
        let r = root
            .call(
                "create_impersonation_token",
                &[
                    ("user_id", &id),
                    ("name", "support"),
                    ("expires_at", "2026-01-15"),
                    ("scopes[]", "read_api"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let secret = Client::json(&r)["secret"].as_str().unwrap().to_owned();
        // Not without the confirmation.
        let r = root
            .call(
                "create_impersonation_token",
                &[
                    ("user_id", &id),
                    ("name", "x"),
                    ("expires_at", "2026-01-15"),
                    ("scopes[]", "api"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("may act as ann"), "{}", r.body);
        let r = Rest::get(&app, "/api/v4/user").token(&secret).send().await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(Client::json(&r)["username"], "ann");
        // Not on her own page; on the record.
        assert!(tokens::list(&st, ann.id).await.unwrap().is_empty());
        let (events, _) = audit::about_user(&st, ann.id, 0, 10).await.unwrap();
        assert_eq!(events[0].action, "impersonation_token_created");
        assert_eq!(events[0].actor_name, "root");
        assert_eq!(events[0].token_name.as_deref(), Some("support"));
        // Beyond the limit is refused, naming it.
        let r = root
            .call(
                "create_impersonation_token",
                &[
                    ("user_id", &id),
                    ("name", "x"),
                    ("expires_at", "2027-06-01"),
                    ("scopes[]", "api"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("at most 365 days"), "{}", r.body);
    }
);

both_backends!(the_settings_form_validates_and_confirms_revocations, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let root_user = users::find_by_username_key(&t.db, "root")
        .await
        .unwrap()
        .unwrap();
    let long = api_token(&st, &root_user, "long", "2026-12-01").await;
    let form = |days: &'static str, confirm: bool| {
        let mut f = vec![
            ("token_max_lifetime_days", days),
            ("revoked_token_retention_days", "30"),
            ("token_expiry_enforced", "on"),
            ("git_password_auth", "on"),
        ];
        if confirm {
            f.push(("confirm", "yes"));
        }
        f
    };
    let r = root.call("save_admin_settings", &form("0", false)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("from 1 to 365"), "{}", r.body);
    let r = root.call("save_admin_settings", &form("30", false)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A question for the form to ask beside the limit, with its impact.
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap(),
        serde_json::json!({"ConfirmRevocations": {"max_days": 30, "tokens": 1, "owners": 1}})
    );
    assert_eq!(
        settings::current(&st)
            .await
            .unwrap()
            .token_max_lifetime_days,
        365,
        "nothing saved"
    );
    assert_eq!(status(&app, &long.secret).await, StatusCode::OK);
    let r = root.call("save_admin_settings", &form("30", true)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("1 token was revoked"), "{}", r.body);
    assert_eq!(status(&app, &long.secret).await, StatusCode::UNAUTHORIZED);
    let saved = crate::server::db::settings::get(&t.db).await.unwrap();
    assert_eq!(saved.token_max_lifetime_days, 30);
    assert!(!saved.admin_mode && saved.git_password_auth && !saved.git_token_username_match);
    // The create form's bounds follow the limit.
    let r = root.call("load_tokens", &[]).await;
    assert_eq!(Client::json(&r)["expiry"]["latest"], "2026-01-31");
});

both_backends!(
    lowering_the_limit_revokes_only_once_confirmed_whoever_asks,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let alice = register(&st, "alice").await;
        let long = api_token(&st, &alice, "long", "2026-12-01").await;
        let _short = api_token(&st, &alice, "short", "2026-01-10").await;
        let operator = Actor::command_line();
        let current = settings::current(&st).await.unwrap();
        let with_limit = |days: i64| Settings {
            token_max_lifetime_days: days,
            ..current
        };
        // The page and the command line call the same service: unconfirmed,
        // a lowering that revokes is refused with what it would revoke…
        let refused = admin::change_settings(&st, &operator, with_limit(30), false).await;
        assert_eq!(
            refused.unwrap_err(),
            ServiceError::RevocationsUnconfirmed {
                max_days: 30,
                tokens: 1,
                owners: 1
            }
        );
        assert_eq!(
            crate::server::db::settings::get(&t.db)
                .await
                .unwrap()
                .token_max_lifetime_days,
            365
        );
        assert!(tokens::find(&st, long.token.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at
            .is_none());
        // …one that revokes nothing needs no confirmation…
        let changed = admin::change_settings(&st, &operator, with_limit(340), false)
            .await
            .unwrap();
        assert!(changed.revoked.is_empty());
        // …and a confirmed one revokes.
        let changed = admin::change_settings(&st, &operator, with_limit(30), true)
            .await
            .unwrap();
        assert_eq!(changed.revoked.len(), 1);
        assert_eq!(changed.revoked[0].id, long.token.id);
    }
);

both_backends!(admin_mode_asks_administrators_to_re_authenticate, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "admin mode is off by default");
    change_settings(&st, |s| s.admin_mode = true).await;

    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("AdminModeRequired"), "{}", r.body);
    let r = root
        .call("enter_admin_mode", &[("password", "wrong-password")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = root
        .call("enter_admin_mode", &[("password", "secret-password")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Six hours later, again.
    clock.advance(crate::domain::admin::ADMIN_MODE_SECONDS);
    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = root
        .call("enter_admin_mode", &[("password", "secret-password")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A new sign-in starts outside admin mode.
    let r = root.call("sign_out", &[]).await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.status
    );
    let r = root
        .call(
            "sign_in",
            &[("login", "root"), ("password", "secret-password")],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.status
    );
    let r = root.call("load_admin_overview", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Someone who is not an administrator cannot enter it either.
    let mut other = Client::new(app.clone());
    other.sign_up("mallory").await;
    let r = other
        .call("enter_admin_mode", &[("password", "secret-password")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

both_backends!(no_date_means_the_longest_lifetime_allowed, |t| {
    let Scenario { st, .. } = Scenario::new(&t).await;
    let ann = register(&st, "ann").await;
    let today = crate::domain::instant::date_of(st.now());
    let expires_on = |days: i64| {
        Some(crate::domain::token::expires_at(today + time::Duration::days(days)).unix_timestamp())
    };
    // While an expiry is required (GitLab 16), a token asked for without a
    // date lives as long as administrators allow.
    let year = tokens::create(&st, &Actor::user(&ann), &ann, "a year", "", &["api"])
        .await
        .unwrap();
    assert_eq!(year.token.expires_at, expires_on(365));
    limit(&st, 30).await;
    let month = tokens::create(&st, &Actor::user(&ann), &ann, "a month", " ", &["api"])
        .await
        .unwrap();
    assert_eq!(month.token.expires_at, expires_on(30));
});

both_backends!(tokens_without_expiry_only_while_allowed, |t| {
    let Scenario { clock, st, app } = Scenario::new(&t).await;
    let ann = register(&st, "ann").await;
    change_settings(&st, |s| s.token_expiry_required = false).await;
    let forever = crate::server::tests::support::api_token(&st, &ann, "forever", "").await;
    assert_eq!(forever.token.expires_at, None);
    clock.advance(3 * 365 * DAY);
    let r = Rest::get(&app, "/api/v4/personal_access_tokens/self")
        .token(&forever.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let json = Client::json(&r);
    assert_eq!(json["expires_at"], serde_json::Value::Null);
    assert_eq!(json["active"], true);
    // No expiry exceeds any limit: lowering it revokes the token.
    assert_eq!(admin::revoked_by_limit(&st, 364).await.unwrap(), (1, 1));
    assert_eq!(limit(&st, 364).await.revoked.len(), 1);
    assert_eq!(
        status(&app, &forever.secret).await,
        StatusCode::UNAUTHORIZED
    );
});

/// Data written before the migration that rebuilds the tokens table (SQLite
/// cannot drop NOT NULL in place) is all there after it.
#[test]
fn tokens_survive_the_optional_expiry_migration() {
    super::support::runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("old.db").display());
        let db = crate::server::db::Db::connect(&url).await.unwrap();
        let all = db.migrator();
        let before = sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                all.migrations.iter().filter(|m| m.version < 20261122000007).cloned().collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(&db.pool).await.unwrap();
        sqlx::query(
            "INSERT INTO users (id, username, username_key, email, email_key, password_hash, created_at) \
             VALUES (1, 'ann', 'ann', 'ann@example.com', 'ann@example.com', 'x', 5)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO personal_access_tokens (id, user_id, name, token_digest, scopes, created_at, \
             expires_at, last_used_at, revoked_at, last_used_ips, family_id, rotated_at, \
             impersonation, created_by, expiring_soon_notified_at) \
             VALUES (7, 1, 'kept', 'abc', 'api read_user', 10, 2000000000, 20, NULL, '10.0.0.1', 3, NULL, 1, 1, 30)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        db.migrate().await.unwrap();
        let t = db_tokens::find(&db, TokenId(7)).await.unwrap().unwrap();
        assert_eq!(
            (t.name.as_str(), t.expires_at, t.last_used_at, t.family_id, t.impersonation, t.created_by),
            ("kept", Some(2_000_000_000), Some(20), TokenId(3), true, Some(UserId(1)))
        );
        assert_eq!(t.last_used_ips, ["10.0.0.1"]);
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'personal_access_tokens' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(
            indexes,
            [
                "personal_access_tokens_created_by",
                "personal_access_tokens_expiry",
                "personal_access_tokens_family",
                "personal_access_tokens_kind",
                "personal_access_tokens_revoked",
                "personal_access_tokens_user"
            ]
        );
        // Names written before the search index existed are in it.
        let found: Vec<i64> = sqlx::query_scalar(
            "SELECT rowid FROM personal_access_tokens_name_search WHERE name LIKE '%KEPT%'",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(found, [7]);
        // New ids continue after the old ones.
        sqlx::query(
            "INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, created_at) \
             VALUES (1, 'new', 'def', 'api', 40)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM personal_access_tokens WHERE name = 'new'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(id, 8);
    });
}

both_backends!(a_users_tokens_are_paged_on_their_admin_page, |t| {
    let Scenario { st, app, .. } = Scenario::new(&t).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let fleet = register(&st, "fleet").await;
    for i in 0..25 {
        api_token(&st, &fleet, &format!("runner-{i:02}"), "2026-12-01").await;
    }
    let rows = |body: &str| body.matches("data-testid=\"admin-token\"").count();
    let first = root.get("/admin/users/fleet").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(rows(&first.body), 20, "one page of twenty");
    assert!(first.body.contains("runner-24") && !first.body.contains("runner-04"));
    assert!(
        first.body.contains("/admin/users/fleet?page=2"),
        "a link on"
    );
    let second = root.get("/admin/users/fleet?page=2").await;
    assert_eq!(rows(&second.body), 5);
    assert!(second.body.contains("runner-00") && !second.body.contains("runner-05"));
    // The revoke step keeps the page, so its token is found there.
    let confirm = root.get("/admin/users/fleet?page=2&revoke=2").await;
    assert!(
        confirm.body.contains("data-testid=\"confirm-dialog\"")
            && confirm.body.contains("Revoke “runner-01”?"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("href=\"/admin/users/fleet?page=2\""),
        "cancel stays"
    );
});
