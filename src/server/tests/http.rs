use super::support::{app, both_backends, state, Client, T0};
use crate::server::clock::ManualClock;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

both_backends!(sign_up_then_sign_in_with_right_and_wrong_password, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    assert_eq!(c.whoami().await, None);
    let r = c
        .call(
            "sign_up",
            &[
                ("username", "ivy"),
                ("email", "ivy@example.com"),
                ("password", "secret-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/");
    assert_eq!(c.whoami().await.as_deref(), Some("ivy"));

    let mut other = Client::new(c.app.clone());
    let wrong = other
        .call("sign_in", &[("login", "ivy"), ("password", "nope-nope")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let unknown = other
        .call("sign_in", &[("login", "nobody"), ("password", "nope-nope")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body, unknown.body,
        "unknown user and wrong password must look alike"
    );
    assert!(wrong.body.contains("InvalidCredentials"), "{}", wrong.body);
    assert_eq!(other.whoami().await, None);

    let ok = other
        .call(
            "sign_in",
            &[
                ("login", "IVY@example.com"),
                ("password", "secret-password"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(other.whoami().await.as_deref(), Some("ivy"));
});

both_backends!(lockout_over_http_and_unlock_with_the_clock, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.call(
        "sign_up",
        &[
            ("username", "jo"),
            ("email", "jo@example.com"),
            ("password", "secret-password"),
        ],
    )
    .await;
    let mut attacker = Client::new(c.app.clone());
    for i in 1..=10 {
        let r = attacker
            .call("sign_in", &[("login", "jo"), ("password", "guess-guess")])
            .await;
        let expected = if i < 10 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::LOCKED
        };
        assert_eq!(r.status, expected, "attempt {i}: {}", r.body);
    }
    let r = attacker
        .call(
            "sign_in",
            &[("login", "jo"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED);
    assert!(r.body.contains("Locked"), "{}", r.body);
    clock.advance(10 * 60);
    let r = attacker
        .call(
            "sign_in",
            &[("login", "jo"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});

both_backends!(cross_site_posts_are_refused, |t| {
    let clock = ManualClock::at(T0);
    let c = Client::new(app(&t, state(&t, &clock)).await);
    let post = |extra: &[(&str, &str)]| {
        let mut b = Request::post("/_fn/sign_in")
            .header(header::HOST, "localhost:3000")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            b = b.header(*k, *v);
        }
        b.body(Body::from("login=a&password=b")).unwrap()
    };
    let mut c = c;
    assert_eq!(
        c.send(post(&[("sec-fetch-site", "cross-site")]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.send(post(&[("sec-fetch-site", "same-site")]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.send(post(&[("origin", "https://evil.example")]))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Same origin reaches the function (which then refuses the login).
    assert_eq!(
        c.send(post(&[("origin", "http://localhost:3000")]))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.send(post(&[("sec-fetch-site", "same-origin")]))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
});

both_backends!(
    session_id_is_cycled_at_sign_in_and_dead_after_sign_out,
    |t| {
        let clock = ManualClock::at(T0);
        let mut c = Client::new(app(&t, state(&t, &clock)).await);
        c.call(
            "sign_up",
            &[
                ("username", "kim"),
                ("email", "kim@example.com"),
                ("password", "secret-password"),
            ],
        )
        .await;
        c.call("sign_out", &[]).await;
        assert_eq!(c.cookie, None);

        // A session that exists before this sign-in (another account's).
        c.call(
            "sign_up",
            &[
                ("username", "lou"),
                ("email", "lou@example.com"),
                ("password", "secret-password"),
            ],
        )
        .await;
        let anonymous = c.cookie.clone().expect("a session before signing in");
        let r = c
            .call(
                "sign_in",
                &[("login", "kim"), ("password", "secret-password")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let signed_in = c.cookie.clone().expect("session cookie");
        assert_ne!(
            anonymous, signed_in,
            "the session id must change at sign-in"
        );
        let mut planted = Client {
            app: c.app.clone(),
            cookie: Some(anonymous),
            others: Default::default(),
        };
        assert_eq!(
            planted.whoami().await,
            None,
            "the pre-sign-in id must be dead"
        );
        assert_eq!(c.whoami().await.as_deref(), Some("kim"));

        let r = c.call("sign_out", &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        let mut replay = Client {
            app: c.app.clone(),
            cookie: Some(signed_in),
            others: Default::default(),
        };
        assert_eq!(
            replay.whoami().await,
            None,
            "the old cookie must be dead after sign-out"
        );
    }
);

both_backends!(changing_the_password_signs_out_other_sessions, |t| {
    let clock = ManualClock::at(T0);
    let mut a = Client::new(app(&t, state(&t, &clock)).await);
    a.call(
        "sign_up",
        &[
            ("username", "lee"),
            ("email", "lee@example.com"),
            ("password", "secret-password"),
        ],
    )
    .await;
    let mut b = Client::new(a.app.clone());
    b.call(
        "sign_in",
        &[("login", "lee"), ("password", "secret-password")],
    )
    .await;
    assert_eq!(b.whoami().await.as_deref(), Some("lee"));
    let r = a
        .call(
            "change_password",
            &[
                ("current_password", "secret-password"),
                ("new_password", "newer-password"),
                ("password_confirmation", "newer-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(a.whoami().await.as_deref(), Some("lee"));
    assert_eq!(b.whoami().await, None);
    let mut anonymous = Client::new(a.app.clone());
    let r = anonymous
        .call(
            "change_password",
            &[
                ("current_password", "x"),
                ("new_password", "yyyyyyyy"),
                ("password_confirmation", "yyyyyyyy"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(
    plain_form_posts_redirect_back_and_show_the_error_once,
    |t| {
        let clock = ManualClock::at(T0);
        let mut c = Client::new(app(&t, state(&t, &clock)).await);
        let r = c
            .submit(
                "sign_up",
                "http://localhost/users/sign_up",
                &[
                    ("username", "-bad"),
                    ("email", "mia@example.com"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND);
        let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
        assert!(
            location.starts_with("http://localhost/users/sign_up"),
            "{location}"
        );
        let page = c.get("/users/sign_up").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("Username cannot start with"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Password is too short"));
        assert!(
            page.body.contains("value=\"mia@example.com\""),
            "typed values come back"
        );
        assert!(
            !page.body.contains("short\""),
            "the password is never echoed"
        );
        let again = c.get("/users/sign_up").await;
        assert!(!again.body.contains("Password is too short"), "shown once");

        let r = c
            .submit(
                "sign_up",
                "http://localhost/users/sign_up",
                &[
                    ("username", "mia"),
                    ("email", "mia@example.com"),
                    ("password", "long-enough"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/");
        let home = c.get("/").await;
        assert!(home.body.contains("Welcome, "), "{}", home.body);
    }
);

both_backends!(
    pages_carry_security_headers_and_protected_pages_redirect,
    |t| {
        let clock = ManualClock::at(T0);
        let mut c = Client::new(app(&t, state(&t, &clock)).await);
        let page = c.get("/users/sign_in").await;
        assert_eq!(page.status, StatusCode::OK);
        let csp = page
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("a nonce");
        assert!(
            page.body.contains(&format!("nonce=\"{nonce}\"")),
            "inline scripts carry the nonce"
        );
        assert_eq!(
            page.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
            "nosniff"
        );
        assert!(page.headers.contains_key(header::REFERRER_POLICY));
        let live = c.get("/-/liveness").await;
        assert!(live
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
        for page in [
            "/-/user_settings/account",
            "/-/user_settings/personal_access_tokens",
            "/-/user_settings/two_factor_auth",
        ] {
            let settings = c.get(page).await;
            assert_eq!(settings.status, StatusCode::FOUND, "{page}");
            assert_eq!(
                settings.headers.get(header::LOCATION).unwrap(),
                "/users/sign_in"
            );
        }
        assert_eq!(c.get("/no/such/page").await.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(oversized_bodies_get_413_and_a_busy_hasher_503, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let mut c = Client::new(app(&t, st.clone()).await);
    let big = "a".repeat(crate::server::MAX_BODY_BYTES + 1);
    let r = c
        .call("sign_in", &[("login", &big), ("password", "x")])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    let _flood = st.passwords.occupy_all(2).await;
    let r = c
        .call("sign_in", &[("login", "anyone"), ("password", "whatever")])
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "5");
});

/// Rows in the session store.
async fn session_rows(t: &super::support::TestDb) -> i64 {
    let sql = match t.db.backend {
        crate::server::db::Backend::Sqlite => "SELECT COUNT(*) FROM tower_sessions",
        crate::server::db::Backend::Postgres => "SELECT COUNT(*) FROM tower_sessions.session",
    };
    sqlx::query_scalar(sql).fetch_one(&t.db.pool).await.unwrap()
}

both_backends!(failed_anonymous_form_posts_store_no_session, |t| {
    let clock = ManualClock::at(T0);
    let router = app(&t, state(&t, &clock)).await;
    let mut c = Client::new(router.clone());
    c.sign_up("kim").await;
    c.call("sign_out", &[]).await;
    let before = session_rows(&t).await;
    for i in 0..50 {
        let mut visitor = Client::new(router.clone());
        let r = visitor
            .submit(
                "sign_in",
                "http://localhost/users/sign_in",
                &[("login", "nobody"), ("password", &format!("guess-{i}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(visitor.cookie, None, "no session for a failed form");
    }
    assert_eq!(session_rows(&t).await, before);
    // The message still reaches the page the browser goes back to, once.
    let mut visitor = Client::new(router.clone());
    visitor
        .submit(
            "sign_in",
            "http://localhost/users/sign_in",
            &[("login", "kim"), ("password", "wrong-one")],
        )
        .await;
    let page = visitor.get("/users/sign_in").await;
    assert!(
        page.body.contains("Invalid login or password."),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"kim\""), "{}", page.body);
    let again = visitor.get("/users/sign_in").await;
    assert!(!again.body.contains("Invalid login or password."));
    assert_eq!(session_rows(&t).await, before);
});

both_backends!(sign_ups_are_limited_per_address, |t| {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    use tower::ServiceExt;
    let clock = ManualClock::at(T0);
    let router = app(&t, state(&t, &clock)).await;
    let sign_up = |name: String, ip: [u8; 4]| {
        let router = router.clone();
        async move {
            let body =
                format!("username={name}&email={name}%40example.com&password=secret-password");
            let mut req = Request::post("/_fn/sign_up")
                .header(header::HOST, "localhost")
                .header("sec-fetch-site", "same-origin")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body))
                .unwrap();
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((ip, 50_000))));
            router.oneshot(req).await.unwrap()
        }
    };
    for i in 0..10 {
        let r = sign_up(format!("user{i}"), [198, 51, 100, 1]).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let refused = sign_up("user10".into(), [198, 51, 100, 1]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "360");
    let other = sign_up("user11".into(), [198, 51, 100, 2]).await;
    assert_eq!(other.status(), StatusCode::OK);

    // Another instance on the same database enforces the same quota…
    let db_b =
        crate::server::db::Db::connect_with(&t.url, crate::server::tests::support::timeouts())
            .await
            .unwrap();
    let router_b = app(
        &t,
        crate::server::tests::support::state_over(db_b, &t, &clock, |_| {}),
    )
    .await;
    let mut req = Request::post("/_fn/sign_up")
        .header(header::HOST, "localhost")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(
            "username=user12&email=user12%40example.com&password=secret-password",
        ))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([198, 51, 100, 1], 50_000))));
    let on_b = router_b.oneshot(req).await.unwrap();
    assert_eq!(
        on_b.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "shared, not per instance"
    );
    // …and six minutes later the address may make one more, then waits again.
    clock.advance(360);
    let later = sign_up("user13".into(), [198, 51, 100, 1]).await;
    assert_eq!(later.status(), StatusCode::OK);
    let again = sign_up("user14".into(), [198, 51, 100, 1]).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
});

both_backends!(
    an_operators_password_reset_signs_out_everywhere_and_is_audited,
    |t| {
        use crate::server::services::{accounts, audit};
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let mut lee = Client::new(app(&t, st.clone()).await);
        lee.sign_up("lee").await;
        assert_eq!(lee.whoami().await.as_deref(), Some("lee"));
        let user = accounts::find_by_username(&st, "lee")
            .await
            .unwrap()
            .unwrap();
        let operator = audit::Actor::command_line();
        // A password the sign-up form would refuse is refused here too.
        let short = accounts::reset_password(&st, &operator, &user, "short").await;
        assert!(
            matches!(short, Err(crate::server::services::ServiceError::Invalid(ref f)) if f[0].field == "password")
        );
        accounts::reset_password(&st, &operator, &user, "a-new-long-password")
            .await
            .unwrap();
        assert_eq!(lee.whoami().await, None, "every session ends");
        assert!(accounts::authenticate(&st, "lee", "a-new-long-password")
            .await
            .is_ok());
        assert!(accounts::authenticate(&st, "lee", "secret-password")
            .await
            .is_err());
        let (events, _) = audit::list(
            &st,
            &audit::Filter {
                action: Some("password_reset".to_owned()),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
        assert_eq!(events.len(), 1);
    }
);
