use super::support::{app, both_backends, database_contents, state, Client, Rest, T0};
use crate::domain::two_factor::{Authenticator, PasswordRefused, STEP_SECONDS};
use crate::server::clock::{Clock, ManualClock};
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::two_factor::{self, GateError};
use crate::server::services::{accounts, ServiceError};
use crate::server::state::AppState;
use axum::http::{header, StatusCode};
use serde_json::Value;

const PAGE: &str = "/-/user_settings/two_factor_auth";
const PASSWORD: &str = "secret-password";

/// The authenticator an app builds from the key the page shows.
fn app_from_key(manual_key: &str, username: &str) -> Authenticator {
    let secret = totp_rs::Secret::Encoded(manual_key.replace(' ', ""))
        .to_bytes()
        .unwrap();
    Authenticator::new(&secret, username).unwrap()
}

/// A user with two-factor authentication on (confirmed at the clock's
/// current step), their app, and their recovery codes.
async fn enrolled(st: &AppState, name: &str) -> (User, Authenticator, Vec<String>) {
    let user = accounts::register(st, name, &format!("{name}@example.com"), PASSWORD, false)
        .await
        .unwrap();
    enrol(st, user).await
}

/// Turns two-factor authentication on for `user` as the settings page
/// does (confirmed at the clock's current step): the user as they are
/// now, their app, and their recovery codes.
pub(super) async fn enrol(st: &AppState, user: User) -> (User, Authenticator, Vec<String>) {
    two_factor::begin_enrolment(st, &user).await.unwrap();
    let enrolment = two_factor::enrolment(st, &user).await.unwrap().unwrap();
    let app = app_from_key(&enrolment.manual_key, &user.username);
    let codes =
        two_factor::confirm_enrolment(st, &Actor::user(&user), &user, &app.code_at(st.now()))
            .await
            .unwrap();
    let user = crate::server::db::users::find_by_id(&st.db, user.id)
        .await
        .unwrap()
        .unwrap();
    assert!(user.two_factor_enabled);
    (user, app, codes)
}

/// Submits `answer` 8 times at once; how many submissions succeeded.
async fn racing_wins(st: &AppState, user: &User, answer: &str) -> usize {
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (st, user, answer) = (st.clone(), user.clone(), answer.to_owned());
            tokio::spawn(async move { two_factor::verify_second_step(&st, &user, &answer).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            wins += 1;
        }
    }
    wins
}

/// Writes a user's sealed TOTP secret straight into the database.
async fn store_sealed(
    t: &super::support::TestDb,
    user_id: crate::domain::ids::UserId,
    sealed: &str,
) {
    sqlx::query("UPDATE users SET otp_secret = $1 WHERE id = $2")
        .bind(sealed)
        .bind(user_id)
        .execute(&t.db.pool)
        .await
        .unwrap();
}

fn wrong_code(reply_or_err: &Result<(), ServiceError>) -> bool {
    matches!(reply_or_err, Err(ServiceError::Invalid(f)) if f[0].field == "code")
}

both_backends!(enrolment_over_http_then_sign_in_with_a_code, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("tess").await;

    // Nothing to show before the password is entered again.
    let page = Client::json(&c.call("load_two_factor", &[]).await);
    assert_eq!(page["enabled"], false);
    assert!(page["enrolment"].is_null());
    let r = c.call("start_two_factor", &[("password", "wrong")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = c.call("start_two_factor", &[("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let page = Client::json(&c.call("load_two_factor", &[]).await);
    let enrolment = &page["enrolment"];
    let key = enrolment["manual_key"].as_str().unwrap();
    assert!(enrolment["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(enrolment["uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Forgekey:tess?secret="));
    let phone = app_from_key(key, "tess");

    // A wrong code leaves it off.
    let r = c.call("confirm_two_factor", &[("code", "000000")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        Client::json(&c.call("load_two_factor", &[]).await)["enabled"],
        false
    );

    let enrol_code = phone.code_at(clock.now());
    let r = c.call("confirm_two_factor", &[("code", &enrol_code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let codes = Client::json(&r);
    assert_eq!(codes.as_array().unwrap().len(), 10);
    let page = Client::json(&c.call("load_two_factor", &[]).await);
    assert_eq!(page["enabled"], true);
    assert_eq!(page["recovery_codes_left"], 10);

    // Sign out, sign in: the password alone signs nobody in.
    c.call("sign_out", &[]).await;
    let r = c
        .call("sign_in", &[("login", "tess"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.headers.get(header::LOCATION).unwrap(),
        "/users/two_factor"
    );
    let pending_cookie = c.cookie.clone();
    assert_eq!(c.whoami().await, None);
    let r = c.call("load_tokens", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "pending is signed out");
    assert_eq!(
        Client::json(&c.call("second_step_pending", &[]).await),
        true
    );

    // The enrolment's code was used: replay refused.
    let r = c.call("verify_two_factor", &[("code", &enrol_code)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(c.whoami().await, None);

    clock.advance(STEP_SECONDS);
    let r = c
        .call(
            "verify_two_factor",
            &[("code", &phone.code_at(clock.now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/");
    assert_ne!(
        c.cookie, pending_cookie,
        "session id cycled at the second step"
    );
    assert_eq!(c.whoami().await.as_deref(), Some("tess"));
    assert_eq!(
        Client::json(&c.call("second_step_pending", &[]).await),
        false
    );
});

both_backends!(the_pending_step_expires_after_five_minutes, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (_, phone, _) = enrolled(&st, "uma").await;
    let router = app(&t, st).await;
    clock.advance(STEP_SECONDS);

    let mut late = Client::new(router.clone());
    let r = late
        .call("sign_in", &[("login", "uma"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut in_time = Client::new(router.clone());
    in_time
        .call("sign_in", &[("login", "uma"), ("password", PASSWORD)])
        .await;

    clock.advance(5 * 60 - 1);
    let r = in_time
        .call(
            "verify_two_factor",
            &[("code", &phone.code_at(clock.now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "4:59 is in time: {}", r.body);

    clock.advance(STEP_SECONDS + 1);
    assert_eq!(
        Client::json(&late.call("second_step_pending", &[]).await),
        false
    );
    let r = late
        .call(
            "verify_two_factor",
            &[("code", &phone.code_at(clock.now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("SignInExpired"), "{}", r.body);
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), "/users/sign_in");
    assert_eq!(late.whoami().await, None);
});

both_backends!(
    racing_submissions_of_one_code_yield_exactly_one_success,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let (user, phone, _) = enrolled(&st, "vic").await;
        clock.advance(STEP_SECONDS);
        let code = phone.code_at(clock.now());
        let wins = racing_wins(&st, &user, &code).await;
        assert_eq!(wins, 1, "one code, one sign-in");

        // Likewise for a recovery code (of another user: the losers above
        // counted as wrong codes and locked Vic's second step).
        let (user, _, codes) = enrolled(&st, "viv").await;
        let wins = racing_wins(&st, &user, &codes[0]).await;
        assert_eq!(wins, 1, "one recovery code, one sign-in");
    }
);

both_backends!(recovery_codes_work_once_and_regenerating_voids_them, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (user, _, codes) = enrolled(&st, "wes").await;
    assert!(codes.iter().all(|c| c.len() == 16));
    // Typed in upper case with a dash, as people do.
    let typed = format!("{}-{}", &codes[0][..8], &codes[0][8..]).to_uppercase();
    assert_eq!(
        two_factor::verify_second_step(&st, &user, &typed).await,
        Ok(())
    );
    assert!(wrong_code(
        &two_factor::verify_second_step(&st, &user, &codes[0]).await
    ));
    assert_eq!(
        two_factor::status(&st, &user)
            .await
            .unwrap()
            .recovery_codes_left,
        9
    );

    let fresh = two_factor::regenerate_recovery_codes(&st, &Actor::user(&user), &user)
        .await
        .unwrap();
    assert!(wrong_code(
        &two_factor::verify_second_step(&st, &user, &codes[1]).await
    ));
    assert_eq!(
        two_factor::verify_second_step(&st, &user, &fresh[1]).await,
        Ok(())
    );

    // No code, no secret in the clear in the database.
    let contents = database_contents(&t).await;
    for code in codes.iter().chain(&fresh) {
        assert!(
            !contents.contains(code.as_str()),
            "recovery code stored in the clear"
        );
    }
    let enrolment_key = {
        two_factor::disable(&st, &Actor::user(&user), &user)
            .await
            .unwrap();
        two_factor::begin_enrolment(&st, &user).await.unwrap();
        let e = two_factor::enrolment(&st, &user).await.unwrap().unwrap();
        e.manual_key.replace(' ', "")
    };
    let contents = database_contents(&t).await;
    assert!(
        !contents.contains(&enrolment_key),
        "TOTP secret stored in the clear"
    );
});

both_backends!(a_tampered_or_moved_secret_fails_closed, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (xena, phone, _) = enrolled(&st, "xena").await;
    let (yuri, _, _) = enrolled(&st, "yuri").await;
    clock.advance(STEP_SECONDS);
    let sealed: String = sqlx::query_scalar("SELECT otp_secret FROM users WHERE id = $1")
        .bind(xena.id)
        .fetch_one(&t.db.pool)
        .await
        .unwrap();

    // Xena's secret copied onto Yuri does not open: Xena's codes don't
    // sign Yuri in.
    store_sealed(&t, yuri.id, &sealed).await;
    let code = phone.code_at(clock.now());
    assert_eq!(
        two_factor::verify_second_step(&st, &yuri, &code).await,
        Err(ServiceError::Internal)
    );

    // One flipped digit anywhere in the ciphertext: refused, never passed.
    let mut tampered = sealed.clone();
    let last = tampered.len() - 1;
    let flipped = if &sealed[last..] == "0" { "1" } else { "0" };
    tampered.replace_range(last.., flipped);
    store_sealed(&t, xena.id, &tampered).await;
    assert_eq!(
        two_factor::verify_second_step(&st, &xena, &code).await,
        Err(ServiceError::Internal)
    );
    // Restored, the same code works.
    store_sealed(&t, xena.id, &sealed).await;
    assert_eq!(
        two_factor::verify_second_step(&st, &xena, &code).await,
        Ok(())
    );
});

both_backends!(five_wrong_codes_lock_the_second_step, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (user, phone, codes) = enrolled(&st, "zoe").await;
    clock.advance(STEP_SECONDS);
    for _ in 0..4 {
        assert!(wrong_code(
            &two_factor::verify_second_step(&st, &user, "000000").await
        ));
    }
    assert_eq!(
        two_factor::verify_second_step(&st, &user, "000000").await,
        Err(ServiceError::TwoFactorLocked { minutes: 15 })
    );
    // Locked: even the right code and a recovery code wait.
    let code = phone.code_at(clock.now());
    assert!(matches!(
        two_factor::verify_second_step(&st, &user, &code).await,
        Err(ServiceError::TwoFactorLocked { .. })
    ));
    assert!(matches!(
        two_factor::verify_second_step(&st, &user, &codes[0]).await,
        Err(ServiceError::TwoFactorLocked { .. })
    ));
    clock.advance(15 * 60);
    let code = phone.code_at(clock.now());
    assert_eq!(
        two_factor::verify_second_step(&st, &user, &code).await,
        Ok(())
    );
});

both_backends!(the_password_gate_for_non_browser_clients, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    accounts::register(&st, "amy", "amy@example.com", PASSWORD, false)
        .await
        .unwrap();
    enrolled(&st, "ben").await;
    let gate = |login: &'static str, password: &'static str, allowed: bool| {
        let st = st.clone();
        async move { two_factor::authenticate_password_client(&st, login, password, allowed).await }
    };
    assert_eq!(gate("amy", PASSWORD, true).await.unwrap().username, "amy");
    assert_eq!(
        gate("amy", "wrong", true).await.unwrap_err(),
        GateError::InvalidCredentials
    );
    assert_eq!(
        gate("amy", PASSWORD, false).await.unwrap_err(),
        GateError::Refused(PasswordRefused::PasswordsDisabled)
    );
    // Refused passwords are refused before they are checked: a right and a
    // wrong one get the same answer, and neither counts towards the lock.
    assert_eq!(
        gate("amy", "wrong", false).await.unwrap_err(),
        GateError::Refused(PasswordRefused::PasswordsDisabled)
    );
    for _ in 0..12 {
        assert_eq!(
            gate("ben", "wrong", true).await.unwrap_err(),
            GateError::InvalidCredentials
        );
    }
    assert_eq!(
        gate("ben", PASSWORD, true).await.unwrap_err(),
        GateError::InvalidCredentials
    );
    assert!(accounts::authenticate(&st, "ben", PASSWORD).await.is_ok());
});

both_backends!(without_javascript_recovery_codes_are_shown_once, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("cleo").await;
    let r = c
        .submit("start_two_factor", PAGE, &[("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let page = c.get(PAGE).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<svg"),
        "the QR code is drawn on the server"
    );
    let key_start = page.body.find("data-testid=\"manual-key\"").unwrap();
    let key: String = page.body[key_start..]
        .split('>')
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .trim()
        .to_owned();
    let phone = app_from_key(&key, "cleo");

    let r = c
        .submit(
            "confirm_two_factor",
            PAGE,
            &[("code", &phone.code_at(clock.now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.body);
    let cookie = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("forgekey_recovery_codes="))
        .expect("the sealed codes travel in a cookie");
    assert!(cookie.contains("Path=/-/user_settings/two_factor_auth; "));
    assert!(cookie.contains("HttpOnly"));

    let page = c.get(PAGE).await;
    let shown = page.body.matches("data-testid=\"recovery-code\"").count();
    assert_eq!(shown, 10, "{}", page.body);
    // The codes never travel in the redirect, not even in its body.
    let first_code = page
        .body
        .split("data-testid=\"recovery-code\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .trim()
        .to_owned();
    assert!(!first_code.is_empty(), "{}", page.body);
    assert!(!r.body.contains(&first_code), "{}", r.body);
    assert!(
        !c.others.contains_key("forgekey_recovery_codes"),
        "cookie cleared"
    );
    let again = c.get(PAGE).await;
    assert_eq!(
        again.body.matches("data-testid=\"recovery-code\"").count(),
        0
    );
    assert!(again.body.contains("Two-factor authentication is enabled"));

    // Disabling needs the password.
    let r = c
        .submit("disable_two_factor", PAGE, &[("password", "wrong")])
        .await;
    assert_eq!(r.status, StatusCode::FOUND);
    let page = c.get(PAGE).await;
    assert!(page.body.contains("Invalid password."), "{}", page.body);
    c.submit("disable_two_factor", PAGE, &[("password", PASSWORD)])
        .await;
    let page = c.get(PAGE).await;
    assert!(page
        .body
        .contains("Two-factor authentication has been disabled."));
    let v: Value = Client::json(&c.call("current_user", &[]).await);
    assert_eq!(v["two_factor_enabled"], false);
});

both_backends!(confirming_needs_a_recent_password, |t| {
    let clock = ManualClock::at(T0);
    let mut c = Client::new(app(&t, state(&t, &clock)).await);
    c.sign_up("dax").await;
    c.call("start_two_factor", &[("password", PASSWORD)]).await;
    let page = Client::json(&c.call("load_two_factor", &[]).await);
    let phone = app_from_key(page["enrolment"]["manual_key"].as_str().unwrap(), "dax");
    clock.advance(10 * 60);
    let page = Client::json(&c.call("load_two_factor", &[]).await);
    assert!(
        page["enrolment"].is_null(),
        "the key is not shown after the window"
    );
    let r = c
        .call(
            "confirm_two_factor",
            &[("code", &phone.code_at(clock.now()))],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("ReauthRequired"));

    // A re-entered password belongs to its sign-in: someone signing in on
    // the same browser right after does not inherit it.
    c.call("start_two_factor", &[("password", PASSWORD)]).await;
    let mut other = Client::new(c.app.clone());
    other.sign_up("eli").await;
    let r = c
        .call("sign_in", &[("login", "eli"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(c.whoami().await.as_deref(), Some("eli"));
    let r = c.call("confirm_two_factor", &[("code", "123456")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("ReauthRequired"), "{}", r.body);
});

both_backends!(administrators_see_who_has_two_factor_on, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let admin = accounts::register(&st, "root", "root@example.com", PASSWORD, true)
        .await
        .unwrap();
    let (with, _, _) = enrolled(&st, "eve").await;
    let token = crate::server::tests::support::api_token(&st, &admin, "t", "2026-02-01")
        .await
        .secret;
    let router = app(&t, st.clone()).await;
    let r = Rest::get(&router, "/api/v4/users?two_factor=enabled")
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = Client::json(&r);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["eve"]);
    assert_eq!(list[0]["two_factor_enabled"], true);
    let r = Rest::get(&router, "/api/v4/users?two_factor=disabled")
        .token(&token)
        .send()
        .await;
    let list = Client::json(&r);
    assert_eq!(list[0]["username"], "root");
    assert_eq!(list[0]["two_factor_enabled"], false);
    let r = Rest::get(&router, "/api/v4/users?two_factor=maybe")
        .token(&token)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = Rest::get(&router, format!("/api/v4/users/{}", with.id))
        .token(&token)
        .send()
        .await;
    assert_eq!(Client::json(&r)["two_factor_enabled"], true);
});
