//! Ported from GitLab 16.11's `spec/lib/gitlab/pagination/offset_pagination_spec.rb`
//! (through `GET /personal_access_tokens`, a list GitLab pages with it) and
//! `lib/api/concerns/pagination_params.rb`. Examples about Kaminari's
//! internals (query counts, already-paginated relations) are left out.

use super::support::{api_token, both_backends, register, Rest, Scenario};
use axum::http::StatusCode;

const EXPIRES: &str = "2026-02-01";

/// Three tokens of one user, and that user's token to list them with.
async fn three_tokens(s: &Scenario) -> String {
    let alice = register(&s.st, "alice").await;
    let mut secret = String::new();
    for name in ["one", "two", "three"] {
        secret = api_token(&s.st, &alice, name, EXPIRES).await.secret;
    }
    secret
}

fn header<'a>(r: &'a crate::server::tests::support::Reply, name: &str) -> &'a str {
    r.headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no {name} header"))
}

const LIST: &str = "http://localhost/api/v4/personal_access_tokens";

both_backends!(
    offset_pagination_spec_first_page_adds_appropriate_headers,
    |t| {
        let s = Scenario::new(&t).await;
        let secret = three_tokens(&s).await;
        let r = Rest::get(
            &s.app,
            "/api/v4/personal_access_tokens?foo=bar&bar=baz&page=1&per_page=2",
        )
        .token(&secret)
        .send()
        .await;
        assert_eq!(r.status, StatusCode::OK);
        // returns appropriate amount of resources
        assert_eq!(
            serde_json::from_str::<Vec<serde_json::Value>>(&r.body)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(header(&r, "x-total"), "3");
        assert_eq!(header(&r, "x-total-pages"), "2");
        assert_eq!(header(&r, "x-per-page"), "2");
        assert_eq!(header(&r, "x-page"), "1");
        assert_eq!(header(&r, "x-next-page"), "2");
        assert_eq!(header(&r, "x-prev-page"), "");
        let link = header(&r, "link");
        // Rails' `to_query` sorts the keys, as these links do.
        let at = |page: i64| format!("<{LIST}?bar=baz&foo=bar&page={page}&per_page=2>");
        assert!(
            link.contains(&format!("{}; rel=\"first\"", at(1))),
            "{link}"
        );
        assert!(link.contains(&format!("{}; rel=\"last\"", at(2))), "{link}");
        assert!(link.contains(&format!("{}; rel=\"next\"", at(2))), "{link}");
        assert!(!link.contains("rel=\"prev\""), "{link}");
        // The token never rides along in a link.
        let r = Rest::get(
            &s.app,
            format!("/api/v4/personal_access_tokens?per_page=2&private_token={secret}"),
        )
        .send()
        .await;
        assert!(!header(&r, "link").contains("fkpat-"));
    }
);

both_backends!(
    offset_pagination_spec_second_page_adds_appropriate_headers,
    |t| {
        let s = Scenario::new(&t).await;
        let secret = three_tokens(&s).await;
        let r = Rest::get(&s.app, "/api/v4/personal_access_tokens?page=2&per_page=2")
            .token(&secret)
            .send()
            .await;
        assert_eq!(
            serde_json::from_str::<Vec<serde_json::Value>>(&r.body)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(header(&r, "x-total"), "3");
        assert_eq!(header(&r, "x-total-pages"), "2");
        assert_eq!(header(&r, "x-page"), "2");
        assert_eq!(header(&r, "x-next-page"), "");
        assert_eq!(header(&r, "x-prev-page"), "1");
        let link = header(&r, "link");
        let at = |page: i64| format!("<{LIST}?page={page}&per_page=2>");
        assert!(
            link.contains(&format!("{}; rel=\"first\"", at(1))),
            "{link}"
        );
        assert!(link.contains(&format!("{}; rel=\"last\"", at(2))), "{link}");
        assert!(link.contains(&format!("{}; rel=\"prev\"", at(1))), "{link}");
        assert!(!link.contains("rel=\"next\""), "{link}");
    }
);

both_backends!(
    offset_pagination_spec_when_resource_empty_first_page_adds_appropriate_headers,
    |t| {
        let s = Scenario::new(&t).await;
        let secret = three_tokens(&s).await;
        // A filter nothing matches: the list is empty.
        let r = Rest::get(
            &s.app,
            "/api/v4/personal_access_tokens?search=nothing-like-this&page=1&per_page=2",
        )
        .token(&secret)
        .send()
        .await;
        assert_eq!(r.body, "[]");
        assert_eq!(header(&r, "x-total"), "0");
        assert_eq!(header(&r, "x-total-pages"), "1");
        assert_eq!(header(&r, "x-per-page"), "2");
        assert_eq!(header(&r, "x-page"), "1");
        assert_eq!(header(&r, "x-next-page"), "");
        assert_eq!(header(&r, "x-prev-page"), "");
        let link = header(&r, "link");
        assert!(link.contains("page=1&per_page=2>; rel=\"first\""), "{link}");
        assert!(link.contains("page=1&per_page=2>; rel=\"last\""), "{link}");
        assert!(
            !link.contains("rel=\"prev\"") && !link.contains("rel=\"next\""),
            "{link}"
        );
        assert!(!link.contains("page=0"), "{link}");
    }
);

both_backends!(pagination_params_refuse_pages_and_sizes_below_one, |t| {
    let s = Scenario::new(&t).await;
    let secret = three_tokens(&s).await;
    for (query, error) in [
        ("page=0", "page does not have a valid value"),
        ("page=-1", "page does not have a valid value"),
        ("per_page=0", "per_page has a value not allowed"),
        ("per_page=-5", "per_page does not have a valid value"),
        ("per_page=many", "per_page is invalid"),
    ] {
        let r = Rest::get(&s.app, format!("/api/v4/personal_access_tokens?{query}"))
            .token(&secret)
            .send()
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["error"],
            error,
            "{query}"
        );
    }
});
