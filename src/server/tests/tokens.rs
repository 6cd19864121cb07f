use super::support::{
    app, both_backends, broken_descriptions, database_contents, input_tag, state, tag, Client, T0,
};
use crate::domain::token;
use crate::server::clock::ManualClock;
use axum::http::{header, StatusCode};
use serde_json::Value;

const PAGE: &str = "/-/user_settings/personal_access_tokens";

/// T0 is 2026-01-01; this is within the allowed year.
const EXPIRES: &str = "2026-02-01";

async fn create(c: &mut Client, name: &str, scopes: &[&str]) -> Value {
    let mut form = vec![("name", name), ("expires_at", EXPIRES)];
    form.extend(scopes.iter().map(|s| ("scopes[]", *s)));
    let r = c.call("create_token", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    Client::json(&r)
}

async fn load(c: &mut Client) -> Value {
    let r = c.call("load_tokens", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    Client::json(&r)
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(secrets_appear_nowhere_in_the_database, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let mut c = Client::new(app(&t, st.clone()).await);
    c.sign_up("dora").await;
    // One token through JavaScript, one through a plain form post (whose
    // one-time reveal goes through the session store, in the same database).
    let js = create(&mut c, "js token", &["api"]).await;
    let js_secret = js["secret"].as_str().unwrap().to_owned();
    let r = c
        .submit(
            "create_token",
            PAGE,
            &[
                ("name", "form token"),
                ("expires_at", EXPIRES),
                ("scopes[]", "read_api"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    // The secret never travels in the redirect, not even in its body.
    assert!(!r.body.contains(token::DEFAULT_PREFIX), "{}", r.body);
    let page = c.get(PAGE).await;
    let form_secret = page
        .body
        .split("value=\"")
        .map(|rest| rest.split('"').next().unwrap())
        .find(|v| v.starts_with(token::DEFAULT_PREFIX))
        .expect("the page shows the new secret")
        .to_owned();
    assert_eq!(token::check_shape(&form_secret), Ok(()));

    if t.db.backend == crate::server::db::Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(FULL)")
            .execute(&t.db.pool)
            .await
            .unwrap();
    }
    let contents = database_contents(&t).await;
    assert!(
        contents.contains("form token"),
        "the dump should see the rows"
    );
    for secret in [&js_secret, &form_secret] {
        assert!(
            !contents.contains(secret.as_str()),
            "secret stored in clear"
        );
        assert!(
            !contents.contains(&secret[6..30]),
            "part of a secret stored"
        );
        // PostgreSQL's dump shows binary columns (the session data) as hex.
        assert!(
            !contents.contains(&hex::encode(&secret[6..30])),
            "secret in binary data"
        );
        assert!(contents.contains(&crate::server::services::tokens::digest(&st, secret).to_hex()));
    }
});

both_backends!(create_list_and_revoke_with_javascript, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("erin").await;
    let created = create(&mut c, "deploy", &["read_user", "api"]).await;
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(token::check_shape(secret), Ok(()));
    assert!(secret.starts_with("fkpat-"));
    assert_eq!(
        created["token"]["scopes"],
        serde_json::json!(["api", "read_user"])
    );
    // 2026-02-01T00:00:00Z
    assert_eq!(created["token"]["expires_at"], 1_769_904_000);

    let page = load(&mut c).await;
    assert_eq!(names(&page["active"]), ["deploy"]);
    assert_eq!(page["expiry"]["suggested"], "2026-01-31");
    assert_eq!(page["expiry"]["earliest"], "2026-01-02");
    assert_eq!(page["expiry"]["latest"], "2027-01-01");
    assert!(
        !page.to_string().contains(secret),
        "the list never carries a secret"
    );
    assert_eq!(page["revealed"], Value::Null);

    let id = created["token"]["id"].as_i64().unwrap().to_string();
    let r = c.call("revoke_token", &[("id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    clock.advance(60);
    let again = c.call("revoke_token", &[("id", &id)]).await;
    assert_eq!(again.status, StatusCode::OK, "revoking twice is fine");
    assert_eq!(
        Client::json(&again)["revoked_at"],
        T0,
        "the first revocation stands"
    );
    let page = load(&mut c).await;
    assert_eq!(names(&page["active"]), Vec::<String>::new());
    assert_eq!(names(&page["inactive"]), ["deploy"]);
});

both_backends!(bad_input_is_refused_field_by_field, |t| {
    let clock = ManualClock::at(T0);
    let mut admin = Client::new(app(&t, state(&t, &clock)).await);
    admin.sign_up("root").await;
    let mut c = Client::new(admin.app.clone());
    c.sign_up("fay").await;

    let r = c
        .call(
            "create_token",
            &[("name", " "), ("expires_at", "2026-01-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = Client::json(&r)["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["name", "expires_at", "scopes"]);

    for (expires, scope) in [
        ("2027-01-02", "api"),
        (EXPIRES, "sudo"),
        (EXPIRES, "everything"),
    ] {
        let r = c
            .call(
                "create_token",
                &[("name", "x"), ("expires_at", expires), ("scopes[]", scope)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expires} {scope}"
        );
    }
    // Administrators may choose sudo and admin_mode.
    create(&mut admin, "admin", &["sudo", "admin_mode"]).await;
    assert_eq!(names(&load(&mut c).await["active"]), Vec::<String>::new());

    let mut anonymous = Client::new(c.app.clone());
    let r = anonymous
        .call(
            "create_token",
            &[("name", "x"), ("expires_at", EXPIRES), ("scopes[]", "api")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(other_users_tokens_look_like_missing_ones, |t| {
    let clock = ManualClock::at(T0);
    let mut owner = Client::new(app(&t, state(&t, &clock)).await);
    owner.sign_up("gus").await;
    let created = create(&mut owner, "mine", &["api"]).await;
    let id = created["token"]["id"].as_i64().unwrap();

    let mut other = Client::new(owner.app.clone());
    other.sign_up("hal").await;
    assert_eq!(
        names(&load(&mut other).await["active"]),
        Vec::<String>::new()
    );
    let theirs = other.call("revoke_token", &[("id", &id.to_string())]).await;
    let missing = other
        .call("revoke_token", &[("id", &(id + 1000).to_string())])
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!((theirs.status, theirs.body), (missing.status, missing.body));
    assert_eq!(names(&load(&mut owner).await["active"]), ["mine"]);
});

both_backends!(tokens_expire_at_midnight_utc_on_their_date, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("ida").await;
    create(&mut c, "short", &["api"]).await;
    clock.advance(1_769_904_000 - T0 - 1); // 2026-01-31T23:59:59Z
    assert_eq!(names(&load(&mut c).await["active"]), ["short"]);
    clock.advance(1); // 2026-02-01T00:00:00Z
    let page = load(&mut c).await;
    assert_eq!(names(&page["active"]), Vec::<String>::new());
    assert_eq!(names(&page["inactive"]), ["short"]);
});

both_backends!(without_javascript_the_secret_shows_exactly_once, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("jan").await;
    let r = c
        .submit(
            "create_token",
            PAGE,
            &[
                ("name", "laptop"),
                ("expires_at", EXPIRES),
                ("scopes[]", "read_repository"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(r.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with(PAGE));
    let set_cookie: Vec<&str> = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    let reveal = set_cookie
        .iter()
        .find(|c| c.starts_with("forgekey_reveal="))
        .expect("a sealed reveal cookie");
    assert!(reveal.contains("Path=/-/user_settings/personal_access_tokens"));
    assert!(reveal.contains("HttpOnly"));
    assert!(!reveal.contains("fkpat-"));
    let sealed = c.others["forgekey_reveal"].clone();

    let first = c.get(PAGE).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.headers[header::CACHE_CONTROL], "no-store");
    assert!(first
        .body
        .contains("Your new personal access token has been created."));
    assert!(first.body.contains("fkpat-"), "the secret is shown");
    assert!(
        !c.others.contains_key("forgekey_reveal"),
        "the cookie is cleared"
    );

    let reload = c.get(PAGE).await;
    assert!(!reload.body.contains("fkpat-"), "a reload shows nothing");
    assert!(reload.body.contains("laptop"));
    // Replaying the sealed cookie does not bring it back either.
    c.others.insert("forgekey_reveal".into(), sealed);
    let replay = c.get(PAGE).await;
    assert!(!replay.body.contains("fkpat-"));
});

both_backends!(revoking_without_javascript_confirms_first, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("kim").await;
    let id = create(&mut c, "old", &["api"]).await["token"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let confirm_url = format!("{PAGE}?revoke={id}");
    let confirm = c.get(&confirm_url).await;
    assert!(confirm.body.contains("data-testid=\"revoke-dialog\""));
    assert!(confirm.body.contains("This cannot be undone."));
    let r = c.submit("revoke_token", &confirm_url, &[("id", &id)]).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[header::LOCATION], PAGE);
    let page = c.get(PAGE).await;
    assert!(page.body.contains("The token was revoked."));
    assert!(page.body.contains("Inactive personal access tokens (1)"));
    assert!(page.body.contains("Active personal access tokens (0)"));
    assert!(!page.body.contains("data-testid=\"revoke-dialog\""));
});

both_backends!(
    listing_filters_in_sql_agree_with_the_token_state_rule,
    |t| {
        use crate::domain::scope::Scope;
        use crate::domain::token::TokenDigest;
        use crate::server::db::tokens::{self as rows, Between, NewTokenRow, TokenFilter};
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let owner = crate::server::tests::support::register(&st, "alice").await;
        let other = crate::server::tests::support::register(&st, "bob").await;
        // Expiring before, at, just after and long after T0; never; revoked.
        let cases: [(&str, crate::domain::ids::UserId, Option<i64>, bool); 7] = [
            ("past", owner.id, Some(T0 - 86_400), false),
            ("at midnight", owner.id, Some(T0), false),
            ("a second later", owner.id, Some(T0 + 1), false),
            ("Next Year", owner.id, Some(T0 + 365 * 86_400), false),
            ("forever", owner.id, None, false),
            ("revoked 100%_x", owner.id, Some(T0 + 86_400), true),
            ("bob's", other.id, None, false),
        ];
        for (i, (name, user_id, expires_at, revoked)) in cases.into_iter().enumerate() {
            let digest = TokenDigest::of(b"k", &format!("secret {i}"));
            let token = rows::insert(
                &t.db.pool,
                &NewTokenRow {
                    user_id,
                    name,
                    description: None,
                    digest: &digest,
                    scopes: &[Scope::Api],
                    created_at: T0 - 1_000 + i as i64,
                    expires_at,
                    family_id: None,
                    impersonation: false,
                    created_by: None,
                    allowed_ips: &Default::default(),
                    projects: &Default::default(),
                },
            )
            .await
            .unwrap();
            if revoked {
                rows::set_revoked(&t.db.pool, token.id, Some(T0 - 5))
                    .await
                    .unwrap();
            }
        }
        let all = rows::page(&t.db, &TokenFilter::default(), true, 0, 100)
            .await
            .unwrap()
            .0;
        assert_eq!(all.len(), 7);
        let names = |list: &[rows::Token]| list.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
        for now in [T0 - 1, T0, T0 + 1, T0 + 400 * 86_400] {
            for active in [true, false] {
                let filter = TokenFilter {
                    user_id: Some(owner.id),
                    active_at: Some((active, now)),
                    ..TokenFilter::default()
                };
                let (page, total) = rows::page(&t.db, &filter, true, 0, 100).await.unwrap();
                let expected: Vec<_> = all
                    .iter()
                    .filter(|t| t.user_id == owner.id && t.state(now).is_active() == active)
                    .cloned()
                    .collect();
                assert_eq!(names(&page), names(&expected), "active={active} at {now}");
                assert_eq!(total, expected.len() as i64);
            }
        }
        // Paging counts every match; search is case-blind and takes % and _
        // literally; ranges exclude rows without the instant.
        let first = TokenFilter {
            user_id: Some(owner.id),
            ..TokenFilter::default()
        };
        let (page, total) = rows::page(&t.db, &first, true, 2, 2).await.unwrap();
        assert_eq!(
            (names(&page), total),
            (vec!["Next Year".to_owned(), "a second later".to_owned()], 6)
        );
        // The last page, partly filled, and a page past the end both know
        // the total (one without counting, one by counting).
        for (offset, shown) in [(4, 2), (5, 1), (6, 0), (40, 0)] {
            let (page, total) = rows::page(&t.db, &first, true, offset, 4).await.unwrap();
            assert_eq!((page.len(), total), (shown, 6), "offset {offset}");
        }
        let search = |s: &str| TokenFilter {
            search: crate::domain::search::NameSearch::parse(s),
            ..TokenFilter::default()
        };
        let found = rows::page(&t.db, &search("NEXT"), true, 0, 100)
            .await
            .unwrap()
            .0;
        assert_eq!(names(&found), ["Next Year"]);
        let found = rows::page(&t.db, &search("100%_"), true, 0, 100)
            .await
            .unwrap()
            .0;
        assert_eq!(names(&found), ["revoked 100%_x"]);
        assert!(rows::page(&t.db, &search("0%x"), true, 0, 100)
            .await
            .unwrap()
            .0
            .is_empty());
        let revoked = TokenFilter {
            revoked: Some(true),
            ..TokenFilter::default()
        };
        let found = rows::page(&t.db, &revoked, true, 0, 100).await.unwrap().0;
        assert_eq!(names(&found), ["revoked 100%_x"]);
        let expiring = TokenFilter {
            expires: Between {
                after: Some(T0),
                before: Some(T0 + 2 * 86_400),
            },
            ..TokenFilter::default()
        };
        let found = rows::page(&t.db, &expiring, true, 0, 100).await.unwrap().0;
        // GitLab's bounds: `expires_after` inclusive, `expires_before` not.
        assert_eq!(
            names(&found),
            ["revoked 100%_x", "a second later", "at midnight"]
        );
        let expiring = TokenFilter {
            expires: Between {
                after: None,
                before: Some(T0 + 86_400),
            },
            ..TokenFilter::default()
        };
        let found = rows::page(&t.db, &expiring, true, 0, 100).await.unwrap().0;
        assert_eq!(names(&found), ["a second later", "at midnight", "past"]);
        // Creation and last use: both ends inclusive.
        let created = TokenFilter {
            created: Between {
                after: Some(T0 - 1_000 + 1),
                before: Some(T0 - 1_000 + 2),
            },
            ..TokenFilter::default()
        };
        let found = rows::page(&t.db, &created, true, 0, 100).await.unwrap().0;
        assert_eq!(names(&found), ["a second later", "at midnight"]);
    }
);

/// Inserts a token named `name` for `user_id` straight into the table.
async fn insert_named(
    db: &crate::server::db::Db,
    user_id: crate::domain::ids::UserId,
    name: &str,
) -> crate::server::db::tokens::Token {
    use crate::domain::scope::Scope;
    use crate::domain::token::TokenDigest;
    use crate::server::db::tokens::{self as rows, NewTokenRow};
    let digest = TokenDigest::of(b"k", name);
    rows::insert(
        &db.pool,
        &NewTokenRow {
            user_id,
            name,
            description: None,
            digest: &digest,
            scopes: &[Scope::Api],
            created_at: T0,
            expires_at: None,
            family_id: None,
            impersonation: false,
            created_by: None,
            allowed_ips: &Default::default(),
            projects: &Default::default(),
        },
    )
    .await
    .unwrap()
}

both_backends!(
    name_search_reads_queries_as_gitlab_does_and_its_index_follows_every_change,
    |t| {
        use crate::domain::search::NameSearch;
        use crate::server::db::tokens::{self as rows, TokenFilter};
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let alice = crate::server::tests::support::register(&st, "alice").await;
        let bob = crate::server::tests::support::register(&st, "bob").await;
        for name in [
            "Deploy key",
            "deploy",
            "CI deploy key",
            "ci",
            "Ci",
            "release notes",
        ] {
            insert_named(&t.db, alice.id, name).await;
        }
        insert_named(&t.db, bob.id, "bob deploy key").await;
        let names = |user: Option<crate::domain::ids::UserId>, query: &str| {
            let filter = TokenFilter {
                user_id: user,
                search: NameSearch::parse(query),
                ..TokenFilter::default()
            };
            let db = t.db.clone();
            async move {
                let (page, total) = rows::page(&db, &filter, true, 0, 100).await.unwrap();
                assert_eq!(total, page.len() as i64);
                page.into_iter().map(|t| t.name).collect::<Vec<_>>()
            }
        };
        // Every word of three characters or more, in any case and order;
        // through the name index (everyone's tokens) and without it (one
        // user's).
        for (user, bobs) in [(None, true), (Some(alice.id), false)] {
            let with_bob = |mut names: Vec<&'static str>| {
                if bobs {
                    names.insert(0, "bob deploy key");
                }
                names
            };
            assert_eq!(
                names(user, "KEY deploy").await,
                with_bob(vec!["CI deploy key", "Deploy key"])
            );
            assert_eq!(
                names(user, "ploy").await,
                with_bob(vec!["CI deploy key", "deploy", "Deploy key"])
            );
            assert_eq!(
                names(user, r#""y k""#).await,
                with_bob(vec!["CI deploy key", "Deploy key"])
            );
            assert_eq!(names(user, "deploy notes").await, Vec::<String>::new());
            // Short words alone: the whole name, in any case.
            assert_eq!(names(user, "CI").await, ["Ci", "ci"]);
            assert_eq!(names(user, "ci x").await, Vec::<String>::new());
            // A short word beside a long one is left out, as GitLab does.
            assert_eq!(names(user, "ci notes").await, ["release notes"]);
        }
        // The index follows renames and deletions.
        sqlx::query(
            "UPDATE personal_access_tokens SET name = 'renamed' WHERE name = 'release notes'",
        )
        .execute(&t.db.pool)
        .await
        .unwrap();
        assert_eq!(names(None, "notes").await, Vec::<String>::new());
        assert_eq!(names(None, "renamed").await, ["renamed"]);
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(bob.id)
            .execute(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(
            names(None, "deploy key").await,
            ["CI deploy key", "Deploy key"]
        );
    }
);

both_backends!(
    keyset_pages_walk_every_matching_token_once_in_either_order,
    |t| {
        use crate::domain::search::NameSearch;
        use crate::server::db::tokens::{self as rows, IdRange, TokenFilter};
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let alice = crate::server::tests::support::register(&st, "alice").await;
        let mut ids = Vec::new();
        for i in 0..23 {
            let name = if i % 3 == 0 {
                format!("other {i}")
            } else {
                format!("deploy {i}")
            };
            ids.push((insert_named(&t.db, alice.id, &name).await.id, name));
        }
        for search in [None, NameSearch::parse("deploy")] {
            for newest_first in [true, false] {
                let mut expected: Vec<_> = ids
                    .iter()
                    .filter(|(_, name)| search.is_none() || name.starts_with("deploy"))
                    .map(|(id, _)| *id)
                    .collect();
                if newest_first {
                    expected.reverse();
                }
                let mut seen = Vec::new();
                let mut cursor = None;
                loop {
                    let filter = TokenFilter {
                        search: search.clone(),
                        ids: if newest_first {
                            IdRange {
                                after: None,
                                before: cursor,
                            }
                        } else {
                            IdRange {
                                after: cursor,
                                before: None,
                            }
                        },
                        ..TokenFilter::default()
                    };
                    let (page, more) = rows::keyset(&t.db, &filter, newest_first, 5).await.unwrap();
                    assert!(page.len() <= 5);
                    seen.extend(page.iter().map(|t| t.id));
                    if !more {
                        break;
                    }
                    cursor = page.last().map(|t| t.id.get());
                }
                assert_eq!(
                    seen, expected,
                    "search {search:?}, newest first {newest_first}"
                );
            }
        }
    }
);

both_backends!(
    usage_of_more_tokens_than_tracked_is_still_written_once,
    |t| {
        use crate::server::services::audit::Actor;
        use crate::server::usage::UsageRecorder;
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let root = crate::server::tests::support::register(&st, "root").await;
        let mut made = Vec::new();
        for i in 0..30 {
            let created = crate::server::services::tokens::create(
                &st,
                &Actor::user(&root),
                &root,
                &format!("t{i}"),
                "2026-02-01",
                &["api"],
            )
            .await
            .unwrap();
            made.push(created.token);
        }
        // Tracks ten: the thirty uses overflow it.
        let usage = std::sync::Arc::new(UsageRecorder::with_capacity(10));
        for token in &made {
            usage.note(&st.db, token, T0 + 5, None);
        }
        let written = || async {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM personal_access_tokens WHERE last_used_at = $1",
            )
            .bind(T0 + 5)
            .fetch_one(&st.db.pool)
            .await
            .unwrap()
        };
        for _ in 0..100 {
            if written().await == 30 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(written().await, 30, "every use recorded");
        // Again within the interval: whether still tracked or forgotten, the
        // database keeps the first write (no row is written twice).
        for token in &made {
            usage.note(&st.db, token, T0 + 65, None);
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(written().await, 30, "none written again within ten minutes");
    }
);

both_backends!(old_addresses_and_prefilled_links_reach_a_filled_form, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("lee").await;
    // GitLab's older addresses redirect for good, keeping the query.
    let query = "name=CI%20deploy&scopes=api,read_user,no_such_scope";
    for old in [
        "/-/profile/personal_access_tokens",
        "/profile/personal_access_tokens",
    ] {
        let r = c.get(&format!("{old}?{query}")).await;
        assert_eq!(r.status, StatusCode::MOVED_PERMANENTLY, "{old}");
        assert_eq!(r.headers[header::LOCATION], format!("{PAGE}?{query}"));
        let bare = c.get(old).await;
        assert_eq!(bare.headers[header::LOCATION], PAGE);
    }
    let r = c.get("/-/profile/two_factor_auth").await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/-/user_settings/two_factor_auth"
    );

    // The link fills the form (GitLab 14.1+): the name, and the boxes of
    // the scopes it names that exist.
    let page = c.get(&format!("{PAGE}?{query}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // The form, closed behind "Add new token" otherwise, is open for it.
    let form = tag(&page.body, "details", "add-token-form");
    assert!(form.contains(" open"), "the form is open: {form}");
    assert!(input_tag(&page.body, "field-name").contains("value=\"CI deploy\""));
    assert!(input_tag(&page.body, "scope-api").contains("checked"));
    assert!(input_tag(&page.body, "scope-read_user").contains("checked"));
    assert!(!input_tag(&page.body, "scope-read_api").contains("checked"));
    // Without a prefill the form is closed and nothing is checked.
    let plain = c.get(PAGE).await;
    assert!(!tag(&plain.body, "details", "add-token-form").contains(" open"));
    assert_eq!(broken_descriptions(&plain.body), Vec::<String>::new());
    assert_eq!(broken_descriptions(&page.body), Vec::<String>::new());
    assert!(!input_tag(&plain.body, "scope-api").contains("checked"));
    assert!(input_tag(&plain.body, "field-name").contains("value=\"\""));
    // The form says what an empty expiry date gives (T0 is 2026-01-01).
    assert!(plain
        .body
        .contains("Leave it empty for the longest lifetime allowed, 365 days (until 2027-01-01)."));
    assert!(!input_tag(&plain.body, "field-expires_at").contains("required"));
    // A refused plain post comes back with its errors described and its
    // first wrong field focused.
    let r = c
        .submit("create_token", PAGE, &[("name", " "), ("expires_at", "")])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let refused = c.get(PAGE).await;
    assert!(refused.body.contains("Enter a name for the token."));
    assert_eq!(broken_descriptions(&refused.body), Vec::<String>::new());
    assert!(input_tag(&refused.body, "field-name").contains("autofocus"));
    assert!(!input_tag(&refused.body, "field-expires_at").contains("autofocus"));
    // And it gives it, without JavaScript too.
    let r = c
        .submit(
            "create_token",
            PAGE,
            &[("name", "a year"), ("expires_at", ""), ("scopes[]", "api")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let list = load(&mut c).await;
    let tokens = list["active"].as_array().unwrap();
    let year = tokens.iter().find(|t| t["name"] == "a year").unwrap();
    assert_eq!(
        year["expires_at"],
        token::expires_at(time::macros::date!(2027 - 01 - 01)).unix_timestamp()
    );
});
