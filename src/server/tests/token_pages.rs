//! The Access Tokens page beyond create and revoke: descriptions, the edit
//! and rotate pages (with JavaScript: the server functions; without: form
//! posts and the pages they come back to), and the list's search, filter
//! and order.

use super::support::{app, both_backends, broken_descriptions, input_tag, state, Client, Rest, T0};
use crate::domain::token;
use crate::server::clock::ManualClock;
use axum::http::{header, StatusCode};
use serde_json::Value;
use sqlx::Row;

const PAGE: &str = "/-/user_settings/personal_access_tokens";

async fn create(c: &mut Client, name: &str, description: &str, expires: &str) -> Value {
    let form = [
        ("name", name),
        ("description", description),
        ("expires_at", expires),
        ("scopes[]", "api"),
    ];
    let r = c.call("create_token", &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    Client::json(&r)
}

fn id_of(created: &Value) -> String {
    created["token"]["id"].as_i64().unwrap().to_string()
}

async fn list(c: &mut Client, query: &[(&str, &str)]) -> Value {
    let r = c.call("load_tokens", query).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    Client::json(&r)
}

fn names(page: &Value, section: &str) -> Vec<String> {
    page[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn actions(t: &super::support::TestDb) -> Vec<String> {
    sqlx::query("SELECT action FROM audit_events ORDER BY id")
        .fetch_all(&t.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("action"))
        .collect()
}

both_backends!(descriptions_are_kept_edited_and_rotated_along, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let app = app(&t, st.clone()).await;
    let mut c = Client::new(app.clone());
    c.sign_up("ines").await;
    let created = create(
        &mut c,
        "deploy",
        "  Deploys the staging site ",
        "2026-02-01",
    )
    .await;
    assert_eq!(created["token"]["description"], "Deploys the staging site");
    let id = id_of(&created);

    // Too long, or with a text-direction override: refused by field, and
    // nothing is made.
    let long = "x".repeat(token::DESCRIPTION_MAX + 1);
    for bad in [long.as_str(), "evil\u{202E}txt"] {
        let form = [("name", "other"), ("description", bad), ("expires_at", "")];
        let r = c.call("create_token", &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("description"), "{}", r.body);
    }

    // Edited later; empty clears it; each change on the record.
    let r = c
        .call(
            "describe_token",
            &[("id", &id), ("description", "Nightly backups")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = list(&mut c, &[]).await;
    assert_eq!(names(&page, "active"), ["deploy"]);
    assert_eq!(page["active"][0]["description"], "Nightly backups");
    assert_eq!(
        actions(&t).await.last().map(String::as_str),
        Some("token_description_changed")
    );

    // Rotation keeps name, description and scopes; an empty date is what
    // a new token's is (the longest allowed: T0 is 2026-01-01).
    let r = c
        .call("rotate_token", &[("id", &id), ("expires_at", "")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rotated = Client::json(&r);
    let secret = rotated["secret"].as_str().unwrap();
    assert_eq!(token::check_shape(secret), Ok(()));
    assert_eq!(rotated["token"]["name"], "deploy");
    assert_eq!(rotated["token"]["description"], "Nightly backups");
    assert_eq!(rotated["token"]["scopes"], serde_json::json!(["api"]));
    assert_eq!(
        rotated["token"]["expires_at"],
        token::expires_at(time::macros::date!(2027 - 01 - 01)).unix_timestamp()
    );
    let page = list(&mut c, &[]).await;
    assert_eq!(names(&page, "active"), ["deploy"]);
    assert_eq!(names(&page, "inactive"), ["deploy"]);
    assert_ne!(page["active"][0]["id"], page["inactive"][0]["id"]);
    // The new secret works; the old token is gone.
    let me = Rest::get(&app, "/api/v4/personal_access_tokens/self")
        .token(secret)
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(Client::json(&me)["description"], "Nightly backups");

    // The old one can be neither rotated nor described again.
    let again = c
        .call("rotate_token", &[("id", &id), ("expires_at", "")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let r = c
        .call("describe_token", &[("id", &id), ("description", "x")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A date out of range is refused by field.
    let new_id = rotated["token"]["id"].as_i64().unwrap().to_string();
    let r = c
        .call(
            "rotate_token",
            &[("id", &new_id), ("expires_at", "2030-01-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("expires_at"), "{}", r.body);

    // Another user's token is missing, whatever its id.
    let mut other = Client::new(app.clone());
    other.sign_up("jon").await;
    for (fn_name, form) in [
        (
            "describe_token",
            [("id", new_id.as_str()), ("description", "mine")],
        ),
        (
            "rotate_token",
            [("id", new_id.as_str()), ("expires_at", "")],
        ),
        ("load_token", [("id", new_id.as_str()), ("_", "")]),
    ] {
        let r = other.call(fn_name, &form).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{fn_name}: {}", r.body);
    }
    let page = list(&mut c, &[]).await;
    assert_eq!(page["active"][0]["description"], "Nightly backups");
});

both_backends!(the_api_takes_and_shows_a_description, |t| {
    let s = crate::server::tests::support::Scenario::new(&t).await;
    let root = crate::server::tests::support::register(&s.st, "root").await;
    let admin =
        crate::server::tests::support::token_with_scopes(&s.st, &root, &["api", "sudo"]).await;
    let r = Rest::post(
        &s.app,
        format!("/api/v4/users/{}/personal_access_tokens", root.id),
    )
    .token(&admin.1)
    .json(serde_json::json!({
        "name": "ci", "scopes": ["read_api"], "description": "Runs the nightly job"
    }))
    .send()
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = Client::json(&r);
    assert_eq!(created["description"], "Runs the nightly job");
    let id = created["id"].as_i64().unwrap();
    // Rotating through the API keeps it.
    let r = Rest::post(
        &s.app,
        format!("/api/v4/personal_access_tokens/{id}/rotate"),
    )
    .token(&admin.1)
    .send()
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(Client::json(&r)["description"], "Runs the nightly job");
    // A token without one says null, as GitLab does.
    let r = Rest::get(&s.app, "/api/v4/personal_access_tokens/self")
        .token(&admin.1)
        .send()
        .await;
    assert_eq!(Client::json(&r)["description"], Value::Null);
});

both_backends!(edit_and_rotate_work_without_javascript, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("kai").await;
    // A link may prefill the description too (GitLab 17.7).
    let page = c
        .get(&format!("{PAGE}?name=ci&description=From%20a%20link"))
        .await;
    assert!(input_tag(&page.body, "field-description").contains("value=\"From a link\""));
    let id = id_of(&create(&mut c, "laptop", "", "2026-02-01").await);

    // The list links to each token's pages.
    let page = c.get(PAGE).await;
    let edit = format!("{PAGE}/{id}/edit");
    let rotate = format!("{PAGE}/{id}/rotate");
    assert!(page.body.contains(&format!("href=\"{edit}\"")));
    assert!(page.body.contains(&format!("href=\"{rotate}\"")));

    // Edit: the form, as the server renders it.
    let form = c.get(&edit).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("data-testid=\"token-summary\""));
    assert!(input_tag(&form.body, "field-description").contains("value=\"\""));
    assert_eq!(broken_descriptions(&form.body), Vec::<String>::new());
    // The whole token is on the form: name, expiry, its scopes checked.
    assert!(input_tag(&form.body, "field-name").contains("value=\"laptop\""));
    assert!(input_tag(&form.body, "field-expires_at").contains("value=\"2026-02-01\""));
    assert!(input_tag(&form.body, "scope-api").contains("checked"));
    // Refused: back to the page, as typed, with the error.
    let long = "y".repeat(token::DESCRIPTION_MAX + 1);
    let edited = |description: &str| {
        [
            ("id", id.clone()),
            ("name", "laptop".to_owned()),
            ("description", description.to_owned()),
            ("expires_at", "2026-02-01".to_owned()),
            ("scopes[]", "api".to_owned()),
            ("allowed_ips", String::new()),
            ("projects", String::new()),
        ]
    };
    let refused_form = edited(&long);
    let sent: Vec<(&str, &str)> = refused_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c.submit("edit_token", &edit, &sent).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[header::LOCATION], edit);
    let refused = c.get(&edit).await;
    assert!(refused.body.contains("The description is too long"));
    assert!(input_tag(&refused.body, "field-description").contains(&format!("value=\"{long}\"")));
    // Saved: to the list, which says so and shows it.
    let saved_form = edited("Work laptop");
    let sent: Vec<(&str, &str)> = saved_form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = c.submit("edit_token", &edit, &sent).await;
    assert_eq!(r.headers[header::LOCATION], PAGE);
    let list = c.get(PAGE).await;
    assert!(list.body.contains("The token was saved."));
    assert!(list.body.contains("Work laptop"));

    // Rotate: the new secret is shown once, on the list.
    let form = c.get(&rotate).await;
    assert!(form.body.contains("Rotate token"));
    assert!(input_tag(&form.body, "field-expires_at").contains("value=\"2026-01-31\""));
    let r = c
        .submit(
            "rotate_token",
            &rotate,
            &[("id", &id), ("expires_at", "2026-03-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[header::LOCATION], PAGE);
    assert!(!r.body.contains(token::DEFAULT_PREFIX));
    let shown = c.get(PAGE).await;
    assert!(shown
        .body
        .contains("Your new personal access token “laptop”"));
    assert!(shown.body.contains(token::DEFAULT_PREFIX));
    assert!(shown.body.contains("Inactive personal access tokens (1)"));
    let reload = c.get(PAGE).await;
    assert!(!reload.body.contains(token::DEFAULT_PREFIX), "shown once");

    // The rotated-away token's pages say it can no longer change.
    let gone = c.get(&edit).await;
    assert!(gone.body.contains("This token is no longer active"));
    assert!(!gone.body.contains("field-description"));
    // A refused rotation comes back to its page with the date typed.
    let rotated = list_first_active(&mut c).await;
    let rotate = format!("{PAGE}/{rotated}/rotate");
    let r = c
        .submit(
            "rotate_token",
            &rotate,
            &[("id", &rotated), ("expires_at", "2031-01-01")],
        )
        .await;
    assert_eq!(r.headers[header::LOCATION], rotate);
    let refused = c.get(&rotate).await;
    assert!(
        refused.body.contains("field-expires_at"),
        "{}",
        refused.body
    );
    assert!(input_tag(&refused.body, "field-expires_at").contains("value=\"2031-01-01\""));
    assert!(input_tag(&refused.body, "field-expires_at").contains("aria-invalid=\"true\""));
});

async fn list_first_active(c: &mut Client) -> String {
    let page = list(c, &[]).await;
    page["active"][0]["id"].as_i64().unwrap().to_string()
}

both_backends!(the_list_searches_filters_and_sorts, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let mut c = Client::new(app(&t, st.clone()).await);
    c.sign_up("lou").await;
    // T0 is 2026-01-01. Four days later: "old" has expired, "soon"
    // expires within the week, "later" does not, "gone" is revoked.
    create(&mut c, "old", "", "2026-01-03").await;
    let soon = id_of(&create(&mut c, "soon deploy", "", "2026-01-10").await);
    create(&mut c, "later deploy", "", "2026-03-01").await;
    let gone = id_of(&create(&mut c, "gone", "", "2026-03-01").await);
    let r = c.call("revoke_token", &[("id", &gone)]).await;
    assert_eq!(r.status, StatusCode::OK);
    clock.advance(4 * 86_400);

    let shown = |page: &Value| {
        let mut all = names(page, "active");
        all.extend(names(page, "inactive"));
        all
    };
    // (what the address asks, what the list shows)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 7] = [
        // Active first, then the others; each newest first.
        (&[], &["later deploy", "soon deploy", "gone", "old"]),
        (
            &[("list_state", "active")],
            &["later deploy", "soon deploy"],
        ),
        (&[("list_state", "expiring_soon")], &["soon deploy"]),
        (&[("list_state", "expired")], &["old"]),
        (&[("list_state", "revoked")], &["gone"]),
        (&[("search", "DEPLOY")], &["later deploy", "soon deploy"]),
        (
            &[("sort", "created_asc"), ("list_state", "bogus")],
            &["soon deploy", "later deploy", "old", "gone"],
        ),
    ];
    for (query, expected) in cases {
        let page = list(&mut c, query).await;
        assert_eq!(shown(&page), expected, "{query:?}");
        assert_eq!(page["matching"], expected.len(), "{query:?}");
        assert_eq!(page["any"], true);
    }
    // Nothing matching is not "no tokens".
    let page = list(&mut c, &[("search", "nothing like it")]).await;
    assert_eq!(page["matching"], 0);
    assert_eq!(page["any"], true);

    // The page: the form keeps what was asked; a badge marks what expires
    // soon; the addresses a token was used from are listed.
    crate::server::db::tokens::record_uses(
        &st.db,
        &[(
            crate::domain::ids::TokenId(soon.parse().unwrap()),
            T0 + 4 * 86_400,
            vec!["203.0.113.7".into(), "2001:db8::1".into()],
        )],
        0,
    )
    .await
    .unwrap();
    let page = c
        .get(&format!("{PAGE}?state=active&sort=expires_asc&search=dep"))
        .await;
    assert!(
        page.body.contains("<option value=\"active\" selected"),
        "state kept"
    );
    assert!(
        page.body.contains("<option value=\"expires_asc\" selected"),
        "sort kept"
    );
    assert!(input_tag(&page.body, "token-search").contains("value=\"dep\""));
    assert_eq!(page.body.matches("data-testid=\"expires-soon\"").count(), 1);
    assert!(page.body.contains("from 203.0.113.7, 2001:db8::1"));
    let soon_at = page.body.find("soon deploy").unwrap();
    let later_at = page.body.find("later deploy").unwrap();
    assert!(soon_at < later_at, "expires soonest first");
    assert!(!page.body.contains(">old<"), "expired tokens filtered out");
});
