//! Limits on guessing secrets hold under synchronized bursts: hundreds of
//! real requests released together by a barrier never get more secrets
//! checked than the limit allows (10 passwords, 5 second-step codes, 10
//! Git authentications per address).

use super::git::{erin_with_a_repo, info_refs};
use super::support::{app, both_backends, register, state, Client, T0};
use super::two_factor::enrol;
use crate::domain::token::{format_secret, DEFAULT_PREFIX};
use crate::domain::two_factor::STEP_SECONDS;
use crate::server::clock::{Clock, ManualClock};
use crate::server::services::{two_factor, ServiceError};
use axum::http::StatusCode;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

const BURST: usize = 500;

/// Runs `n` requests made by `make`, released together; their statuses in
/// order.
async fn at_once<F, Fut>(n: usize, make: F) -> Vec<StatusCode>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = StatusCode> + Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, request) = (barrier.clone(), make(i));
            tokio::spawn(async move {
                barrier.wait().await;
                request.await
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(n);
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

fn tally(statuses: &[StatusCode]) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for s in statuses {
        *counts.entry(s.as_u16()).or_default() += 1;
    }
    counts
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

both_backends!(five_hundred_passwords_at_once_check_at_most_ten, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    register(&st, "kim").await;
    let router = app(&t, st.clone()).await;
    let hashes_before = st.passwords.operations();
    let statuses = at_once(BURST, |i| {
        let mut c = Client::new(router.clone());
        let guess = format!("guess-number-{i}");
        async move {
            c.call("sign_in", &[("login", "kim"), ("password", &guess)])
                .await
                .status
        }
    })
    .await;
    let checked = st.passwords.operations() - hashes_before;
    let counts = tally(&statuses);
    // Every answer is "wrong" (checked), "locked" or "busy" (not checked).
    assert_eq!(
        count(&statuses, StatusCode::UNAUTHORIZED)
            + count(&statuses, StatusCode::LOCKED)
            + count(&statuses, StatusCode::SERVICE_UNAVAILABLE),
        BURST,
        "{counts:?}"
    );
    // Exactly the limit: every slot was used, and no more. The tenth wrong
    // password is answered "locked", as when they come one by one.
    assert_eq!(checked, 10, "{checked} passwords checked: {counts:?}");
    assert_eq!(count(&statuses, StatusCode::UNAUTHORIZED), 9, "{counts:?}");
    // The tenth wrong one locked the account: the right password waits.
    let mut owner = Client::new(router.clone());
    let r = owner
        .call(
            "sign_in",
            &[("login", "kim"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::LOCKED, "{counts:?} {}", r.body);
    clock.advance(10 * 60);
    let r = owner
        .call(
            "sign_in",
            &[("login", "kim"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});

both_backends!(five_hundred_codes_at_once_check_at_most_five, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let lee = register(&st, "lee").await;
    let (_, phone, codes) = enrol(&st, lee).await;
    clock.advance(STEP_SECONDS);
    let router = app(&t, st.clone()).await;
    let mut c = Client::new(router.clone());
    let r = c
        .call(
            "sign_in",
            &[("login", "lee"), ("password", "secret-password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // One pending sign-in, hammered with wrong codes.
    let statuses = at_once(BURST, |i| {
        let mut attacker = Client {
            app: router.clone(),
            cookie: c.cookie.clone(),
            others: c.others.clone(),
        };
        let guess = format!("{:06}", (i * 7919) % 1_000_000);
        async move {
            attacker
                .call("verify_two_factor", &[("code", &guess)])
                .await
                .status
        }
    })
    .await;
    let counts = tally(&statuses);
    // Four answered "wrong", the fifth "locked": five checked, no more.
    let checked = count(&statuses, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(checked, 4, "{checked} codes checked: {counts:?}");
    assert_eq!(
        checked
            + count(&statuses, StatusCode::LOCKED)
            + count(&statuses, StatusCode::SERVICE_UNAVAILABLE),
        BURST,
        "{counts:?}"
    );
    // Locked: the right code and a recovery code are refused unchecked.
    let code = phone.code_at(clock.now());
    for answer in [code.as_str(), codes[0].as_str()] {
        let r = c.call("verify_two_factor", &[("code", answer)]).await;
        assert_eq!(r.status, StatusCode::LOCKED, "{}", r.body);
    }
});

both_backends!(a_right_code_inside_a_burst_gets_no_extra_guesses, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let max = register(&st, "max").await;
    let (max, phone, _) = enrol(&st, max).await;
    clock.advance(STEP_SECONDS);
    let right = phone.code_at(clock.now());
    // 60 wrong codes and the right one, as measured in the review.
    let results = {
        let barrier = Arc::new(tokio::sync::Barrier::new(61));
        let tasks: Vec<_> = (0..61)
            .map(|i| {
                let (st, max, barrier) = (st.clone(), max.clone(), barrier.clone());
                let answer = if i == 30 {
                    right.clone()
                } else {
                    format!("{:06}", 100_000 + i)
                };
                tokio::spawn(async move {
                    barrier.wait().await;
                    (
                        i == 30,
                        two_factor::verify_second_step(&st, &max, &answer).await,
                    )
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    };
    let wrong_checked = results
        .iter()
        .filter(|(_, r)| matches!(r, Err(ServiceError::Invalid(_))))
        .count();
    let right_result = &results.iter().find(|(is_right, _)| *is_right).unwrap().1;
    match right_result {
        // Checked within the first five slots: a right code starts the
        // count afresh, as a right password does.
        Ok(()) => assert!(wrong_checked <= 4 + 5, "{wrong_checked} checked"),
        // Refused unchecked: the wrong ones used every slot and locked.
        Err(ServiceError::TwoFactorLocked { .. }) | Err(ServiceError::Busy) => {
            assert!(wrong_checked <= 5, "{wrong_checked} checked")
        }
        other => panic!("the right code got {other:?}"),
    }
});

both_backends!(
    two_hundred_forged_tokens_from_one_address_check_at_most_ten,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let (router, read) = erin_with_a_repo(&t, &st).await;
        let attacker = [192, 0, 2, 1];
        let statuses = at_once(200, |i| {
            let router = router.clone();
            // Well-formed (the checksum holds), so each one is looked up.
            let forged = format_secret(DEFAULT_PREFIX, &[i as u8; 32]);
            async move { info_refs(&router, attacker, "erin", &forged).await }
        })
        .await;
        let counts = tally(&statuses);
        let checked = count(&statuses, StatusCode::UNAUTHORIZED);
        assert_eq!(checked, 10, "{checked} checked: {counts:?}");
        assert_eq!(
            checked
                + count(&statuses, StatusCode::TOO_MANY_REQUESTS)
                + count(&statuses, StatusCode::SERVICE_UNAVAILABLE),
            200,
            "{counts:?}"
        );
        assert_eq!(
            info_refs(&router, attacker, "erin", &read).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            info_refs(&router, [192, 0, 2, 2], "erin", &read).await,
            StatusCode::OK
        );
    }
);

both_backends!(valid_git_requests_at_once_from_one_address_all_pass, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let (router, read) = erin_with_a_repo(&t, &st).await;
    // A CI fleet behind one address: successes hold a slot only while
    // they are checked, and never ban.
    let statuses = at_once(100, |_| {
        let (router, read) = (router.clone(), read.clone());
        async move { info_refs(&router, [192, 0, 2, 9], "ci", &read).await }
    })
    .await;
    assert_eq!(
        count(&statuses, StatusCode::OK),
        100,
        "{:?}",
        tally(&statuses)
    );
});

both_backends!(re_entered_passwords_count_towards_the_lock, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let ned = register(&st, "ned").await;
    for _ in 0..9 {
        assert!(matches!(
            two_factor::check_password(&st, &ned, "not-my-password").await,
            Err(ServiceError::Invalid(_))
        ));
    }
    // The tenth wrong one, through another re-check, locks the account.
    assert_eq!(
        crate::server::services::accounts::change_password(
            &st,
            ned.id,
            "not-my-password",
            "a-new-password-1",
            "a-new-password-1",
        )
        .await,
        Err(ServiceError::Locked { minutes: 10 })
    );
    assert_eq!(
        crate::server::services::accounts::authenticate(&st, "ned", "secret-password").await,
        Err(ServiceError::Locked { minutes: 10 })
    );
    assert_eq!(
        two_factor::check_password(&st, &ned, "secret-password").await,
        Err(ServiceError::Locked { minutes: 10 })
    );
});

both_backends!(an_abandoned_check_counts_and_a_crashed_one_lapses, |t| {
    use crate::server::db::attempts::Counter;
    use crate::server::services::attempts;
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let ona = register(&st, "ona").await;
    // Five reservations dropped unsettled (requests abandoned mid-check)
    // count as five wrong codes.
    for _ in 0..5 {
        drop(
            attempts::reserve(&st, Counter::SecondStep, ona.id)
                .await
                .unwrap(),
        );
    }
    let mut locked_until: Option<i64> = None;
    for _ in 0..100 {
        locked_until = sqlx::query_scalar("SELECT otp_locked_until FROM users WHERE id = $1")
            .bind(ona.id)
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        if locked_until.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        locked_until,
        Some(T0 + 15 * 60),
        "abandoned checks did not lock the step"
    );
    // Reservations whose checker died (never settled, never dropped) hold
    // their slots only for the lease.
    for _ in 0..10 {
        std::mem::forget(
            attempts::reserve(&st, Counter::Password, ona.id)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        attempts::reserve(&st, Counter::Password, ona.id)
            .await
            .unwrap_err(),
        attempts::NotNow::Failed(ServiceError::Busy)
    );
    clock.advance(crate::domain::lockout::IN_FLIGHT_LEASE_SECONDS);
    let attempt = attempts::reserve(&st, Counter::Password, ona.id)
        .await
        .unwrap();
    attempt
        .settle(crate::domain::lockout::Outcome::Right)
        .await
        .unwrap();
});
