//! The GraphQL API at `/api/graphql`. The `graphql_spec_…` tests are
//! ported from GitLab 16.11's `spec/requests/api/graphql_spec.rb` (named
//! after its `describe` / `context` / `it`; mutations, OAuth, CSRF with
//! sessions, job, LFS and dependency-proxy tokens are left out: Forgekey
//! has none of them). The rest pin the queries Forgekey serves.

use super::support::{
    both_backends, register, token_with_scopes, Client, Rest, Scenario, TestDb, T0,
};
use crate::domain::ids::TokenId;
use crate::server::db::tokens as db_tokens;
use crate::server::db::users::User;
use crate::server::services::audit::Actor;
use crate::server::services::projects;
use axum::http::StatusCode;
use serde_json::{json, Value};

const ECHO: &str = "{ echo(text: \"Hello world\") }";

struct World {
    s: Scenario,
    root: User,
    alice: User,
}

impl World {
    async fn new(t: &TestDb) -> Self {
        let s = Scenario::new(t).await;
        let root = register(&s.st, "root").await;
        let alice = register(&s.st, "alice").await;
        Self { s, root, alice }
    }

    async fn token(&self, owner: &User, scopes: &[&str]) -> (TokenId, String) {
        token_with_scopes(&self.s.st, owner, scopes).await
    }

    /// `POST /api/graphql` with `query` and `variables`, the token in the
    /// `PRIVATE-TOKEN` header.
    async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let r = Rest::post(&self.s.app, "/api/graphql")
            .maybe_token(token)
            .json(json!({ "query": query, "variables": variables }))
            .send()
            .await;
        let body = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
        (r.status, body)
    }

    /// The `data` of a query that must succeed.
    async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(token, query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// The first error's message of a query answered 200 with errors.
    async fn error(&self, token: Option<&str>, query: &str) -> String {
        let (status, body) = self.post(token, query, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {body}"))
            .to_owned()
    }
}

fn get_path(query: &str, extra: &str) -> String {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .finish();
    format!("/api/graphql?{encoded}{extra}")
}

fn body(r: &crate::server::tests::support::Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body))
}

// --- graphql_spec.rb: when executing queries / by operation name -------

both_backends!(
    graphql_spec_when_executing_queries_succeeds_with_post_and_get,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.alice, &["api"]).await;
        let data = w.data(Some(&secret), ECHO, json!({})).await;
        assert_eq!(data["echo"], "\"alice\" says: Hello world");
        let r = Rest::get(&w.s.app, get_path(ECHO, ""))
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(body(&r)["data"]["echo"], "\"alice\" says: Hello world");
    }
);

both_backends!(
    graphql_spec_when_selecting_a_query_by_operation_name_succeeds,
    |t| {
        let w = World::new(&t).await;
        let combined = "query A { echo(text: \"from A\") }\nquery B { echo(text: \"from B\") }";
        let r = Rest::post(&w.s.app, "/api/graphql")
            .json(json!({ "query": combined, "operationName": "B" }))
            .send()
            .await;
        assert_eq!(body(&r)["data"]["echo"], "nil says: from B");
        let r = Rest::get(&w.s.app, get_path(combined, "&operationName=A"))
            .send()
            .await;
        assert_eq!(body(&r)["data"]["echo"], "nil says: from A");
    }
);

both_backends!(graphql_spec_when_batching_queries_with_post_succeeds, |t| {
    let w = World::new(&t).await;
    let r = Rest::post(&w.s.app, "/api/graphql")
        .json(json!([
            { "query": "query A { echo(text: \"one\") }" },
            { "query": "query B { echo(text: \"two\") } query C { echo(text: \"three\") }",
              "operationName": "C" },
        ]))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let answers = body(&r);
    assert_eq!(answers[0]["data"]["echo"], "nil says: one");
    assert_eq!(answers[1]["data"]["echo"], "nil says: three");
    // A batch is bounded.
    let many: Vec<Value> = (0..11).map(|_| json!({ "query": ECHO })).collect();
    let r = Rest::post(&w.s.app, "/api/graphql")
        .json(Value::Array(many))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
});

both_backends!(graphql_spec_with_invalid_variables_returns_an_error, |t| {
    let w = World::new(&t).await;
    let (status, body) = w.post(None, ECHO, json!("This is not JSON")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["errors"][0]["message"].is_string(), "{body}");
    // Variables written as a JSON string are read, as GitLab reads them.
    let data = w
        .data(
            None,
            "query($t: String!) { echo(text: $t) }",
            json!("{\"t\": \"in a string\"}"),
        )
        .await;
    assert_eq!(data["echo"], "nil says: in a string");
    // A body that is not JSON at all.
    let r = Rest::post(&w.s.app, "/api/graphql")
        .header("content-type", "application/json")
        .send()
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
});

// --- graphql_spec.rb: authentication -------------------------------------

both_backends!(
    graphql_spec_authentication_allows_access_to_public_data_without_authentication,
    |t| {
        let w = World::new(&t).await;
        let data = w.data(None, ECHO, json!({})).await;
        assert_eq!(data["echo"], "nil says: Hello world");
        let data = w.data(None, "{ currentUser { id } }", json!({})).await;
        assert_eq!(data["currentUser"], Value::Null);
    }
);

both_backends!(
    graphql_spec_with_token_authentication_authenticates_users_with_a_pat,
    |t| {
        let w = World::new(&t).await;
        let (id, secret) = w.token(&w.alice, &["api"]).await;
        let data = w.data(Some(&secret), ECHO, json!({})).await;
        assert_eq!(data["echo"], "\"alice\" says: Hello world");
        // Token use is recorded as for REST.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let stored = db_tokens::find(&w.s.st.db, id).await.unwrap().unwrap();
        assert_eq!(stored.last_used_at, Some(T0));
    }
);

both_backends!(
    graphql_spec_valid_token_accepts_it_from_header_and_parameters,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.alice, &["api"]).await;
        let says = "\"alice\" says: Hello world";
        // accepts from header
        let r = Rest::post(&w.s.app, "/api/graphql")
            .header("Authorization", format!("Bearer {secret}"))
            .json(json!({ "query": ECHO }))
            .send()
            .await;
        assert_eq!(body(&r)["data"]["echo"], says);
        // accepts from access_token parameter / private_token parameter, with
        // the query in a form body, as GitLab's spec posts it
        for param in ["access_token", "private_token"] {
            let form: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", ECHO)
                .finish();
            let r = Rest::post(&w.s.app, format!("/api/graphql?{param}={secret}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await;
            assert_eq!(body(&r)["data"]["echo"], says, "{param}");
        }
        // …and in a JSON body.
        let r = Rest::post(&w.s.app, "/api/graphql")
            .json(json!({ "query": ECHO, "private_token": secret }))
            .send()
            .await;
        assert_eq!(body(&r)["data"]["echo"], says);
    }
);

both_backends!(graphql_spec_prevents_access_by_deactivated_users, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.alice, &["api"]).await;
    crate::server::tests::support::block(&w.s.st, &w.root, w.alice.id).await;
    let (status, body) = w.post(Some(&secret), ECHO, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["errors"][0]["message"], "API not accessible for user");
});

both_backends!(
    graphql_spec_when_the_personal_access_token_has_no_api_scope_does_not_log_the_user_in,
    |t| {
        let w = World::new(&t).await;
        for scopes in [&["read_user"][..], &["read_repository", "write_repository"]] {
            let (_, secret) = w.token(&w.alice, scopes).await;
            let (status, body) = w.post(Some(&secret), ECHO, json!({})).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{scopes:?}");
            assert_eq!(body["errors"][0]["message"], "Invalid token");
        }
    }
);

both_backends!(
    graphql_spec_when_the_personal_access_token_has_read_api_scope_they_can_perform_a_query,
    |t| {
        let w = World::new(&t).await;
        let (_, secret) = w.token(&w.alice, &["read_api"]).await;
        let data = w.data(Some(&secret), ECHO, json!({})).await;
        assert_eq!(data["echo"], "\"alice\" says: Hello world");
        // There are no mutations to perform.
        let message = w
            .error(
                Some(&secret),
                "mutation { echoCreate(input: {}) { echoes } }",
            )
            .await;
        assert!(message.contains("mutation"), "{message}");
    }
);

both_backends!(revoked_expired_and_unknown_tokens_are_invalid, |t| {
    let w = World::new(&t).await;
    let (id, revoked) = w.token(&w.alice, &["api"]).await;
    crate::server::tests::support::revoke(&w.s.st, id).await;
    let (_, expired) = w.token(&w.alice, &["api"]).await;
    w.s.clock.advance(40 * 86_400);
    for secret in [revoked.as_str(), expired.as_str(), "fkpat-not-a-token"] {
        let (status, body) = w.post(Some(secret), ECHO, json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["errors"][0]["message"], "Invalid token");
    }
});

both_backends!(a_browser_session_never_authenticates_graphql, |t| {
    let s = Scenario::new(&t).await;
    let mut browser = Client::new(s.app.clone());
    browser.sign_up("carol").await;
    let cookie = browser.cookie.clone().expect("signed in");
    let r = Rest::post(&s.app, "/api/graphql")
        .header("cookie", cookie)
        .json(json!({ "query": "{ currentUser { username } }" }))
        .send()
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(body(&r)["data"]["currentUser"], Value::Null);
});

// --- graphql_spec.rb: complexity limits ---------------------------------

/// A query of `n` aliased `echo` fields: complexity `n`, depth 1.
fn wide(n: usize) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("e{i}: echo(text: \"x\")")).collect();
    format!("{{ {} }}", fields.join(" "))
}

both_backends!(graphql_spec_complexity_limits_depend_on_who_asks, |t| {
    let w = World::new(&t).await;
    let (_, user) = w.token(&w.alice, &["api"]).await;
    let (_, root) = w.token(&w.root, &["api"]).await;
    // unauthenticated user: raises a complexity error
    let message = w.error(None, &wide(201)).await;
    assert!(
        message.contains("exceeds max complexity of 200"),
        "{message}"
    );
    w.data(None, &wide(200), json!({})).await;
    // authenticated user: uses the authenticated maximum
    w.data(Some(&user), &wide(250), json!({})).await;
    let message = w.error(Some(&user), &wide(251)).await;
    assert!(
        message.contains("exceeds max complexity of 250"),
        "{message}"
    );
    // administrators: their own
    w.data(Some(&root), &wide(300), json!({})).await;
    let message = w.error(Some(&root), &wide(301)).await;
    assert!(
        message.contains("exceeds max complexity of 300"),
        "{message}"
    );
    // A connection costs its nodes' fields for every 20 nodes it may
    // return: eight pages of 20 users (9 each) are allowed, eight of 100
    // (37 each) are not.
    let pages = |n: i32| {
        let one = |i| {
            format!(
                "p{i}: users(first: {n}) {{ nodes {{ id username name state webUrl createdAt }} }}"
            )
        };
        format!("{{ {} }}", (0..8).map(one).collect::<Vec<_>>().join(" "))
    };
    w.data(Some(&user), &pages(20), json!({})).await;
    let message = w.error(Some(&user), &pages(100)).await;
    assert!(
        message.contains("exceeds max complexity of 250"),
        "{message}"
    );
});

both_backends!(depth_is_limited_and_introspection_works, |t| {
    let w = World::new(&t).await;
    let data = w
        .data(
            None,
            "{ __schema { queryType { name } } __type(name: \"UserCore\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let fields: Vec<&str> = data["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for wanted in [
        "id",
        "username",
        "name",
        "state",
        "webUrl",
        "avatarUrl",
        "createdAt",
    ] {
        assert!(fields.contains(&wanted), "{wanted} in {fields:?}");
    }
    // Sixteen levels of `ofType`: deeper than anyone may ask.
    let mut deep = String::from("name");
    for _ in 0..16 {
        deep = format!("ofType {{ {deep} }}");
    }
    let query = format!("{{ __type(name: \"Query\") {{ {deep} }} }}");
    let message = w.error(None, &query).await;
    assert!(message.contains("exceeds max depth of 15"), "{message}");
    let (_, user) = w.token(&w.alice, &["api"]).await;
    w.data(Some(&user), &query, json!({})).await;
});

both_backends!(a_query_over_ten_thousand_characters_is_too_large, |t| {
    let w = World::new(&t).await;
    let query = format!("{{ echo(text: \"{}\") }}", "x".repeat(10_000));
    let (status, body) = w.post(None, &query, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["message"], "Query too large");
});

// --- the queries ---------------------------------------------------------

both_backends!(current_user_has_gitlabs_fields_and_global_id, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.alice, &["read_api"]).await;
    let data = w
        .data(
            Some(&secret),
            "{ currentUser { __typename id username name state active avatarUrl webUrl webPath \
               publicEmail bot human createdAt } }",
            json!({}),
        )
        .await;
    let me = &data["currentUser"];
    assert_eq!(me["__typename"], "CurrentUser");
    assert_eq!(me["id"], format!("gid://gitlab/User/{}", w.alice.id.get()));
    assert_eq!(me["username"], "alice");
    assert_eq!(me["state"], "active");
    assert_eq!(me["active"], true);
    assert_eq!(me["webUrl"], "http://localhost/alice");
    assert_eq!(me["webPath"], "/alice");
    assert_eq!(me["avatarUrl"], "http://localhost/no_avatar.svg");
    assert_eq!(me["bot"], false);
    assert_eq!(me["createdAt"], "2026-01-01T00:00:00Z");
});

both_backends!(user_is_found_by_global_id_or_username, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.root, &["api"]).await;
    let by_id = format!("gid://gitlab/User/{}", w.alice.id.get());
    let data = w
        .data(
            Some(&secret),
            "query($id: UserID) { user(id: $id) { __typename username } }",
            json!({ "id": by_id }),
        )
        .await;
    assert_eq!(data["user"]["username"], "alice");
    assert_eq!(data["user"]["__typename"], "UserCore");
    let data = w
        .data(
            None,
            "{ user(username: \"ALICE\") { id } nobody: user(username: \"zed\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(data["user"]["id"], by_id);
    assert_eq!(data["nobody"], Value::Null);
    let message = w.error(None, "{ user { id } }").await;
    assert_eq!(message, "Provide either a single username or id");
    let message = w
        .error(None, "{ user(id: \"gid://gitlab/Project/1\") { id } }")
        .await;
    assert!(message.contains("not a valid Global ID"), "{message}");
});

both_backends!(users_are_a_connection_paged_by_cursors, |t| {
    let w = World::new(&t).await;
    for name in ["bob", "carol", "dave"] {
        register(&w.s.st, name).await;
        w.s.clock.advance(60);
    }
    let (_, secret) = w.token(&w.alice, &["api"]).await;
    let query = "query($first: Int, $after: String, $sort: Sort) { \
                   users(first: $first, after: $after, sort: $sort) { \
                     count nodes { username } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let names = |data: &Value| -> Vec<String> {
        data["users"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["username"].as_str().unwrap().to_owned())
            .collect()
    };
    // Newest first by default, two at a time.
    let first = w.data(Some(&secret), query, json!({ "first": 2 })).await;
    assert_eq!(names(&first), ["dave", "carol"]);
    assert_eq!(first["users"]["count"], 5);
    assert_eq!(first["users"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["users"]["pageInfo"]["endCursor"].clone();
    let second = w
        .data(Some(&secret), query, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(names(&second), ["bob", "alice"]);
    assert_eq!(second["users"]["pageInfo"]["hasPreviousPage"], true);
    let cursor = second["users"]["pageInfo"]["endCursor"].clone();
    let third = w
        .data(Some(&secret), query, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(names(&third), ["root"]);
    assert_eq!(third["users"]["pageInfo"]["hasNextPage"], false);
    let oldest = w
        .data(
            Some(&secret),
            query,
            json!({ "first": 2, "sort": "created_asc" }),
        )
        .await;
    assert_eq!(names(&oldest), ["root", "alice"]);
    // `last`: the end of the list.
    let data = w
        .data(
            Some(&secret),
            "{ users(last: 2) { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&data), ["alice", "root"]);
    // Filters: named users, administrators, a search.
    let data = w
        .data(
            Some(&secret),
            "{ users(usernames: [\"carol\", \"ROOT\", \"nobody\"]) { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&data), ["carol", "root"]);
    let data = w
        .data(
            Some(&secret),
            "{ users(admins: true) { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&data), ["root"]);
    let data = w
        .data(
            Some(&secret),
            "{ users(search: \"aro\") { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&data), ["carol"]);
    // Without a token: by username only.
    let data = w
        .data(
            None,
            "{ users(usernames: [\"bob\"]) { nodes { username } } }",
            json!({}),
        )
        .await;
    assert_eq!(names(&data), ["bob"]);
    let message = w.error(None, "{ users { nodes { username } } }").await;
    assert!(message.contains("needs a token"), "{message}");
    let message = w
        .error(Some(&secret), "{ users(first: -1) { nodes { username } } }")
        .await;
    assert!(message.contains("must not be negative"), "{message}");
});

both_backends!(projects_are_seen_as_the_rest_api_shows_them, |t| {
    let w = World::new(&t).await;
    let bob = register(&w.s.st, "bob").await;
    for (owner, name, visibility) in [
        (&w.alice, "Secret", "private"),
        (&w.alice, "Open", "public"),
        (&bob, "Tools", "private"),
    ] {
        projects::create(&w.s.st, &Actor::user(owner), owner, name, "", visibility)
            .await
            .unwrap();
    }
    let (_, alices) = w.token(&w.alice, &["read_api"]).await;
    let (_, roots) = w.token(&w.root, &["api"]).await;
    let query = "query($path: ID!) { project(fullPath: $path) { __typename id name fullPath \
                 nameWithNamespace visibility webUrl httpUrlToRepo namespace { fullPath } } }";
    let secret = w
        .data(Some(&alices), query, json!({ "path": "alice/secret" }))
        .await;
    let p = &secret["project"];
    assert_eq!(p["__typename"], "Project");
    assert!(
        p["id"]
            .as_str()
            .unwrap()
            .starts_with("gid://gitlab/Project/"),
        "{p}"
    );
    assert_eq!(p["fullPath"], "alice/secret");
    assert_eq!(p["nameWithNamespace"], "alice / Secret");
    assert_eq!(p["visibility"], "private");
    assert_eq!(p["httpUrlToRepo"], "http://localhost/alice/secret.git");
    assert_eq!(p["namespace"]["fullPath"], "alice");
    // Another user's private project is not there; an administrator sees it.
    let tools = json!({ "path": "bob/tools" });
    let data = w.data(Some(&alices), query, tools.clone()).await;
    assert_eq!(data["project"], Value::Null);
    let data = w.data(Some(&roots), query, tools).await;
    assert_eq!(data["project"]["name"], "Tools");
    let data = w.data(None, query, json!({ "path": "alice/open" })).await;
    assert_eq!(data["project"]["name"], "Open");
    let data = w.data(None, query, json!({ "path": "alice/secret" })).await;
    assert_eq!(data["project"], Value::Null);

    let list = "query($m: Boolean, $s: String, $sort: String) { \
                projects(membership: $m, search: $s, sort: $sort) { count nodes { fullPath } } }";
    let paths = |data: &Value| -> Vec<String> {
        data["projects"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["fullPath"].as_str().unwrap().to_owned())
            .collect()
    };
    let data = w.data(None, list, json!({})).await;
    assert_eq!(paths(&data), ["alice/open"]);
    let data = w.data(Some(&alices), list, json!({})).await;
    assert_eq!(paths(&data), ["alice/open", "alice/secret"]);
    let data = w.data(Some(&roots), list, json!({})).await;
    assert_eq!(data["projects"]["count"], 3);
    let data = w.data(Some(&roots), list, json!({ "m": true })).await;
    assert_eq!(paths(&data), Vec::<String>::new());
    let data = w.data(Some(&alices), list, json!({ "s": "SEC" })).await;
    assert_eq!(paths(&data), ["alice/secret"]);
    let data = w
        .data(Some(&roots), list, json!({ "sort": "name_asc" }))
        .await;
    assert_eq!(paths(&data), ["alice/open", "alice/secret", "bob/tools"]);
});

both_backends!(metadata_is_for_signed_in_users, |t| {
    let w = World::new(&t).await;
    let (_, secret) = w.token(&w.alice, &["read_api"]).await;
    let query = "{ metadata { version revision enterprise kas { enabled } } }";
    let data = w.data(Some(&secret), query, json!({})).await;
    assert_eq!(
        data["metadata"]["version"],
        crate::server::api::GITLAB_VERSION
    );
    assert_eq!(data["metadata"]["enterprise"], false);
    assert_eq!(data["metadata"]["kas"]["enabled"], false);
    let data = w.data(None, query, json!({})).await;
    assert_eq!(data["metadata"], Value::Null);
});
