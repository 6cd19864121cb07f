//! The daily jobs with an injected clock and the outbox, on both backends.

use super::support::{api_token, both_backends, register, state, T0};
use crate::domain::expiry::Job;
use crate::server::clock::{Clock, ManualClock};
use crate::server::db::{outbox, tokens as db_tokens};
use crate::server::services::audit::Actor;
use crate::server::services::jobs::{self, Limits, Report};
use crate::server::services::{admin, tokens};
use crate::server::state::AppState;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The expiry notices sent, oldest first (not the mails about each
/// token's creation).
async fn mails(st: &AppState) -> Vec<outbox::StoredMail> {
    let (mut all, _) = outbox::list(&st.db, 0, 1_000).await.unwrap();
    all.reverse();
    all.retain(|m| m.subject.contains("expire"));
    all
}

async fn run(st: &AppState, job: Job) -> Report {
    jobs::run(st, job, Limits::default()).await.unwrap()
}

both_backends!(each_token_is_notified_once_per_notice, |t| {
    // T0 is 2026-01-01 00:00 UTC.
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let root = register(&st, "root").await;
    let (ann, bob, carol, dave) = (
        register(&st, "ann").await,
        register(&st, "bob").await,
        register(&st, "carol").await,
        register(&st, "dave").await,
    );
    api_token(&st, &ann, "deploy", "2026-01-03").await;
    api_token(&st, &ann, "backup", "2026-01-08").await;
    api_token(&st, &ann, "later", "2026-01-09").await;
    api_token(&st, &ann, "far", "2026-01-20").await;
    api_token(&st, &bob, "ci", "2026-01-05").await;
    api_token(&st, &carol, "blocked owner", "2026-01-04").await;
    let revoked = api_token(&st, &dave, "revoked", "2026-01-04").await;
    crate::server::tests::support::revoke(&st, revoked.token.id).await;
    tokens::issue(
        &st,
        &Actor::user(&root),
        &ann,
        tokens::Issuer::Impersonation(&root),
        tokens::Request {
            name: "imp",
            description: "",
            expires_on: "2026-01-04",
            scopes: &["api"],
            allowed_ips: "",
            projects: "",
        },
    )
    .await
    .unwrap();
    admin::change_user(
        &st,
        &Actor::command_line(),
        carol.id,
        crate::domain::admin::UserChange::Block,
    )
    .await
    .unwrap();

    clock.advance(HOUR); // 2026-01-01 01:00
    let report = run(&st, Job::ExpiringSoon).await;
    assert_eq!(
        report,
        Report {
            mails: 2,
            tokens: 3,
            deleted: 0,
            revoked: 0
        }
    );
    let sent = mails(&st).await;
    assert_eq!(sent.len(), 2);
    let to_ann = sent
        .iter()
        .find(|m| m.recipient == "ann@example.com")
        .unwrap();
    assert_eq!(
        to_ann.subject,
        "2 of your personal access tokens expire soon"
    );
    assert!(
        to_ann
            .body
            .contains("- deploy (expires 2026-01-03)\n- backup (expires 2026-01-08)\n"),
        "{}",
        to_ann.body
    );
    assert!(!to_ann.body.contains("later") && !to_ann.body.contains("imp"));
    let to_bob = sent
        .iter()
        .find(|m| m.recipient == "bob@example.com")
        .unwrap();
    assert_eq!(to_bob.subject, "Your personal access token expires soon");

    // Again the same day (a re-run): nothing new.
    assert_eq!(run(&st, Job::ExpiringSoon).await, Report::default());
    // The next day, only the token that entered the window.
    clock.advance(DAY);
    assert_eq!(run(&st, Job::ExpiringSoon).await.tokens, 1);
    let last = mails(&st).await.pop().unwrap();
    assert!(last.body.contains("- later (expires 2026-01-09)") && !last.body.contains("deploy"));

    // 2026-01-03 02:00: "deploy" expired today; its second notice, once.
    clock.advance(DAY + HOUR);
    assert_eq!(
        run(&st, Job::ExpiringToday).await,
        Report {
            mails: 1,
            tokens: 1,
            deleted: 0,
            revoked: 0
        }
    );
    let last = mails(&st).await.pop().unwrap();
    assert_eq!(last.subject, "Your personal access token expired today");
    assert!(last.body.contains("- deploy (expires 2026-01-03)"));
    assert_eq!(run(&st, Job::ExpiringToday).await, Report::default());
    assert_eq!(mails(&st).await.len(), 4);
});

both_backends!(earlier_notices_come_60_and_30_days_ahead_once_each, |t| {
    let clock = ManualClock::at(T0); // 2026-01-01
    let st = state(&t, &clock);
    let ann = register(&st, "ann").await;
    api_token(&st, &ann, "quarterly", "2026-04-15").await; // 104 days
    api_token(&st, &ann, "monthly", "2026-02-15").await; // 45 days
    api_token(&st, &ann, "short", "2026-01-25").await; // 24 days

    // 01:00: "short" lies in the 30-day window and "monthly" in the 60-day
    // one, but neither was made to last that long: no early notice.
    clock.advance(HOUR);
    assert_eq!(run(&st, Job::Expiring60Days).await, Report::default());
    assert_eq!(run(&st, Job::Expiring30Days).await, Report::default());

    // 2026-01-17: "monthly" expires within 30 days.
    clock.advance(16 * DAY);
    assert_eq!(run(&st, Job::Expiring30Days).await.tokens, 1);
    let last = mails(&st).await.pop().unwrap();
    assert_eq!(
        last.subject,
        "Your personal access token expires within 30 days"
    );
    assert!(
        last.body.contains("- monthly (expires 2026-02-15)"),
        "{}",
        last.body
    );
    assert_eq!(run(&st, Job::Expiring30Days).await, Report::default());

    // 2026-02-14: "quarterly" within 60 days, then 2026-03-16 within 30,
    // each once, and the 7-day notice still to come.
    clock.advance(28 * DAY);
    assert_eq!(run(&st, Job::Expiring60Days).await.tokens, 1);
    let last = mails(&st).await.pop().unwrap();
    assert_eq!(
        last.subject,
        "Your personal access token expires within 60 days"
    );
    assert!(last.body.contains("- quarterly (expires 2026-04-15)"));
    clock.advance(30 * DAY);
    assert_eq!(run(&st, Job::Expiring60Days).await, Report::default());
    assert_eq!(run(&st, Job::Expiring30Days).await.tokens, 1);
    assert_eq!(mails(&st).await.len(), 3);
    clock.advance(23 * DAY); // 2026-04-08: within seven days
    assert_eq!(run(&st, Job::ExpiringSoon).await.tokens, 1);
});

both_backends!(a_crash_mid_batch_is_sent_by_the_next_run_once, |t| {
    let clock = ManualClock::at(T0 + HOUR);
    let st = state(&t, &clock);
    let mut owners = Vec::new();
    for i in 0..5 {
        let u = register(&st, &format!("user{i}")).await;
        api_token(&st, &u, "soon", "2026-01-04").await;
        owners.push(u);
    }
    let crashing = Limits {
        batch_owners: 2,
        crash_in_batch: Some(1),
    };
    assert!(jobs::run(&st, Job::ExpiringSoon, crashing).await.is_err());
    assert_eq!(
        mails(&st).await.len(),
        2,
        "the first batch committed, the second rolled back"
    );
    let report = jobs::run(
        &st,
        Job::ExpiringSoon,
        Limits {
            batch_owners: 2,
            crash_in_batch: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(report.mails, 3);
    let mut recipients: Vec<_> = mails(&st).await.into_iter().map(|m| m.recipient).collect();
    recipients.sort();
    let mut expected: Vec<_> = owners.iter().map(|u| u.email.clone()).collect();
    expected.sort();
    assert_eq!(recipients, expected, "everyone once");
});

both_backends!(revoked_tokens_are_purged_after_the_retention, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let ann = register(&st, "ann").await;
    let old = api_token(&st, &ann, "old", "2026-12-01").await;
    let recent = api_token(&st, &ann, "recent", "2026-12-01").await;
    let active = api_token(&st, &ann, "active", "2026-12-01").await;
    crate::server::tests::support::revoke(&st, old.token.id).await;
    clock.advance(2 * DAY);
    crate::server::tests::support::revoke(&st, recent.token.id).await;
    // 30 days (the default) after the first revocation, one day less for the second.
    clock.advance(28 * DAY - HOUR);
    assert_eq!(run(&st, Job::PurgeRevoked).await.deleted, 0);
    clock.advance(2 * DAY);
    assert_eq!(run(&st, Job::PurgeRevoked).await.deleted, 1);
    assert!(db_tokens::find(&t.db, old.token.id)
        .await
        .unwrap()
        .is_none());
    assert!(db_tokens::find(&t.db, recent.token.id)
        .await
        .unwrap()
        .is_some());
    assert!(db_tokens::find(&t.db, active.token.id)
        .await
        .unwrap()
        .is_some());
});

both_backends!(two_instances_run_each_job_once_a_day, |t| {
    let clock = ManualClock::at(T0 + HOUR - 1); // 00:59:59
                                                // Two instances: separate states (caches, holders) on one database.
    let (one, two) = (state(&t, &clock), state(&t, &clock));
    for i in 0..3 {
        let u = register(&one, &format!("user{i}")).await;
        api_token(&one, &u, "soon", "2026-01-05").await;
    }
    assert_eq!(
        jobs::run_if_due(&one, Job::ExpiringSoon, "one")
            .await
            .unwrap(),
        None,
        "not yet"
    );
    clock.advance(1); // 01:00
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            jobs::run_if_due(&one, Job::ExpiringSoon, "one"),
            jobs::run_if_due(&two, Job::ExpiringSoon, "two"),
        );
        let ran: Vec<Report> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert!(ran.len() <= 1, "{ran:?}");
    }
    assert_eq!(
        mails(&one).await.len(),
        3,
        "one mail per owner, from one instance"
    );
    let last = crate::server::db::jobs::last_day(&t.db, "expiring-soon")
        .await
        .unwrap();
    assert_eq!(last.as_deref(), Some("2026-01-01"));

    // A holder that crashed keeps the lease for 30 minutes, then it lapses.
    clock.advance(DAY); // 2026-01-02 01:00
    let day = "2026-01-02";
    let now = clock_now(&one);
    assert!(crate::server::db::jobs::claim(
        &t.db,
        "purge-revoked",
        "crashed",
        now,
        now + 1_800,
        day,
        false
    )
    .await
    .unwrap());
    assert_eq!(
        jobs::run_if_due(&two, Job::PurgeRevoked, "two")
            .await
            .unwrap(),
        None
    );
    clock.advance(1_800);
    assert!(jobs::run_if_due(&two, Job::PurgeRevoked, "two")
        .await
        .unwrap()
        .is_some());
    // An operator's run happens even on a day that already ran.
    assert!(
        jobs::run_now(&one, Job::PurgeRevoked, "cli", Limits::default())
            .await
            .unwrap()
            .is_some()
    );
});

fn clock_now(st: &AppState) -> i64 {
    st.now()
}

both_backends!(an_instance_shutting_down_gives_its_leases_back, |t| {
    use crate::server::db::jobs as leases;
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let until = T0 + 3_600;
    assert!(
        leases::claim(&st.db, "expiring_soon", "a", T0, until, "2026-01-01", false)
            .await
            .unwrap()
    );
    assert!(
        !leases::claim(&st.db, "expiring_soon", "b", T0, until, "2026-01-01", false)
            .await
            .unwrap(),
        "held by a"
    );
    assert_eq!(jobs::release_leases(&st, "a").await.unwrap(), 1);
    assert!(
        leases::claim(&st.db, "expiring_soon", "b", T0, until, "2026-01-01", false)
            .await
            .unwrap(),
        "free at once, not in an hour"
    );
    assert_eq!(jobs::release_leases(&st, "a").await.unwrap(), 0);
});

both_backends!(unused_tokens_are_warned_then_revoked_a_week_later, |t| {
    use crate::server::services::audit;
    use crate::server::tests::support::change_settings;
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let ann = register(&st, "ann").await;
    let idle = api_token(&st, &ann, "idle", "2026-06-01").await.token;
    let busy = api_token(&st, &ann, "busy", "2026-06-01").await.token;
    let revived = api_token(&st, &ann, "revived", "2026-06-01").await.token;
    let used_at = |id: crate::domain::ids::TokenId, at: i64| {
        let db = st.db.clone();
        async move {
            sqlx::query("UPDATE personal_access_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(&db.pool)
                .await
                .unwrap();
        }
    };
    let disuse = |st: &AppState| {
        let db = st.db.clone();
        async move {
            let (mut all, _) = outbox::list(&db, 0, 1_000).await.unwrap();
            all.reverse();
            all.retain(|m| m.subject.contains("disuse"));
            all
        }
    };
    // Off by default: nothing happens, however long unused.
    clock.advance(T0 + 100 * DAY - clock.now());
    assert_eq!(run(&st, Job::RevokeUnused).await, Report::default());
    clock.advance(T0 - clock.now());
    used_at(busy.id, T0 + 20 * DAY).await;
    change_settings(&st, |s| s.unused_token_revoke_days = 30).await;

    // Day 25: "idle" and "revived" unused for 25 days (30 less the week of
    // warning): one mail for both; "busy" was used 5 days ago.
    clock.advance(T0 + 25 * DAY - clock.now());
    let report = run(&st, Job::RevokeUnused).await;
    assert_eq!((report.tokens, report.revoked, report.mails), (2, 0, 1));
    let sent = disuse(&st).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].subject,
        "2 personal access tokens of yours will be revoked for disuse"
    );
    assert!(
        sent[0].body.contains("will be revoked on 2026-02-02"),
        "{}",
        sent[0].body
    );
    assert!(sent[0].body.contains("- idle (expires 2026-06-01)"));
    assert!(!sent[0].body.contains("busy"));
    // Warned once: the same day again, nothing.
    assert_eq!(run(&st, Job::RevokeUnused).await, Report::default());

    // "revived" is used after its warning; a week after it, only "idle"
    // goes (idle 32 days, warned 7 days before), on the record.
    used_at(revived.id, T0 + 27 * DAY).await;
    clock.advance(T0 + 31 * DAY - clock.now());
    assert_eq!(
        run(&st, Job::RevokeUnused).await.revoked,
        0,
        "warned only 6 days ago"
    );
    clock.advance(T0 + 32 * DAY - clock.now());
    let report = run(&st, Job::RevokeUnused).await;
    assert_eq!(report.revoked, 1);
    let find = |id| {
        let db = st.db.clone();
        async move { db_tokens::find(&db, id).await.unwrap().unwrap() }
    };
    assert!(find(idle.id).await.revoked_at.is_some());
    assert!(find(revived.id).await.revoked_at.is_none());
    assert!(find(busy.id).await.revoked_at.is_none());
    let sent = disuse(&st).await;
    assert_eq!(
        sent.last().unwrap().subject,
        "A personal access token of yours was revoked for disuse"
    );
    let (events, _) = audit::list(&st, &Default::default(), 0, 50).await.unwrap();
    let revoked: Vec<_> = events
        .iter()
        .filter(|e| e.action == "token_revoked_as_unused")
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].token_id, Some(idle.id));
    assert_eq!(revoked[0].actor_name, "unused token revocation");
    assert_eq!(revoked[0].details, "unused for 30 days");

    // "busy" (used day 20) is warned on day 43, "revived" (used day 27) on
    // day 50: each warned again only when idle again long enough.
    clock.advance(T0 + 43 * DAY - clock.now());
    assert_eq!(run(&st, Job::RevokeUnused).await.tokens, 1);
    clock.advance(T0 + 50 * DAY - clock.now());
    let report = run(&st, Job::RevokeUnused).await;
    assert_eq!(
        (report.tokens, report.revoked),
        (1, 1),
        "busy goes, revived is warned"
    );
});
