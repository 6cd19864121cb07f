//! Property tests over every parser of client input: whatever arrives, no
//! panic, and a refusal names what was wrong.

use crate::domain::account::{validate_email, validate_username};
use crate::domain::lifetime::LifetimePolicy;
use crate::domain::project::NewProject;
use crate::domain::scope::{parse_choice, Offered};
use crate::domain::token::check_shape;
use crate::server::api::auth::presented_token;
use crate::server::api::error::ApiError;
use crate::server::api::paginate;
use crate::server::api::params::Params;
use crate::server::client_addr::TrustedProxies;
use axum::http::{HeaderMap, HeaderValue, Request};
use proptest::prelude::*;
use std::net::IpAddr;

/// Any header value a client could send (visible ASCII and spaces, and
/// obs-text bytes).
fn header_value() -> impl Strategy<Value = HeaderValue> {
    proptest::collection::vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff], 0..120)
        .prop_map(|bytes| HeaderValue::from_bytes(&bytes).unwrap())
}

/// A query string made of pieces clients and attackers write.
fn query() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("page".to_owned()),
        Just("per_page".to_owned()),
        Just("state".to_owned()),
        Just("created_after".to_owned()),
        Just("revoked".to_owned()),
        Just("scopes[]".to_owned()),
        "[a-z_%\\[\\]]{0,12}",
    ];
    let value = prop_oneof![
        "-?[0-9]{0,25}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:]{8}Z)?",
        ".{0,20}",
        Just("%".to_owned()),
        Just("%zz".to_owned()),
    ];
    proptest::collection::vec((key, value), 0..6).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn query_parameters_never_panic_and_refusals_name_the_parameter(q in query()) {
        let params = Params::from_query(Some(&q));
        for name in ["page", "per_page", "revoked", "created_after", "nope"] {
            for result in [
                params.int(name).map(|_| ()),
                params.bool(name).map(|_| ()),
                params.instant(name).map(|_| ()),
            ] {
                if let Err(e) = result {
                    prop_assert_eq!(e, ApiError::BadParameter(format!("{name} is invalid")));
                }
            }
        }
        let _ = params.list("scopes");
        match paginate((0..250).collect::<Vec<i32>>(), &params, "http://x", "/p") {
            Ok((headers, page)) => {
                prop_assert!(page.len() <= 100);
                prop_assert!(headers.contains_key("x-total"));
            }
            Err(ApiError::BadParameter(m)) => {
                prop_assert!(
                    m.starts_with("page ") || m.starts_with("per_page "),
                    "{}",
                    m
                );
            }
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn token_headers_never_panic(auth in header_value(), private in header_value(), q in query()) {
        const QUERY: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'&').remove(b'=').remove(b'_');
        let q = percent_encoding::utf8_percent_encode(&q, QUERY);
        let req = Request::get(format!("/api/v4/user?{q}"))
            .header("authorization", auth.clone())
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        if let Some(token) = presented_token(&parts) {
            // A token is always a trimmed part of what was sent.
            prop_assert_eq!(token.trim(), token.as_ref());
            let _ = check_shape(&token);
        }
        let req = Request::get("/api/v4/user")
            .header("private-token", private)
            .header("authorization", auth)
            .body(())
            .unwrap();
        let (parts, ()) = req.into_parts();
        let _ = presented_token(&parts);
    }

    #[test]
    fn forwarding_headers_never_panic_and_name_a_real_hop(
        xff in header_value(),
        forwarded in header_value(),
        peer in any::<IpAddr>(),
    ) {
        let proxies = TrustedProxies::new(vec!["0.0.0.0/0".parse().unwrap(), "::/0".parse().unwrap()]);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff);
        let _ = proxies.client(peer, &headers);
        // Without trusted proxies the headers never matter.
        let canonical_peer = match peer {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
            v4 => v4,
        };
        prop_assert_eq!(TrustedProxies::default().client(peer, &headers), canonical_peer);
        headers.insert("forwarded", forwarded);
        let _ = proxies.client(peer, &headers);
        let _ = TrustedProxies::default().client(peer, &headers);
    }

    #[test]
    fn scope_lists_are_known_scopes_or_a_named_refusal(
        chosen in proptest::collection::vec(
            prop_oneof![Just("api".to_owned()), Just("read_user".to_owned()), Just("sudo".to_owned()), ".{0,12}"],
            0..5,
        ),
        admin in any::<bool>(),
        registry in any::<bool>(),
    ) {
        match parse_choice(&chosen, Offered { admin, registry }) {
            Ok(scopes) => prop_assert!(!scopes.is_empty()),
            Err(crate::domain::DomainError::Invalid(errors)) => {
                prop_assert!(errors.iter().all(|e| e.field == "scopes" && !e.message.is_empty()));
            }
        }
    }

    #[test]
    fn expiry_dates_are_in_bounds_or_refused(input in ".{0,24}", days in 1i64..=365, ymd in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
        let today = time::macros::date!(2026 - 01 - 01);
        let policy = LifetimePolicy::new(days, true);
        for text in [input.as_str(), ymd.as_str()] {
            match policy.parse_expiry(text, today) {
                Ok(date) => {
                    prop_assert!(date > today);
                    prop_assert!(date <= policy.latest(today));
                }
                Err(crate::domain::DomainError::Invalid(errors)) => {
                    prop_assert!(errors.iter().all(|e| !e.message.is_empty()));
                }
            }
        }
    }

    #[test]
    fn names_and_paths_are_valid_or_refused(name in ".{0,40}", path in ".{0,40}", visibility in ".{0,10}") {
        if let Ok(project) = NewProject::parse(&name, &path, &visibility) {
            prop_assert!(!project.name.is_empty());
            prop_assert!(!crate::domain::text::has_unsafe_chars(&project.name));
            prop_assert!(!project.path.contains('/') && !project.path.ends_with(".git"));
        }
        if validate_username(&name).is_ok() {
            prop_assert!(name.is_ascii());
            prop_assert!(!crate::domain::account::RESERVED_USERNAMES.contains(&name.to_ascii_lowercase().as_str()));
        }
        let _ = validate_email(&name);
    }
}
