//! The change feed: triggers record what matters to a token check, from
//! whatever writes it, and an instance reading the feed forgets those
//! tokens; while the feed is current it trusts its other entries longer.

use super::support::{app, both_backends, register, state, state_over, timeouts, Rest, T0};
use crate::domain::admin::UserChange;
use crate::server::clock::ManualClock;
use crate::server::db::{changes, tokens as db_tokens, Db};
use crate::server::services::admin::change_user;
use crate::server::services::audit::Actor;
use crate::server::services::tokens::{self, FeedCursor};
use crate::server::services::ServiceError;
use axum::http::StatusCode;

both_backends!(
    triggers_record_what_a_token_check_depends_on_and_nothing_else,
    |t| {
        let clock = ManualClock::at(T0);
        let st = state(&t, &clock);
        let root = register(&st, "root").await;
        let eve = register(&st, "eve").await;
        let created = tokens::create(&st, &Actor::user(&eve), &eve, "t", "2026-02-01", &["api"])
            .await
            .unwrap();
        let now = changes::database_now(&st.db).await.unwrap();
        let count = || async { changes::since(&st.db, now - 60).await.unwrap() };
        assert!(count().await.is_empty(), "creating rows is no change");

        // Noise that must not reach the feed: use, sign-in attempts.
        db_tokens::record_uses(
            &st.db,
            &[(created.token.id, T0, vec!["192.0.2.1".into()])],
            60,
        )
        .await
        .unwrap();
        let _ = crate::server::services::accounts::authenticate(&st, "eve", "wrong-password").await;
        assert!(count().await.is_empty(), "{:?}", count().await);

        tokens::revoke_as(&st, &Actor::command_line(), created.token.id)
            .await
            .unwrap();
        let feed = count().await;
        assert_eq!(feed.len(), 1, "{feed:?}");
        assert_eq!(feed[0].token_id, Some(created.token.id));

        change_user(&st, &Actor::user(&root), eve.id, UserChange::Block)
            .await
            .unwrap();
        let feed = count().await;
        assert_eq!(
            feed.last().and_then(|c| c.user_id),
            Some(eve.id),
            "{feed:?}"
        );
    }
);

both_backends!(
    another_instance_forgets_a_revoked_token_when_it_reads_the_feed,
    |t| {
        let clock = ManualClock::at(T0);
        let st_a = state(&t, &clock);
        // Instance B: its own pool and cache on the same database.
        let db_b = Db::connect_with(&t.url, timeouts()).await.unwrap();
        let st_b = state_over(db_b, &t, &clock, |_| {});
        let app_b = app(&t, st_b.clone()).await;
        let u = register(&st_a, "root").await;
        let created = tokens::create(&st_a, &Actor::user(&u), &u, "t", "2026-02-01", &["api"])
            .await
            .unwrap();
        let mut cursor = FeedCursor::default();
        tokens::sync_changes(&st_b, &mut cursor).await.unwrap();
        let get = || {
            Rest::get(&app_b, "/api/v4/user")
                .token(&created.secret)
                .send()
        };
        assert_eq!(get().await.status, StatusCode::OK);

        tokens::revoke_as(&st_a, &Actor::command_line(), created.token.id)
            .await
            .unwrap();
        // Within the same second B still holds its copy; reading the feed
        // makes it forget.
        assert_eq!(st_b.token_cache.len(), 1);
        assert!(tokens::sync_changes(&st_b, &mut cursor).await.unwrap() >= 1);
        assert_eq!(get().await.status, StatusCode::UNAUTHORIZED);
        // Applied once: the next read finds nothing new.
        assert_eq!(tokens::sync_changes(&st_b, &mut cursor).await.unwrap(), 0);
    }
);

both_backends!(
    a_current_feed_lets_entries_live_longer_and_a_stale_one_does_not,
    |t| {
        let clock = ManualClock::at(T0);
        let st_a = state(&t, &clock);
        let db_b = Db::connect_with(&t.url, timeouts()).await.unwrap();
        let st_b = state_over(db_b, &t, &clock, |_| {});
        let u = register(&st_a, "root").await;
        let created = tokens::create(&st_a, &Actor::user(&u), &u, "t", "2026-02-01", &["api"])
            .await
            .unwrap();
        let mut cursor = FeedCursor::default();
        tokens::authenticate(&st_b, &created.secret).await.unwrap();

        clock.advance(100);
        tokens::sync_changes(&st_b, &mut cursor).await.unwrap();
        // B's database goes away: a current feed answers from memory…
        st_b.db.pool.close().await;
        assert!(tokens::authenticate(&st_b, &created.secret).await.is_ok());
        clock.advance(crate::server::token_cache::FEED_MAX_LAG_SECONDS);
        assert!(tokens::authenticate(&st_b, &created.secret).await.is_ok());
        // …and once the feed has not been read for longer than its lag, the
        // entry is a second's old copy again: asked of the database.
        clock.advance(1);
        assert_eq!(
            tokens::authenticate(&st_b, &created.secret).await.err(),
            Some(ServiceError::Unavailable)
        );
    }
);
