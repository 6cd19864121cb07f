//! Ported from GitLab 16.11's
//! `spec/services/personal_access_tokens/rotate_service_spec.rb`, at the
//! service layer (`services::tokens::rotate`), which the API, the pages
//! and the CLI all rotate through. Examples about bots, memberships,
//! granular tokens and event tracking are left out: Forgekey has none.

use super::support::{both_backends, register, Scenario, TestDb, T0};
use crate::server::db::tokens::{self as db_tokens, Token};
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::tokens::{self, Issuer};
use crate::server::services::{Conflict, ServiceError};

struct World {
    s: Scenario,
    user: User,
    /// The user's token, expiring 30 days after T0 (2026-01-31).
    token: Token,
    secret: String,
}

impl World {
    async fn new(t: &TestDb) -> Self {
        let s = Scenario::new(t).await;
        let user = register(&s.st, "user").await;
        let created = tokens::issue(
            &s.st,
            &Actor::command_line(),
            &user,
            Issuer::Owner,
            tokens::Request {
                name: "ci",
                description: "",
                expires_on: "2026-01-31",
                scopes: &["api", "read_user"],
                allowed_ips: "",
                projects: "",
            },
        )
        .await
        .unwrap();
        Self {
            s,
            user,
            token: created.token,
            secret: created.secret,
        }
    }

    async fn rotate(&self, expires_at: Option<&str>) -> Result<tokens::Created, ServiceError> {
        tokens::rotate(
            &self.s.st,
            &Actor::user(&self.user),
            &self.token,
            expires_at,
        )
        .await
    }

    async fn stored(&self, token: &Token) -> Token {
        db_tokens::find(&self.s.st.db, token.id)
            .await
            .unwrap()
            .unwrap()
    }
}

both_backends!(rotate_service_spec_rotates_token_successfully, |t| {
    let w = World::new(&t).await;
    let new = w.rotate(None).await.unwrap();
    assert_ne!(new.secret, w.secret);
    // A week from today by default.
    assert_eq!(new.token.expires_at, Some(T0 + 7 * 86_400));
    assert_eq!(new.token.user_id, w.token.user_id);
    assert_eq!(new.token.name, w.token.name);
    assert_eq!(new.token.scopes, w.token.scopes);
    assert_eq!(new.token.impersonation, w.token.impersonation);
});

both_backends!(rotate_service_spec_revokes_the_previous_token, |t| {
    let w = World::new(&t).await;
    let new = w.rotate(None).await.unwrap();
    let old = w.stored(&w.token).await;
    assert!(old.revoked_at.is_some());
    assert_eq!(old.rotated_at, Some(T0));
    assert!(w.stored(&new.token).await.revoked_at.is_none());
});

both_backends!(
    rotate_service_spec_saves_the_previous_token_as_previous_pat,
    |t| {
        let w = World::new(&t).await;
        let new = w.rotate(None).await.unwrap();
        // Forgekey keeps the line of succession as a family: the first token's id.
        assert_eq!(new.token.family_id, w.token.id);
        let newer = tokens::rotate(&w.s.st, &Actor::user(&w.user), &new.token, None)
            .await
            .unwrap();
        assert_eq!(newer.token.family_id, w.token.id);
    }
);

both_backends!(
    rotate_service_spec_when_expires_at_param_is_set_sets_the_custom_expiration_time,
    |t| {
        let w = World::new(&t).await;
        let new = w.rotate(Some("2026-03-02")).await.unwrap();
        assert_eq!(new.token.expires_at, Some(T0 + 60 * 86_400));
    }
);

both_backends!(
    rotate_service_spec_when_user_tries_to_rotate_already_revoked_token_returns_an_error,
    |t| {
        let w = World::new(&t).await;
        crate::server::tests::support::revoke(&w.s.st, w.token.id).await;
        let revoked = w.stored(&w.token).await;
        let e = tokens::rotate(&w.s.st, &Actor::user(&w.user), &revoked, None)
            .await
            .unwrap_err();
        assert_eq!(e, ServiceError::Conflict(Conflict::AlreadyRevoked));
        assert_eq!(
            crate::server::api::error::conflict_message(Conflict::AlreadyRevoked),
            "Token already revoked"
        );
    }
);

both_backends!(a_token_rotated_away_cannot_be_rotated_again, |t| {
    let w = World::new(&t).await;
    w.rotate(None).await.unwrap();
    let rotated = w.stored(&w.token).await;
    let e = tokens::rotate(&w.s.st, &Actor::user(&w.user), &rotated, None)
        .await
        .unwrap_err();
    assert_eq!(e, ServiceError::Conflict(Conflict::AlreadyRevoked));
});

both_backends!(
    rotate_service_spec_when_creating_the_new_token_fails_reverts_the_changes,
    |t| {
        let w = World::new(&t).await;
        let count = |table: &'static str| {
            let db = w.s.st.db.clone();
            async move {
                use sqlx::Row;
                sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                    .fetch_one(&db.pool)
                    .await
                    .unwrap()
                    .try_get::<i64, _>("n")
                    .unwrap()
            }
        };
        let before = (
            count("personal_access_tokens").await,
            count("audit_events").await,
        );
        // An expiry beyond the instance's limit: the new token cannot be made.
        let e = w.rotate(Some("2030-01-01")).await.unwrap_err();
        assert!(matches!(e, ServiceError::Invalid(_)), "{e:?}");
        assert!(w.stored(&w.token).await.revoked_at.is_none());
        let after = (
            count("personal_access_tokens").await,
            count("audit_events").await,
        );
        assert_eq!(after, before, "no token and no audit record written");
    }
);

// GitLab's service refuses only revoked tokens: an expired one is rotated
// (by its owner or an administrator, through `POST
// /personal_access_tokens/:id/rotate`; it cannot authenticate itself).
both_backends!(
    an_expired_token_may_be_rotated_as_gitlabs_service_allows,
    |t| {
        let w = World::new(&t).await;
        w.s.clock.advance(40 * 86_400);
        let new = w.rotate(None).await.unwrap();
        assert!(new.token.is_active(w.s.st.now()));
        assert!(w.stored(&w.token).await.revoked_at.is_some());
    }
);
