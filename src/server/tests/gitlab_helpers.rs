//! Ported from GitLab 16.11's `spec/requests/api/helpers_spec.rb`
//! (`.current_user` with personal access tokens, and `sudo usage`), through
//! `GET /user`, with the answers `doc/api/rest/index.md` gives for sudo.
//! Warden (session) and job-token examples are left out: sessions never
//! authenticate Forgekey's API, and it has no CI jobs.

use super::support::{both_backends, register, token_with_scopes, Rest, Scenario, TestDb};
use crate::domain::ids::TokenId;
use crate::server::db::users::User;
use axum::http::StatusCode;
use serde_json::{json, Value};

struct World {
    s: Scenario,
    admin: User,
    user: User,
}

impl World {
    async fn new(t: &TestDb) -> Self {
        let s = Scenario::new(t).await;
        let admin = register(&s.st, "root").await;
        let user = register(&s.st, "user").await;
        Self { s, admin, user }
    }

    async fn token(&self, owner: &User, scopes: &[&str]) -> (TokenId, String) {
        token_with_scopes(&self.s.st, owner, scopes).await
    }

    /// `GET /user` with `token` and `Sudo` given as a header or parameter.
    async fn whoami(&self, token: &str, sudo: Option<(&str, bool)>) -> (StatusCode, Value) {
        let path = match sudo {
            Some((who, false)) => format!("/api/v4/user?sudo={who}"),
            _ => "/api/v4/user".to_owned(),
        };
        let mut req = Rest::get(&self.s.app, path).token(token);
        if let Some((who, true)) = sudo {
            req = req.header("Sudo", who);
        }
        let r = req.send().await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }
}

// --- .current_user: when authenticating using a user's personal access tokens

both_backends!(helpers_spec_current_user_with_personal_access_tokens, |t| {
    let w = World::new(&t).await;
    let (id, secret) = w.token(&w.user, &["api"]).await;
    // returns a 401 response for an invalid token
    let (status, _) = w.whoami("invalid token", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // sets current_user
    let (status, me) = w.whoami(&secret, None).await;
    assert_eq!(
        (status, me["username"].clone()),
        (StatusCode::OK, json!("user"))
    );
    // does not allow tokens without the appropriate scope
    let (_, repository) = w.token(&w.user, &["read_repository"]).await;
    let r = Rest::get(&w.s.app, "/api/v4/projects")
        .token(&repository)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("insufficient_scope"), "{}", r.body);
    // does not allow expired tokens
    let (_, expiring) = w.token(&w.user, &["api"]).await;
    // does not allow revoked tokens
    crate::server::tests::support::revoke(&w.s.st, id).await;
    let (status, _) = w.whoami(&secret, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    w.s.clock.advance(40 * 86_400);
    let (status, _) = w.whoami(&expiring, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
});

both_backends!(
    helpers_spec_current_user_returns_a_403_response_for_a_user_who_is_blocked,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.user, &["api"]).await;
        crate::server::tests::support::block(&w.s.st, &w.admin, w.user.id).await;
        let (status, body) = w.whoami(&secret, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            body["message"],
            "403 Forbidden - Your account has been blocked."
        );
    }
);

// --- sudo usage ----------------------------------------------------------

both_backends!(
    helpers_spec_sudo_usage_with_admin_changes_current_user_to_sudo,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.admin, &["api", "sudo"]).await;
        let user_id = w.user.id.get().to_string();
        let admin_id = w.admin.id.get().to_string();
        // with header / with param, with id / with username
        for header in [true, false] {
            for (who, expected) in [
                (user_id.as_str(), "user"),
                ("user", "user"),
                ("USER", "user"),
                // handles sudo to oneself
                (admin_id.as_str(), "root"),
                ("root", "root"),
            ] {
                let (status, me) = w.whoami(&secret, Some((who, header))).await;
                assert_eq!(status, StatusCode::OK, "{who} header={header}");
                assert_eq!(me["username"], expected, "{who} header={header}");
            }
        }
    }
);

both_backends!(
    helpers_spec_sudo_usage_throws_an_error_when_user_cannot_be_found,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.admin, &["api", "sudo"]).await;
        let missing = (w.user.id.get() + w.admin.id.get()).to_string();
        for header in [true, false] {
            for who in [missing.as_str(), "userroot"] {
                let (status, body) = w.whoami(&secret, Some((who, header))).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
                assert_eq!(
                    body["message"],
                    format!("404 User with ID or username '{who}' Not Found")
                );
            }
        }
    }
);

both_backends!(helpers_spec_sudo_usage_with_regular_user_is_refused, |t| {
    let w = World::new(&t).await;
    // Even a regular user's token carrying every scope they may have.
    let (_, secret) = w.token(&w.user, &["api"]).await;
    let admin_id = w.admin.id.get().to_string();
    for header in [true, false] {
        for who in [admin_id.as_str(), "root"] {
            let (status, body) = w.whoami(&secret, Some((who, header))).await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            assert_eq!(body["message"], "403 Forbidden - Must be admin to use sudo");
        }
    }
});

both_backends!(
    sudo_with_a_token_without_the_sudo_scope_is_insufficient_scope,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.admin, &["api"]).await;
        let (status, body) = w.whoami(&secret, Some(("user", true))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            body,
            json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": "sudo",
            })
        );
    }
);

// GitLab lets an administrator act as a blocked user ('when user is
// blocked: changes current_user to sudo'); Forgekey does not: nobody acts
// as a blocked account (README, deliberate differences).
both_backends!(sudo_as_a_blocked_user_is_refused_unlike_gitlab, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.admin, &["api", "sudo"]).await;
    crate::server::tests::support::block(&w.s.st, &w.admin, w.user.id).await;
    let (status, _) = w.whoami(&secret, Some(("user", true))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});
