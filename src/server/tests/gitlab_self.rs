//! Ported from GitLab 16.11's `spec/requests/api/personal_access_tokens/`
//! `self_information_spec.rb` and `self_rotation_spec.rb`: each test is
//! named after the example it comes from (`describe` / `context` / `it`).
//! Examples about what Forgekey has no notion of (OAuth, deploy and job
//! tokens, project bots, granular tokens, the later `self_rotate` scope)
//! are left out.

use super::support::{both_backends, register, Rest, Scenario, T0};
use crate::domain::ids::TokenId;
use crate::domain::scope::Scope;
use crate::server::db::tokens as db_tokens;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::tokens::{self, Issuer};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// The world of one example: an administrator (the first user) and a
/// regular user, on an instance with a container registry (as GitLab's
/// test instance: every scope is available).
struct World {
    s: Scenario,
    admin: User,
    user: User,
}

impl World {
    async fn new(t: &super::support::TestDb) -> Self {
        let s = Scenario::new(t).await;
        let admin = register(&s.st, "root").await;
        let user = register(&s.st, "user").await;
        crate::server::tests::support::enable_registry(&s.st, "127.0.0.1:5050").await;
        Self { s, admin, user }
    }

    /// A token of `owner` with `scopes` (an impersonation token made by
    /// the administrator when `impersonation`), expiring a month after T0.
    async fn token(&self, owner: &User, scopes: &[&str], impersonation: bool) -> (TokenId, String) {
        let issuer = if impersonation {
            Issuer::Impersonation(&self.admin)
        } else {
            Issuer::Owner
        };
        crate::server::tests::support::issued_token(&self.s.st, owner, issuer, scopes).await
    }

    async fn revoked(&self, id: TokenId) -> bool {
        crate::server::tests::support::is_revoked(&self.s.st, id).await
    }
}

/// The user who may hold a token with `scope` (`sudo` and `admin_mode`
/// are for administrators).
fn holder(w: &World, scope: Scope) -> &User {
    if matches!(scope, Scope::Sudo | Scope::AdminMode) {
        &w.admin
    } else {
        &w.user
    }
}

async fn delete_self(w: &World, secret: &str) -> StatusCode {
    Rest::delete(&w.s.app, "/api/v4/personal_access_tokens/self")
        .token(secret)
        .send()
        .await
        .status
}

async fn rotate_self(w: &World, secret: &str, params: Value) -> (StatusCode, Value) {
    let r = Rest::post(&w.s.app, "/api/v4/personal_access_tokens/self/rotate")
        .token(secret)
        .json(params)
        .send()
        .await;
    let body = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    (r.status, body)
}

// --- self_information_spec.rb: DELETE /personal_access_tokens/self ------

both_backends!(
    delete_self_when_current_user_is_an_administrator_revokes_token,
    |t| {
        let w = World::new(&t).await;
        for impersonation in [false, true] {
            let (id, secret) = w.token(&w.admin, &["api"], impersonation).await;
            assert_eq!(
                delete_self(&w, &secret).await,
                StatusCode::NO_CONTENT,
                "impersonation {impersonation}"
            );
            assert!(w.revoked(id).await);
        }
    }
);

both_backends!(
    delete_self_when_current_user_is_not_an_administrator_revokes_token,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&w.user, &["api"], false).await;
        assert_eq!(delete_self(&w, &secret).await, StatusCode::NO_CONTENT);
        assert!(w.revoked(id).await);
    }
);

both_backends!(
    delete_self_when_current_user_is_not_an_administrator_with_impersonated_token_cannot_revoke_token,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&w.user, &["api"], true).await;
        let r = Rest::delete(&w.s.app, "/api/v4/personal_access_tokens/self")
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            serde_json::from_str::<Value>(&r.body).unwrap(),
            json!({"message": "400 Bad request"})
        );
        assert!(!w.revoked(id).await);
    }
);

both_backends!(
    delete_self_when_current_user_is_not_an_administrator_with_already_revoked_token_cannot_revoke_token,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&w.user, &["api"], false).await;
        crate::server::tests::support::revoke(&w.s.st, id).await;
        assert_eq!(delete_self(&w, &secret).await, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(delete_self_with_a_token_of_each_scope_revokes_token, |t| {
    let w = World::new(&t).await;
    for scope in Scope::ALL {
        let (id, secret) = w.token(holder(&w, scope), &[scope.as_str()], false).await;
        assert_eq!(
            delete_self(&w, &secret).await,
            StatusCode::NO_CONTENT,
            "{scope:?}"
        );
        assert!(w.revoked(id).await, "{scope:?}");
    }
});

// --- self_information_spec.rb: GET /personal_access_tokens/self ---------

both_backends!(get_self_with_a_token_of_each_scope_shows_token_info, |t| {
    let w = World::new(&t).await;
    for scope in Scope::ALL {
        let (_, secret) = w.token(holder(&w, scope), &[scope.as_str()], false).await;
        let r = Rest::get(&w.s.app, "/api/v4/personal_access_tokens/self")
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{scope:?}: {}", r.body);
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["scopes"], json!([scope.as_str()]), "{scope:?}");
    }
});

both_backends!(get_self_when_token_is_invalid_returns_401, |t| {
    let w = World::new(&t).await;
    let r = Rest::get(&w.s.app, "/api/v4/personal_access_tokens/self")
        .token("invalidtoken")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both_backends!(get_self_when_token_is_expired_returns_401, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.user, &["api"], false).await;
    // Expires 2026-02-01: a day later.
    w.s.clock.advance(31 * 86_400 + 86_400);
    let r = Rest::get(&w.s.app, "/api/v4/personal_access_tokens/self")
        .token(&secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

// --- self_rotation_spec.rb: POST /personal_access_tokens/self/rotate ----

/// The shared example 'rotating token succeeds': 200, a new secret, the
/// expiry asked for (a week by default), the old token revoked.
async fn rotating_token_succeeds(
    w: &World,
    id: TokenId,
    secret: &str,
    params: Value,
    expires: &str,
) {
    let (status, body) = rotate_self(w, secret, params).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["token"].as_str().unwrap(), secret);
    assert_eq!(body["expires_at"], expires);
    assert!(w.revoked(id).await);
}

/// The three contexts of "rotating token succeeds" for `owner`'s tokens:
/// without an expiry (a week), 'when expiry is defined', 'with
/// impersonated token'.
async fn rotating_succeeds_in_every_context(w: &World, owner: &User) {
    assert_eq!(T0, 1_767_225_600, "a week after T0 is 2026-01-08");
    for (params, expires, impersonation) in [
        (json!({}), "2026-01-08", false),
        (json!({"expires_at": "2026-02-01"}), "2026-02-01", false),
        (json!({}), "2026-01-08", true),
    ] {
        let (id, secret) = w.token(owner, &["api"], impersonation).await;
        rotating_token_succeeds(w, id, &secret, params, expires).await;
    }
}

both_backends!(
    rotate_self_when_current_user_is_an_administrator_rotate_token,
    |t| {
        let w = World::new(&t).await;
        rotating_succeeds_in_every_context(&w, &w.admin).await;
    }
);

both_backends!(
    rotate_self_when_current_user_is_not_an_administrator_rotate_token,
    |t| {
        let w = World::new(&t).await;
        rotating_succeeds_in_every_context(&w, &w.user).await;
    }
);

both_backends!(
    rotate_self_with_a_token_of_each_scope_rotates_with_api_and_is_denied_forbidden_otherwise,
    |t| {
        let w = World::new(&t).await;
        for scope in Scope::ALL {
            let (id, secret) = w.token(holder(&w, scope), &[scope.as_str()], false).await;
            if scope == Scope::Api {
                rotating_token_succeeds(&w, id, &secret, json!({}), "2026-01-08").await;
            } else {
                let (status, body) = rotate_self(&w, &secret, json!({})).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{scope:?}: {body}");
                assert!(!w.revoked(id).await, "{scope:?}");
            }
        }
    }
);

both_backends!(rotate_self_when_token_is_invalid_cannot_rotate_token, |t| {
    let w = World::new(&t).await;
    let (status, _) = rotate_self(&w, "invalidtoken", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(rotate_self_with_a_revoked_token_cannot_rotate_token, |t| {
    let w = World::new(&t).await;
    let (id, secret) = w.token(&w.user, &["api"], false).await;
    crate::server::tests::support::revoke(&w.s.st, id).await;
    let (status, _) = rotate_self(&w, &secret, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(rotate_self_with_an_expired_token_cannot_rotate_token, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.user, &["api"], false).await;
    w.s.clock.advance(32 * 86_400);
    let (status, _) = rotate_self(&w, &secret, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(
    rotate_self_with_a_rotated_token_cannot_rotate_token_and_revokes_token_family,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&w.user, &["api"], false).await;
        let old = db_tokens::find(&w.s.st.db, id).await.unwrap().unwrap();
        let child = tokens::rotate(&w.s.st, &Actor::command_line(), &old, None)
            .await
            .unwrap();
        assert!(!w.revoked(child.token.id).await);
        let (status, _) = rotate_self(&w, &secret, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(w.revoked(child.token.id).await, "the family is revoked");
        let r = Rest::get(&w.s.app, "/api/v4/personal_access_tokens/self")
            .token(&child.secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);
