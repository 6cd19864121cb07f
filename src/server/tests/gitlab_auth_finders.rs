//! Ported from GitLab 16.11's `spec/lib/gitlab/auth/auth_finders_spec.rb`:
//! the examples about personal access tokens (`find_user_from_access_token`,
//! `find_personal_access_token`, automatic reuse detection,
//! `validate_access_token!`), through the REST API with the answers
//! `API::APIGuard` gives its errors. Feed, static-object, deploy, job, LFS,
//! runner, cluster-agent and OAuth tokens are left out: Forgekey has none;
//! so is `impersonation_enabled: false` (no such switch here).

use super::support::{both_backends, register, token_with_scopes, Rest, Scenario, TestDb};
use crate::domain::ids::TokenId;
use crate::server::db::tokens as db_tokens;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::tokens;
use axum::http::StatusCode;
use serde_json::{json, Value};

struct World {
    s: Scenario,
    user: User,
}

impl World {
    async fn new(t: &TestDb) -> Self {
        let s = Scenario::new(t).await;
        let user = register(&s.st, "user").await;
        Self { s, user }
    }

    async fn token(&self, scopes: &[&str]) -> (TokenId, String) {
        token_with_scopes(&self.s.st, &self.user, scopes).await
    }

    async fn revoked(&self, id: TokenId) -> bool {
        crate::server::tests::support::is_revoked(&self.s.st, id).await
    }
}

fn body(r: &crate::server::tests::support::Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or(Value::Null)
}

const REVOKED: &str = "Token was revoked. You have to re-authorize from the user.";

// --- #find_user_from_access_token / #find_personal_access_token ------------

both_backends!(auth_finders_spec_find_user_from_access_token, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&["api"]).await;
    // returns nil if no access_token present: anonymous where GitLab
    // allows it, 401 where it does not.
    let r = Rest::get(&w.s.app, "/api/v4/projects").send().await;
    assert_eq!(r.status, StatusCode::OK);
    let r = Rest::get(&w.s.app, "/api/v4/user").send().await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // when validate_access_token! returns valid: returns user (header,
    // parameter, OAuth header)
    for r in [
        Rest::get(&w.s.app, "/api/v4/user").token(&secret),
        Rest::get(&w.s.app, format!("/api/v4/user?private_token={secret}")),
        Rest::get(&w.s.app, "/api/v4/user").header("Authorization", format!("Bearer {secret}")),
    ] {
        let r = r.send().await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(body(&r)["username"], "user");
    }
    // with invalid personal_access_token: returns exception (401)
    for invalid in ["invalid_20byte_token", "invalid_token"] {
        let r = Rest::get(&w.s.app, "/api/v4/user")
            .header("Authorization", format!("Bearer {invalid}"))
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(body(&r), json!({"message": "401 Unauthorized"}));
    }
});

// --- automatic reuse detection ---------------------------------------------

/// A token rotated twice: the first (rotated away, so revoked) and the
/// newest's id.
async fn rotated_chain(w: &World) -> (String, TokenId) {
    let (id, first) = w.token(&["api"]).await;
    let old = db_tokens::find(&w.s.st.db, id).await.unwrap().unwrap();
    let second = tokens::rotate(&w.s.st, &Actor::user(&w.user), &old, None)
        .await
        .unwrap();
    let third = tokens::rotate(&w.s.st, &Actor::user(&w.user), &second.token, None)
        .await
        .unwrap();
    (first, third.token.id)
}

both_backends!(auth_finders_spec_automatic_reuse_detection_with_url_related_to_access_tokens_revokes_the_latest_rotated_token, |t| {
    let w = World::new(&t).await;
    let (first, latest) = rotated_chain(&w).await;
    assert!(!w.revoked(latest).await);
    let r = Rest::post(&w.s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(&first)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(body(&r)["error_description"], REVOKED);
    assert!(w.revoked(latest).await);
});

both_backends!(auth_finders_spec_automatic_reuse_detection_with_url_not_related_to_access_tokens_does_not_revoke_the_latest_rotated_token, |t| {
    let w = World::new(&t).await;
    let (first, latest) = rotated_chain(&w).await;
    for _ in 0..2 {
        let r = Rest::get(&w.s.app, "/api/v4/projects").token(&first).send().await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(body(&r)["error_description"], REVOKED);
    }
    assert!(!w.revoked(latest).await);
});

// --- #validate_access_token!: when the token is not valid -------------------

both_backends!(
    auth_finders_spec_validate_access_token_returns_expired_error_if_token_expired,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&["api"]).await;
        w.s.clock.advance(31 * 86_400);
        let r = Rest::get(&w.s.app, "/api/v4/user")
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body(&r),
            json!({"error": "invalid_token", "error_description": "Token has expired."})
        );
    }
);

both_backends!(
    auth_finders_spec_validate_access_token_returns_revoked_error_if_token_revoked,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&["api"]).await;
        crate::server::tests::support::revoke(&w.s.st, id).await;
        let r = Rest::get(&w.s.app, "/api/v4/user")
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body(&r),
            json!({"error": "invalid_token", "error_description": REVOKED})
        );
        assert!(r.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\""));
    }
);

both_backends!(
    auth_finders_spec_validate_access_token_returns_insufficient_scope_error_if_invalid_token_scope,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&["read_user"]).await;
        let r = Rest::get(&w.s.app, "/api/v4/projects")
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(body(&r)["error"], "insufficient_scope");
        assert_eq!(body(&r)["scope"], "api read_api");
    }
);
