//! "Forgot your password?": the mailed link, once, within the hour; the
//! same answer for every address; per-address limits; every session
//! ended; the outbox and the database never holding the link in clear.

use super::support::{app, both_backends, database_contents, input_tag, state, Client, T0};
use crate::domain::account::{RESET_LINK_SECONDS, RESET_PREFIX};
use crate::server::clock::ManualClock;
use crate::server::db::outbox;
use crate::server::mailer::Mailer;
use crate::server::services::mail::{deliver_due, SEALED_PART};
use crate::server::state::AppState;
use axum::http::{header, StatusCode};
use lettre::transport::stub::AsyncStubTransport;
use sqlx::Row;

const FORGOT: &str = "/users/password/new";

async fn outbox_count(st: &AppState) -> i64 {
    outbox::list(&st.db, 0, 1).await.unwrap().1
}

/// Delivers what is due and returns the reset links mailed, in order.
async fn delivered_links(st: &AppState) -> Vec<String> {
    let stub = AsyncStubTransport::new_ok();
    let mailer = Mailer::stub(stub.clone(), "Forgekey <keys@example.com>".parse().unwrap());
    deliver_due(st, &mailer, 50).await.unwrap();
    stub.messages()
        .await
        .iter()
        .filter_map(|(_, raw)| {
            // Quoted-printable, as lettre sends long lines.
            let raw = raw.replace("=\r\n", "").replace("=3D", "=");
            let at = raw.find("/users/password/edit?reset_password_token=")?;
            let link = &raw[at..];
            let end = link.find(|c: char| c.is_whitespace()).unwrap_or(link.len());
            Some(link[..end].to_owned())
        })
        .collect()
}

fn secret_of(link: &str) -> &str {
    link.split("reset_password_token=").nth(1).unwrap()
}

async fn reset(
    c: &mut Client,
    link: &str,
    password: &str,
    confirmation: &str,
) -> super::support::Reply {
    let form = [
        ("reset_password_token", secret_of(link)),
        ("password", password),
        ("password_confirmation", confirmation),
    ];
    c.call("reset_password", &form).await
}

async fn link_works(c: &mut Client, link: &str) -> bool {
    let r = c
        .call(
            "check_reset_link",
            &[("reset_password_token", secret_of(link))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body == "true"
}

async fn actions(t: &super::support::TestDb) -> Vec<(String, String)> {
    sqlx::query("SELECT action, details FROM audit_events ORDER BY id")
        .fetch_all(&t.db.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("action"), r.get("details")))
        .collect()
}

both_backends!(a_mailed_link_resets_the_password_once, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let app = app(&t, st.clone()).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let mut ann = Client::new(app.clone());
    ann.sign_up("ann").await;
    let mut visitor = Client::new(app.clone());

    // The same answer whether or not the account exists; a mail only for
    // a real one, and one a minute at most.
    let mut answers = Vec::new();
    for email in ["ann@example.com", "nobody@example.com", "ANN@example.com"] {
        let r = visitor
            .call("request_password_reset", &[("email", email)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        answers.push(r.body);
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(outbox_count(&st).await, 1);
    let r = visitor
        .call("request_password_reset", &[("email", " ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The outbox shows a placeholder; the database holds no link.
    let (mails, _) = outbox::list(&st.db, 0, 10).await.unwrap();
    assert_eq!(mails[0].recipient, "ann@example.com");
    assert!(mails[0].body.contains(SEALED_PART), "{}", mails[0].body);
    assert!(!mails[0].body.contains(RESET_PREFIX));
    let links = delivered_links(&st).await;
    assert_eq!(links.len(), 1, "the recipient gets the link");
    let first = links[0].clone();
    assert!(first.starts_with("/users/password/edit?reset_password_token=fkrst-"));
    assert!(!database_contents(&t).await.contains(secret_of(&first)));

    // A minute later, a second link: both work until one is used.
    clock.advance(60);
    let r = visitor
        .call("request_password_reset", &[("email", "ann")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let second = delivered_links(&st).await.pop().expect("a second mail");

    // The page checks the link before asking for a password.
    let page = visitor.get(&first).await;
    assert!(input_tag(&page.body, "field-password").contains("type=\"password\""));
    let bogus = visitor
        .get("/users/password/edit?reset_password_token=fkrst-nonsense")
        .await;
    assert!(bogus
        .body
        .contains("This link to reset your password is not valid"));
    assert!(!bogus.body.contains("field-password"));

    // A mismatch is refused by field, and the link still works.
    let r = reset(&mut visitor, &first, "new-password-1", "other").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("password_confirmation"), "{}", r.body);
    assert!(!r.body.contains("reset_password_token"), "{}", r.body);
    assert!(link_works(&mut visitor, &first).await);

    // Used: ann's every session ends, the new password signs in.
    assert_eq!(ann.whoami().await.as_deref(), Some("ann"));
    let r = reset(&mut visitor, &first, "new-password-1", "new-password-1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(ann.whoami().await, None, "signed out everywhere");
    let mut again = Client::new(app.clone());
    let r = again
        .call(
            "sign_in",
            &[("login", "ann"), ("password", "new-password-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        actions(&t).await.last().unwrap(),
        &("password_reset".to_owned(), "with a reset link".to_owned())
    );

    // Neither link works again: one use, and the account's other links
    // end with it.
    for link in [&first, &second] {
        let r = reset(&mut visitor, link, "new-password-2", "new-password-2").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("reset_password_token"), "{}", r.body);
    }

    // A new link works for exactly an hour.
    clock.advance(60);
    visitor
        .call("request_password_reset", &[("email", "ann@example.com")])
        .await;
    let third = delivered_links(&st).await.pop().expect("a third mail");
    clock.advance(RESET_LINK_SECONDS - 1);
    assert!(
        link_works(&mut visitor, &third).await,
        "works in its last second"
    );
    clock.advance(1);
    assert!(
        !link_works(&mut visitor, &third).await,
        "expired after an hour"
    );
});

both_backends!(asking_is_limited_per_address, |t| {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use std::net::SocketAddr;
    use tower::ServiceExt;
    let clock = ManualClock::at(T0);
    let router = app(&t, state(&t, &clock)).await;
    let ask = |ip: [u8; 4]| {
        let router = router.clone();
        async move {
            let mut req = Request::post("/_fn/request_password_reset")
                .header(header::HOST, "localhost")
                .header("sec-fetch-site", "same-origin")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from("email=someone%40example.com"))
                .unwrap();
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((ip, 50_000))));
            router.oneshot(req).await.unwrap()
        }
    };
    for _ in 0..crate::domain::account::RESET_REQUESTS_PER_HOUR {
        assert_eq!(ask([198, 51, 100, 9]).await.status(), StatusCode::OK);
    }
    let refused = ask([198, 51, 100, 9]).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "720");
    assert_eq!(ask([198, 51, 100, 10]).await.status(), StatusCode::OK);
    // Twelve minutes later, one more.
    clock.advance(720);
    assert_eq!(ask([198, 51, 100, 9]).await.status(), StatusCode::OK);
});

both_backends!(without_javascript_and_from_the_admin_area, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let app = app(&t, st.clone()).await;
    let mut root = Client::new(app.clone());
    root.sign_up("root").await;
    let mut bea = Client::new(app.clone());
    bea.sign_up("bea").await;

    // The sign-in page links to the form; a plain post comes back with
    // the answer.
    let mut visitor = Client::new(app.clone());
    let sign_in = visitor.get("/users/sign_in").await;
    assert!(sign_in.body.contains(&format!("href=\"{FORGOT}\"")));
    let r = visitor
        .submit(
            "request_password_reset",
            FORGOT,
            &[("email", "bea@example.com")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.headers[header::LOCATION], FORGOT);
    let page = visitor.get(FORGOT).await;
    assert!(page
        .body
        .contains("If your email address exists in our database"));
    let link = delivered_links(&st).await.pop().unwrap();

    // The link's page: a refused form comes back to it; a new password
    // leads to signing in.
    let short = [
        ("reset_password_token", secret_of(&link)),
        ("password", "short"),
        ("password_confirmation", "short"),
    ];
    let r = visitor.submit("reset_password", &link, &short).await;
    assert_eq!(r.headers[header::LOCATION], link.as_str());
    let refused = visitor.get(&link).await;
    assert!(refused.body.contains("Password is too short"));
    let good = [
        ("reset_password_token", secret_of(&link)),
        ("password", "a-new-password"),
        ("password_confirmation", "a-new-password"),
    ];
    let r = visitor.submit("reset_password", &link, &good).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let done = visitor.get(&link).await;
    assert!(done
        .body
        .contains("Your password has been changed successfully."));
    assert!(done.body.contains("href=\"/users/sign_in\""));
    assert!(!done.body.contains("field-password"));

    // An administrator sends a link from the user's page, on the record;
    // nobody else may.
    let bea_id = crate::server::services::accounts::find_by_username(&st, "bea")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let before = outbox_count(&st).await;
    let denied = bea.call("send_reset_link", &[("user_id", &bea_id)]).await;
    assert_ne!(denied.status, StatusCode::OK);
    let admin_page = root.get("/admin/users/bea").await;
    assert!(admin_page.body.contains("Send reset link"));
    let r = root.call("send_reset_link", &[("user_id", &bea_id)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("bea@example.com"), "{}", r.body);
    assert_eq!(outbox_count(&st).await, before + 1);
    assert_eq!(
        actions(&t).await.last().unwrap().0,
        "password_reset_link_sent"
    );
    let mailed = delivered_links(&st).await;
    assert_eq!(mailed.len(), 1);
});
