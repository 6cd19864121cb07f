//! Ported from GitLab 16.11's `spec/requests/api/users_spec.rb`: the
//! impersonation token endpoints and `POST /users/:user_id/personal_access_tokens`.
//! (The read examples are in `api.rs`; `GET /users` unauthenticated and
//! the '412 response' there and in `gitlab_tokens.rs`.) Secrets are never
//! shown again after creation: Forgekey keeps only their digests, as
//! GitLab 16 does.

use super::support::{both_backends, register, Rest, Scenario, TestDb, T0};
use crate::domain::ids::TokenId;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::tokens::{self, Issuer};
use axum::http::StatusCode;
use serde_json::{json, Value};

struct World {
    s: Scenario,
    admin: User,
    user: User,
    admin_token: String,
    user_token: String,
}

/// A user id no user has.
const NOT_EXISTING_USER: i64 = 999_999;
/// A token id no token has.
const NOT_EXISTING_PAT: i64 = 999_999;

impl World {
    async fn new(t: &TestDb) -> Self {
        let s = Scenario::new(t).await;
        let admin = register(&s.st, "root").await;
        let user = register(&s.st, "user").await;
        let issue = |owner: User| {
            let st = s.st.clone();
            async move {
                tokens::issue(
                    &st,
                    &Actor::command_line(),
                    &owner,
                    Issuer::Owner,
                    tokens::Request {
                        name: "caller",
                        description: "",
                        expires_on: "2026-02-01",
                        scopes: &["api"],
                        allowed_ips: "",
                        projects: "",
                    },
                )
                .await
                .unwrap()
                .secret
            }
        };
        let admin_token = issue(admin.clone()).await;
        let user_token = issue(user.clone()).await;
        Self {
            s,
            admin,
            user,
            admin_token,
            user_token,
        }
    }

    /// A token of the user: an impersonation token when `impersonation`,
    /// then revoked or expired as asked.
    async fn token(&self, impersonation: bool, revoked: bool, expired: bool) -> TokenId {
        let issuer = if impersonation {
            Issuer::Impersonation(&self.admin)
        } else {
            Issuer::Owner
        };
        let id = tokens::issue(
            &self.s.st,
            &Actor::command_line(),
            &self.user,
            issuer,
            tokens::Request {
                name: "t",
                description: "",
                expires_on: "2026-02-01",
                scopes: &["api"],
                allowed_ips: "",
                projects: "",
            },
        )
        .await
        .unwrap()
        .token
        .id;
        if revoked {
            crate::server::tests::support::revoke(&self.s.st, id).await;
        }
        if expired {
            sqlx::query("UPDATE personal_access_tokens SET expires_at = $1 WHERE id = $2")
                .bind(T0 - 86_400)
                .bind(id)
                .execute(&self.s.st.db.pool)
                .await
                .unwrap();
        }
        id
    }

    async fn call(
        &self,
        method: &str,
        path: String,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Rest::method(&self.s.app, method, path).token(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        let r = req.send().await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }
}

fn not_found(what: &str) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        json!({ "message": format!("404 {what} Not Found") }),
    )
}

fn forbidden() -> (StatusCode, Value) {
    (StatusCode::FORBIDDEN, json!({ "message": "403 Forbidden" }))
}

// --- GET /users/:user_id/impersonation_tokens ---------------------------------

both_backends!(users_spec_get_impersonation_tokens, |t| {
    let w = World::new(&t).await;
    w.token(false, false, false).await; // active personal access token
    w.token(false, true, false).await; // revoked personal access token
    w.token(false, false, true).await; // expired personal access token
    w.token(true, false, false).await; // impersonation token
    w.token(true, true, false).await; // revoked impersonation token
    let path = |query: &str| format!("/api/v4/users/{}/impersonation_tokens{query}", w.user.id);
    // returns a 404 error if user not found
    assert_eq!(
        w.call(
            "GET",
            format!("/api/v4/users/{NOT_EXISTING_USER}/impersonation_tokens"),
            &w.admin_token,
            None
        )
        .await,
        not_found("User")
    );
    // returns a 403 error when authenticated as normal user
    assert_eq!(
        w.call(
            "GET",
            format!("/api/v4/users/{NOT_EXISTING_USER}/impersonation_tokens"),
            &w.user_token,
            None
        )
        .await,
        forbidden()
    );
    // returns an array of all impersonated tokens
    let (status, all) = w.call("GET", path(""), &w.admin_token, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(all.as_array().unwrap().len(), 2);
    // returns an array of active impersonation tokens if state active
    let (_, active) = w
        .call("GET", path("?state=active"), &w.admin_token, None)
        .await;
    assert_eq!(active.as_array().unwrap().len(), 1);
    assert!(active
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["active"] == true));
    // returns an array of inactive personal access tokens if active is set to false
    let (_, inactive) = w
        .call("GET", path("?state=inactive"), &w.admin_token, None)
        .await;
    assert_eq!(inactive.as_array().unwrap().len(), 1);
    assert!(inactive
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["active"] == false));
});

// --- POST /users/:user_id/impersonation_tokens --------------------------------

both_backends!(users_spec_post_impersonation_tokens, |t| {
    let w = World::new(&t).await;
    let path = format!("/api/v4/users/{}/impersonation_tokens", w.user.id);
    let new =
        json!({ "name": "my new pat", "expires_at": "2026-01-28", "scopes": ["api", "read_user"] });
    // returns validation error if impersonation token misses some attributes
    let (status, body) = w
        .call("POST", path.clone(), &w.admin_token, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("name is missing"),
        "{body}"
    );
    // returns a 404 error if user not found
    assert_eq!(
        w.call(
            "POST",
            format!("/api/v4/users/{NOT_EXISTING_USER}/impersonation_tokens"),
            &w.admin_token,
            Some(new.clone())
        )
        .await,
        not_found("User")
    );
    // returns a 403 error when authenticated as normal user
    assert_eq!(
        w.call("POST", path.clone(), &w.user_token, Some(new.clone()))
            .await,
        forbidden()
    );
    // creates a impersonation token
    let (status, body) = w.call("POST", path, &w.admin_token, Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "my new pat");
    assert_eq!(body["scopes"], json!(["api", "read_user"]));
    assert_eq!(body["expires_at"], "2026-01-28");
    assert!(body["id"].is_i64());
    assert!(body["created_at"].is_string());
    assert_eq!(body["active"], true);
    assert_eq!(body["revoked"], false);
    assert!(body["token"].as_str().unwrap().starts_with("fkpat-"));
    assert_eq!(body["impersonation"], true);
});

// --- GET /users/:user_id/impersonation_tokens/:impersonation_token_id ----------

both_backends!(users_spec_get_an_impersonation_token, |t| {
    let w = World::new(&t).await;
    let personal = w.token(false, false, false).await;
    let impersonation = w.token(true, false, false).await;
    let path = |id: i64| format!("/api/v4/users/{}/impersonation_tokens/{id}", w.user.id);
    for method in ["GET", "DELETE"] {
        // returns 404 error if user not found
        assert_eq!(
            w.call(
                method,
                format!("/api/v4/users/{NOT_EXISTING_USER}/impersonation_tokens/1"),
                &w.admin_token,
                None
            )
            .await,
            not_found("User"),
            "{method}"
        );
        // returns a 404 error if impersonation token not found
        assert_eq!(
            w.call(method, path(NOT_EXISTING_PAT), &w.admin_token, None)
                .await,
            not_found("Impersonation Token"),
            "{method}"
        );
        // returns a 404 error if token is not impersonation token
        assert_eq!(
            w.call(method, path(personal.get()), &w.admin_token, None)
                .await,
            not_found("Impersonation Token"),
            "{method}"
        );
        // returns a 403 error when authenticated as normal user
        assert_eq!(
            w.call(method, path(impersonation.get()), &w.user_token, None)
                .await,
            forbidden(),
            "{method}"
        );
    }
    // returns an impersonation token (never its secret again)
    let (status, body) = w
        .call("GET", path(impersonation.get()), &w.admin_token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["impersonation"], true);
    assert!(body.get("token").is_none(), "{body}");
});

// --- DELETE /users/:user_id/impersonation_tokens/:impersonation_token_id -------

both_backends!(users_spec_delete_revokes_an_impersonation_token, |t| {
    let w = World::new(&t).await;
    let impersonation = w.token(true, false, false).await;
    let path = format!(
        "/api/v4/users/{}/impersonation_tokens/{impersonation}",
        w.user.id
    );
    let (status, _) = w.call("DELETE", path, &w.admin_token, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let stored = crate::server::db::tokens::find(&w.s.st.db, impersonation)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.revoked_at.is_some());
});

// --- POST /users/:user_id/personal_access_tokens -------------------------------

both_backends!(users_spec_post_personal_access_tokens, |t| {
    let w = World::new(&t).await;
    let path = format!("/api/v4/users/{}/personal_access_tokens", w.user.id);
    let new =
        json!({ "name": "new pat", "expires_at": "2026-01-04", "scopes": ["api", "read_user"] });
    // returns error if required attributes are missing
    let (status, body) = w
        .call("POST", path.clone(), &w.admin_token, Some(json!({})))
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "name is missing, scopes is missing"})
        )
    );
    // returns error if scope is not valid
    let (status, body) = w
        .call(
            "POST",
            path.clone(),
            &w.admin_token,
            Some(json!({"name": "x", "scopes": ["invalid"]})),
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "scopes does not have a valid value"})
        )
    );
    // returns a 404 error if user not found
    assert_eq!(
        w.call(
            "POST",
            format!("/api/v4/users/{NOT_EXISTING_USER}/personal_access_tokens"),
            &w.admin_token,
            Some(new.clone())
        )
        .await,
        not_found("User")
    );
    // returns a 403 error when authenticated as normal user
    assert_eq!(
        w.call("POST", path.clone(), &w.user_token, Some(new.clone()))
            .await,
        forbidden()
    );
    // creates a personal access token
    let (status, body) = w.call("POST", path, &w.admin_token, Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "new pat");
    assert_eq!(body["scopes"], json!(["api", "read_user"]));
    assert_eq!(body["expires_at"], "2026-01-04");
    assert!(body["id"].is_i64());
    assert!(body["created_at"].is_string());
    assert_eq!(body["revoked"], false);
    assert_eq!(body["user_id"], w.user.id.get());
    assert!(body["token"].as_str().unwrap().starts_with("fkpat-"));
});
