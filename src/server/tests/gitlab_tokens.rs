//! Ported from GitLab's `spec/requests/api/personal_access_tokens_spec.rb`,
//! `describe 'GET /personal_access_tokens'`: each test is named after its
//! context and example, each table row of the spec is a row here. Tokens
//! are written straight into the table with the instants the spec gives
//! them (2022), while the clock reads T0 (2026-01-01).

use super::support::{both_backends, register, Rest, Scenario, T0};
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::tokens;
use axum::http::StatusCode;
use serde_json::{json, Value};

/// 2022-01-01T12:30:25Z, the spec's `DateTime.new(2022, 01, 01, 12, 30, 25)`.
const AT: i64 = 1_641_040_225;
/// 2022-01-01 and 2022-01-02, 00:00 UTC.
const JAN_1: i64 = 1_640_995_200;
const JAN_2: i64 = JAN_1 + 86_400;

struct World {
    s: Scenario,
    current: User,
    other: User,
    /// The current user's token (GitLab's `current_users_token`) and id.
    secret: String,
    id: i64,
}

impl World {
    /// `admin`: the current user is the instance's administrator.
    async fn new(t: &super::support::TestDb, admin: bool) -> Self {
        let s = Scenario::new(t).await;
        let root = register(&s.st, "root").await;
        let (current, other) = if admin {
            (root, register(&s.st, "other").await)
        } else {
            (
                register(&s.st, "current").await,
                register(&s.st, "other").await,
            )
        };
        let created = tokens::create(
            &s.st,
            &Actor::user(&current),
            &current,
            "mine",
            "2026-02-01",
            &["api"],
        )
        .await
        .unwrap();
        // Used just now, as the spec's requests use it.
        sqlx::query("UPDATE personal_access_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(T0)
            .bind(created.token.id)
            .execute(&s.st.db.pool)
            .await
            .unwrap();
        Self {
            s,
            id: created.token.id.get(),
            secret: created.secret,
            current,
            other,
        }
    }

    /// A token of `owner` written with the given instants; its id.
    async fn insert(&self, owner: &User, name: &str, set: Row) -> i64 {
        let sql =
            "INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, created_at, \
                   expires_at, last_used_at, revoked_at, impersonation) \
                   VALUES ($1, $2, $3, 'api', $4, $5, $6, $7, $8) RETURNING id";
        sqlx::query_scalar(sql)
            .bind(owner.id)
            .bind(name)
            .bind(format!("digest of {name}"))
            .bind(set.created_at.unwrap_or(T0))
            .bind(set.expires_at.unwrap_or(T0 + 30 * 86_400))
            .bind(set.last_used_at)
            .bind(set.revoked.then_some(T0 - 60))
            .bind(i64::from(set.impersonation))
            .fetch_one(&self.s.st.db.pool)
            .await
            .unwrap()
    }

    async fn get(&self, query: &str) -> (StatusCode, Value) {
        let r = Rest::get(
            &self.s.app,
            format!("/api/v4/personal_access_tokens?{query}"),
        )
        .token(&self.secret)
        .send()
        .await;
        (
            r.status,
            serde_json::from_str(&r.body).unwrap_or(Value::Null),
        )
    }

    /// The shared example 'response as expected': the ids listed, in any
    /// order, for a query that succeeds.
    async fn ids(&self, query: &str) -> Vec<i64> {
        let (status, body) = self.get(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        let mut ids: Vec<i64> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// A filter's table of the spec: `param=value` lists `expected` for
    /// each row, and `param=asdf` is refused as GitLab refuses it.
    async fn table(&self, param: &str, rows: Vec<(&str, Vec<i64>)>) {
        for (value, expected) in rows {
            let query = format!("{param}={value}");
            assert_eq!(self.ids(&query).await, expected, "{query}");
        }
        self.refused(&format!("{param}=asdf"), &format!("{param} is invalid"))
            .await;
    }

    /// The same example for a query refused with `error`.
    async fn refused(&self, query: &str, error: &str) {
        let (status, body) = self.get(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body, json!({ "error": error }), "{query}");
    }
}

#[derive(Default, Clone, Copy)]
struct Row {
    created_at: Option<i64>,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked: bool,
    impersonation: bool,
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

// --- logged in as an Administrator -----------------------------------------

both_backends!(
    logged_in_as_an_administrator_returns_all_pats_by_default,
    |t| {
        let w = World::new(&t, true).await;
        let other = w.insert(&w.other, "other", Row::default()).await;
        let impersonation = Row {
            impersonation: true,
            ..Row::default()
        };
        let impersonated = w.insert(&w.other, "impersonated", impersonation).await;
        assert_eq!(w.ids("").await, sorted(vec![w.id, other, impersonated]));
    }
);

both_backends!(
    logged_in_as_an_administrator_filtered_with_user_id_parameter_returns_only_pats_belonging_to_that_user,
    |t| {
        let w = World::new(&t, true).await;
        let token = w.insert(&w.other, "token", Row::default()).await;
        let impersonation = Row {
            impersonation: true,
            ..Row::default()
        };
        let impersonated = w.insert(&w.other, "impersonated", impersonation).await;
        let (status, body) = w.get(&format!("user_id={}", w.other.id)).await;
        assert_eq!(status, StatusCode::OK);
        let list = body.as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["user_id"], w.other.id.get());
        assert_eq!(list[0]["id"], token);
        assert_eq!(list[1]["id"], impersonated);
    }
);

both_backends!(
    logged_in_as_an_administrator_validations_for_user_id_parameter_return_404,
    |t| {
        let w = World::new(&t, true).await;
        // 'returns 404 if user_id is provided but does not exist' and 'if
        // user_id is explicitly blank'.
        for query in ["user_id=999999", "user_id="] {
            let (status, body) = w.get(query).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{query}");
            assert_eq!(body["message"], "404 Not Found");
        }
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_revoked_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let revoked = Row {
            revoked: true,
            ..Row::default()
        };
        let revoked = w.insert(&w.other, "revoked", revoked).await;
        let kept1 = w.insert(&w.other, "kept 1", Row::default()).await;
        let kept2 = w.insert(&w.other, "kept 2", Row::default()).await;
        assert_eq!(w.ids("revoked=true").await, [revoked]);
        assert_eq!(
            w.ids("revoked=false").await,
            sorted(vec![kept1, kept2, w.id])
        );
        w.refused("revoked=asdf", "revoked is invalid").await;
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_active_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let revoked = Row {
            revoked: true,
            ..Row::default()
        };
        let inactive1 = w.insert(&w.other, "revoked", revoked).await;
        let expired = Row {
            expires_at: Some(JAN_1),
            ..Row::default()
        };
        let inactive2 = w.insert(&w.other, "expired", expired).await;
        let active = w.insert(&w.other, "active", Row::default()).await;
        assert_eq!(
            w.ids("state=inactive").await,
            sorted(vec![inactive1, inactive2])
        );
        assert_eq!(w.ids("state=active").await, sorted(vec![active, w.id]));
        w.refused("state=asdf", "state does not have a valid value")
            .await;
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_created_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let created = Row {
            created_at: Some(AT),
            ..Row::default()
        };
        let token1 = w.insert(&w.other, "token1", created).await;
        // test created_before ('2022-01-01T:12:30:26', which Ruby reads as a
        // date-time, is a malformed value here: 400).
        w.table(
            "created_before",
            vec![
                ("2022-01-02", vec![token1]),
                ("2022-01-01", vec![]),
                ("2022-01-01T12:30:24", vec![]),
                ("2022-01-01T12:30:25", vec![token1]),
            ],
        )
        .await;
        // test created_after
        w.table(
            "created_after",
            vec![
                ("2022-01-03", vec![w.id]),
                ("2022-01-01", sorted(vec![token1, w.id])),
                ("2022-01-01T12:30:25", sorted(vec![token1, w.id])),
                ("2022-01-01T12:30:26", vec![w.id]),
                ("2026-01-02T00:00:00", vec![]),
            ],
        )
        .await;
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_last_used_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let used = Row {
            last_used_at: Some(AT),
            ..Row::default()
        };
        let token1 = w.insert(&w.other, "token1", used).await;
        let _never_used = w.insert(&w.other, "never used", Row::default()).await;
        w.table(
            "last_used_before",
            vec![
                ("2022-01-02", vec![token1]),
                ("2022-01-01", vec![]),
                ("2022-01-01T12:30:24", vec![]),
                ("2022-01-01T12:30:25", vec![token1]),
                ("2022-01-01T12:30:26", vec![token1]),
            ],
        )
        .await;
        w.table(
            "last_used_after",
            vec![
                ("2022-01-03", vec![w.id]),
                ("2022-01-01", sorted(vec![token1, w.id])),
                ("2022-01-01T12:30:26", vec![w.id]),
                ("2022-01-01T12:30:25", sorted(vec![token1, w.id])),
                ("2026-01-02T00:00:00", vec![]),
            ],
        )
        .await;
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_expires_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let expiring = Row {
            expires_at: Some(JAN_1),
            ..Row::default()
        };
        let token1 = w.insert(&w.other, "token1", expiring).await;
        w.table(
            "expires_before",
            vec![
                ("2022-01-02", vec![token1]),
                ("2022-01-01", vec![]),
                ("2022-01-01T12:30:24", vec![]),
            ],
        )
        .await;
        w.table(
            "expires_after",
            vec![
                ("2022-01-03", vec![w.id]),
                ("2022-01-01", sorted(vec![token1, w.id])),
                ("2022-01-01T12:30:26", sorted(vec![token1, w.id])),
                ("2026-01-02T00:00:00", vec![w.id]),
            ],
        )
        .await;
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_with_search_parameter,
    |t| {
        let w = World::new(&t, true).await;
        let token1 = w.insert(&w.other, "test_1", Row::default()).await;
        let token2 = w.insert(&w.other, "test_2", Row::default()).await;
        for (pattern, expected) in [
            ("test", sorted(vec![token1, token2])),
            ("", sorted(vec![token1, token2, w.id])),
            ("test_1", vec![token1]),
            ("asdf", vec![]),
        ] {
            assert_eq!(
                w.ids(&format!("search={pattern}")).await,
                expected,
                "{pattern}"
            );
        }
    }
);

both_backends!(
    logged_in_as_an_administrator_filter_created_and_last_used_before_and_after_combined,
    |t| {
        let w = World::new(&t, true).await;
        let both = Row {
            created_at: Some(JAN_2),
            last_used_at: Some(JAN_2),
            ..Row::default()
        };
        let token1 = w.insert(&w.other, "token1", both).await;
        for filter in ["created", "last_used"] {
            for (before, after, expected) in [
                (Some("2022-01-03"), Some("2022-01-01"), vec![token1]),
                (Some("2022-01-01"), Some("2022-01-03"), vec![]),
                (Some("2022-01-03"), None, vec![token1]),
                (None, Some("2022-01-01"), sorted(vec![token1, w.id])),
                // 'filter … combined is valid': both bounds on the instant.
                (Some("2022-01-02"), Some("2022-01-02"), vec![token1]),
            ] {
                let mut query = Vec::new();
                if let Some(before) = before {
                    query.push(format!("{filter}_before={before}"));
                }
                if let Some(after) = after {
                    query.push(format!("{filter}_after={after}"));
                }
                let query = query.join("&");
                assert_eq!(w.ids(&query).await, expected, "{query}");
            }
        }
    }
);

// --- logged in as a non-Administrator ----------------------------------------

both_backends!(
    logged_in_as_a_non_administrator_returns_all_pats_belonging_to_the_signed_in_user,
    |t| {
        let w = World::new(&t, false).await;
        w.insert(&w.other, "theirs", Row::default()).await;
        let impersonation = Row {
            impersonation: true,
            ..Row::default()
        };
        w.insert(&w.current, "impersonated", impersonation).await;
        assert_eq!(w.ids("").await, [w.id]);
        // filtered with user_id parameter: theirs…
        assert_eq!(w.ids(&format!("user_id={}", w.current.id)).await, [w.id]);
        // …'is unauthorized if filtered by a user other than current_user'.
        let (status, _) = w.get(&format!("user_id={}", w.other.id)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(
    logged_in_as_a_non_administrator_filter_with_revoked_parameter,
    |t| {
        let w = World::new(&t, false).await;
        let revoked = Row {
            revoked: true,
            ..Row::default()
        };
        let users_revoked = w.insert(&w.current, "mine, revoked", revoked).await;
        w.insert(&w.other, "theirs", Row::default()).await;
        w.insert(&w.other, "theirs, revoked", revoked).await;
        assert_eq!(w.ids("revoked=true").await, [users_revoked]);
        assert_eq!(w.ids("revoked=false").await, [w.id]);
    }
);

// --- GET /personal_access_tokens/:id -------------------------------------------

both_backends!(get_by_id_when_current_user_is_an_administrator, |t| {
    let w = World::new(&t, true).await;
    let users_token = w.insert(&w.other, "theirs", Row::default()).await;
    let get = |id: i64| {
        let app = w.s.app.clone();
        let secret = w.secret.clone();
        async move {
            let r = Rest::get(&app, format!("/api/v4/personal_access_tokens/{id}"))
                .token(&secret)
                .send()
                .await;
            (
                r.status,
                serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null),
            )
        }
    };
    // 'returns admins own PAT by id', 'returns a different users PAT by id'
    for id in [w.id, users_token] {
        let (status, body) = get(id).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["id"], id);
    }
    // 'fails to return PAT because no PAT exists with this id'
    assert_eq!(get(999_999).await.0, StatusCode::NOT_FOUND);
});

both_backends!(get_by_id_when_current_user_is_not_an_administrator, |t| {
    let w = World::new(&t, false).await;
    let others = w.insert(&w.other, "theirs", Row::default()).await;
    let read_only = tokens::create(
        &w.s.st,
        &Actor::user(&w.current),
        &w.current,
        "ro",
        "2026-02-01",
        &["read_repository"],
    )
    .await
    .unwrap();
    let get = |id: i64, secret: String| {
        let app = w.s.app.clone();
        async move {
            let r = Rest::get(&app, format!("/api/v4/personal_access_tokens/{id}"))
                .token(&secret)
                .send()
                .await;
            (
                r.status,
                serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null),
            )
        }
    };
    // 'returns users own PAT by id', with the addresses it was used from
    let (status, body) = get(w.id, w.secret.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], w.id);
    assert!(body["last_used_ips"].is_array(), "{body}");
    // 'fails to return other users PAT by id', '… because no PAT exists'
    assert_eq!(
        get(others, w.secret.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(999_999, w.secret.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    // 'fails to return own PAT by id with read_repository token'
    assert_eq!(get(w.id, read_only.secret).await.0, StatusCode::FORBIDDEN);
});

// --- POST /personal_access_tokens/:id/rotate -----------------------------------

both_backends!(rotate_by_id, |t| {
    let w = World::new(&t, false).await;
    let rotate = |id: i64, secret: String, body: Value| {
        let app = w.s.app.clone();
        async move {
            let r = Rest::post(&app, format!("/api/v4/personal_access_tokens/{id}/rotate"))
                .token(&secret)
                .json(body)
                .send()
                .await;
            (
                r.status,
                serde_json::from_str::<Value>(&r.body).unwrap_or(Value::Null),
            )
        }
    };
    let fresh = |name: &'static str| {
        let st = w.s.st.clone();
        let owner = w.current.clone();
        async move {
            let created = tokens::create(
                &st,
                &Actor::user(&owner),
                &owner,
                name,
                "2026-02-01",
                &["api"],
            )
            .await
            .unwrap();
            (created.token.id.get(), created.secret)
        }
    };
    // "rotates user's own token": a week by default…
    let (id, secret) = fresh("a").await;
    let (status, body) = rotate(id, secret.clone(), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["token"], secret.as_str());
    assert_eq!(body["expires_at"], "2026-01-08");
    // …'when expiry is defined', that date.
    let (id, secret) = fresh("b").await;
    let (_, body) = rotate(id, secret, json!({"expires_at": "2026-02-01"})).await;
    assert_eq!(body["expires_at"], "2026-02-01");
    // 'without permission': another user's token.
    let others = w.insert(&w.other, "theirs", Row::default()).await;
    assert_eq!(
        rotate(others, w.secret.clone(), json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
    // 'when token does not exist', 'for non-admin user'.
    assert_eq!(
        rotate(999_999, w.secret.clone(), json!({})).await.0,
        StatusCode::UNAUTHORIZED
    );
    // 'when service raises an error': '400 Bad request - <message>'.
    let revoked = Row {
        revoked: true,
        ..Row::default()
    };
    let revoked = w.insert(&w.current, "revoked", revoked).await;
    let (status, body) = rotate(revoked, w.secret.clone(), json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("400 Bad request - "),
        "{body}"
    );
    // 'when require_token_expiry is false', 'when expiry is not defined':
    // no expiry.
    crate::server::tests::support::change_settings(&w.s.st, |s| s.token_expiry_required = false)
        .await;
    let (id, secret) = fresh("c").await;
    let (status, body) = rotate(id, secret, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_at"], Value::Null);
});

both_backends!(
    rotate_by_id_when_token_does_not_exist_for_admin_user_returns_not_found,
    |t| {
        let w = World::new(&t, true).await;
        let r = Rest::post(&w.s.app, "/api/v4/personal_access_tokens/999999/rotate")
            .token(&w.secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
);

// --- DELETE /personal_access_tokens/:id ----------------------------------------

both_backends!(delete_by_id_when_current_user_is_an_administrator, |t| {
    let w = World::new(&t, true).await;
    let token1 = w.insert(&w.other, "theirs", Row::default()).await;
    let revoked = |id: i64| {
        let db = w.s.st.db.clone();
        async move {
            crate::server::db::tokens::find(&db, crate::domain::ids::TokenId(id))
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        }
    };
    // 'fails to revoke a different user token using a readonly scope'
    let read_only = tokens::create(
        &w.s.st,
        &Actor::user(&w.current),
        &w.current,
        "ro",
        "2026-02-01",
        &["read_repository"],
    )
    .await
    .unwrap();
    let r = Rest::delete(&w.s.app, format!("/api/v4/personal_access_tokens/{token1}"))
        .token(&read_only.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!revoked(token1).await);
    // 'revokes a different users token'
    let r = Rest::delete(&w.s.app, format!("/api/v4/personal_access_tokens/{token1}"))
        .token(&w.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(revoked(token1).await);
    // 'revokes their own token'
    let r = Rest::delete(&w.s.app, format!("/api/v4/personal_access_tokens/{}", w.id))
        .token(&w.secret)
        .send()
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
});

both_backends!(
    delete_by_id_when_current_user_is_not_an_administrator,
    |t| {
        let w = World::new(&t, false).await;
        let token1 = w.insert(&w.other, "theirs", Row::default()).await;
        let impersonation = Row {
            impersonation: true,
            ..Row::default()
        };
        let impersonated = w.insert(&w.current, "impersonated", impersonation).await;
        let delete = |id: i64| {
            let app = w.s.app.clone();
            let secret = w.secret.clone();
            async move {
                Rest::delete(&app, format!("/api/v4/personal_access_tokens/{id}"))
                    .token(&secret)
                    .send()
                    .await
                    .status
            }
        };
        // 'fails revokes a different users token', 'cannot revoke impersonation token'
        assert_eq!(delete(token1).await, StatusCode::BAD_REQUEST);
        assert_eq!(delete(impersonated).await, StatusCode::BAD_REQUEST);
        // 'revokes their own token'
        assert_eq!(delete(w.id).await, StatusCode::NO_CONTENT);
    }
);

// --- a blocked user's token (Gitlab::Auth::UserAccessDeniedReason) ------------

both_backends!(
    a_blocked_users_token_is_forbidden_saying_the_account_is_blocked,
    |t| {
        let w = World::new(&t, false).await;
        sqlx::query("UPDATE users SET blocked_at = $1 WHERE id = $2")
            .bind(T0 - 10)
            .bind(w.current.id)
            .execute(&w.s.st.db.pool)
            .await
            .unwrap();
        let r = Rest::get(&w.s.app, "/api/v4/user")
            .token(&w.secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            serde_json::from_str::<Value>(&r.body).unwrap(),
            json!({"message": "403 Forbidden - Your account has been blocked."})
        );
    }
);

// --- users_spec.rb: DELETE /users/:user_id/impersonation_tokens/:id -----------

both_backends!(
    delete_impersonation_token_it_behaves_like_412_response,
    |t| {
        let w = World::new(&t, true).await;
        let impersonation = Row {
            impersonation: true,
            ..Row::default()
        };
        let token = w.insert(&w.other, "support", impersonation).await;
        let path = format!("/api/v4/users/{}/impersonation_tokens/{token}", w.other.id);
        // 'for a modified ressource': 412, nothing revoked.
        let r = Rest::delete(&w.s.app, &path)
            .token(&w.secret)
            .header("If-Unmodified-Since", "1990-01-12T00:00:48-0600")
            .send()
            .await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
        assert_eq!(
            serde_json::from_str::<Value>(&r.body).unwrap(),
            json!({"message": "412 Precondition Failed"})
        );
        // 'for an unmodified ressource' (Ruby's `Time.now`): revoked.
        let r = Rest::delete(&w.s.app, &path)
            .token(&w.secret)
            .header("If-Unmodified-Since", "2026-01-01 00:00:00 +0000")
            .send()
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    }
);

// --- sort (PersonalAccessTokensFinder's simple sorts) -----------------------

both_backends!(get_personal_access_tokens_with_sort_orders_the_list, |t| {
    let w = World::new(&t, false).await;
    let day = 86_400;
    let banana = w
        .insert(
            &w.current,
            "banana",
            Row {
                created_at: Some(T0 - 3 * day),
                expires_at: Some(T0 + 20 * day),
                last_used_at: Some(T0 - day),
                ..Row::default()
            },
        )
        .await;
    let apple = w
        .insert(
            &w.current,
            "apple",
            Row {
                created_at: Some(T0 - 2 * day),
                expires_at: Some(T0 + 10 * day),
                ..Row::default()
            },
        )
        .await;
    let cherry = w
        .insert(
            &w.current,
            "cherry",
            Row {
                created_at: Some(T0 - day),
                expires_at: Some(T0 + 40 * day),
                last_used_at: Some(T0 - 2 * day),
                ..Row::default()
            },
        )
        .await;
    // `mine` (w.id): created at T0, expires T0 + 31 days, used at T0.
    let mine = w.id;
    let w = &w;
    let listed = |query: &'static str| async move {
        let (status, body) = w.get(query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body.as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("sort=name_asc").await, [apple, banana, cherry, mine]);
    assert_eq!(
        listed("sort=name_desc").await,
        [mine, cherry, banana, apple]
    );
    assert_eq!(
        listed("sort=created_asc").await,
        [banana, apple, cherry, mine]
    );
    assert_eq!(
        listed("sort=created_desc").await,
        [mine, cherry, apple, banana]
    );
    assert_eq!(
        listed("sort=expires_at_asc_id_desc").await,
        [apple, banana, mine, cherry]
    );
    // Never used comes last ascending and first descending, on both backends.
    assert_eq!(
        listed("sort=last_used_asc").await,
        [cherry, banana, mine, apple]
    );
    assert_eq!(
        listed("sort=last_used_desc").await,
        [apple, mine, banana, cherry]
    );
    assert_eq!(listed("sort=id_desc").await, [cherry, apple, banana, mine]);
    // An unknown sort keeps the default order (oldest id first).
    assert_eq!(listed("sort=sideways").await, [mine, banana, apple, cherry]);
    // With a name search (through SQLite's trigram index) and pages.
    assert_eq!(listed("sort=name_desc&search=ana").await, [banana]);
    assert_eq!(
        listed("sort=name_asc&per_page=2&page=2").await,
        [cherry, mine]
    );
    // An administrator's search goes through the name index's join
    // (SQLite), where the sort's column must still be the token's.
    let root = crate::server::services::accounts::find_by_username(&w.s.st, "root")
        .await
        .unwrap()
        .unwrap();
    let admin = tokens::create(
        &w.s.st,
        &Actor::user(&root),
        &root,
        "bananas",
        "2026-02-01",
        &["api"],
    )
    .await
    .unwrap();
    let r = Rest::get(
        &w.s.app,
        "/api/v4/personal_access_tokens?sort=name_desc&search=anan",
    )
    .token(&admin.secret)
    .send()
    .await;
    let names: Vec<String> = serde_json::from_str::<Value>(&r.body)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["bananas", "banana"]);
});
