//! The credentials inventory (issue 22): every user's tokens narrowed by
//! owner, scope, state, expiry and use, and revoked in bulk once the count
//! is confirmed, on both backends.

use super::support::{api_token, both_backends, is_revoked, register, token_with_scopes, Scenario};
use crate::domain::token::{InventoryQuery, StateFilter};
use crate::server::db::outbox;
use crate::server::services::audit::Actor;
use crate::server::services::inventory;
use crate::server::services::tokens::{self, Issuer};
use crate::server::services::{Conflict, ServiceError};

const DAY: i64 = 86_400;

fn names(listed: &[inventory::Listed]) -> Vec<String> {
    listed
        .iter()
        .map(|l| format!("{}:{}", l.owner, l.token.name))
        .collect()
}

both_backends!(the_inventory_narrows_every_users_tokens, |t| {
    // T0 is 2026-01-01.
    let s = Scenario::new(&t).await;
    let root = register(&s.st, "root").await;
    let alice = register(&s.st, "alice").await;
    let bob = register(&s.st, "bob").await;
    api_token(&s.st, &alice, "soon", "2026-01-05").await;
    api_token(&s.st, &alice, "later", "2026-06-01").await;
    let (bob_read, _) = token_with_scopes(&s.st, &bob, &["read_api"]).await;
    crate::server::tests::support::issued_token(
        &s.st,
        &bob,
        Issuer::Impersonation(&root),
        &["api"],
    )
    .await;
    let gone = api_token(&s.st, &bob, "gone", "2026-06-01").await;
    crate::server::tests::support::revoke(&s.st, gone.token.id).await;

    let list = |query: InventoryQuery| {
        let st = s.st.clone();
        async move {
            let (listed, total) = inventory::page(&st, &query, 0, 100).await.unwrap();
            assert_eq!(total as usize, listed.len());
            let mut all = names(&listed);
            all.sort();
            all
        }
    };
    assert_eq!(list(InventoryQuery::default()).await.len(), 5);
    assert_eq!(
        list(InventoryQuery::parse(Some("ALICE"), None, None, None, None)).await,
        ["alice:later", "alice:soon"]
    );
    assert!(list(InventoryQuery::parse(
        Some("nobody"),
        None,
        None,
        None,
        None
    ))
    .await
    .is_empty());
    assert_eq!(
        list(InventoryQuery::parse(
            None,
            Some("read_api"),
            None,
            None,
            None
        ))
        .await,
        ["bob:t"]
    );
    assert_eq!(
        list(InventoryQuery::parse(
            None,
            None,
            Some("revoked"),
            None,
            None
        ))
        .await,
        ["bob:gone"]
    );
    // Expiring within 7 days: active ones only.
    assert_eq!(
        list(InventoryQuery::parse(None, None, None, Some("7"), None)).await,
        ["alice:soon"]
    );

    // Unused for 10 days: none yet; after 11 days all of them, but not
    // the one used meanwhile.
    let unused = InventoryQuery::parse(None, None, Some("active"), None, Some("10"));
    assert!(list(unused.clone()).await.is_empty());
    s.clock.advance(11 * DAY);
    let now = s.st.now();
    crate::server::db::tokens::record_uses(&s.st.db, &[(bob_read, now, Vec::new())], 60)
        .await
        .unwrap();
    let idle = list(unused).await;
    assert_eq!(
        idle,
        ["alice:later", "bob:t"],
        "bob's read_api token was used; his impersonation token was not: {idle:?}"
    );
    assert!(!is_revoked(&s.st, bob_read).await);
    let _ = StateFilter::All;
});

both_backends!(bulk_revocation_takes_the_confirmed_count, |t| {
    let s = Scenario::new(&t).await;
    let root = register(&s.st, "root").await;
    let alice = register(&s.st, "alice").await;
    let bob = register(&s.st, "bob").await;
    let a1 = api_token(&s.st, &alice, "a1", "2026-06-01").await;
    let a2 = api_token(&s.st, &alice, "a2", "2026-06-01").await;
    let b1 = api_token(&s.st, &bob, "b1", "2026-06-01").await;
    let query = InventoryQuery::parse(Some("alice"), None, None, None, None);
    assert_eq!(inventory::active_matching(&s.st, &query).await.unwrap(), 2);

    // A count that no longer holds revokes nothing.
    let actor = Actor::user(&root);
    let stale = inventory::revoke_matching(&s.st, &actor, &query, 1).await;
    assert_eq!(
        stale,
        Err(ServiceError::Conflict(Conflict::MatchingChanged {
            confirmed: 1,
            matching: 2
        }))
    );
    assert!(!is_revoked(&s.st, a1.token.id).await);

    let before = outbox::list(&s.st.db, 0, 1).await.unwrap().1;
    assert_eq!(
        inventory::revoke_matching(&s.st, &actor, &query, 2).await,
        Ok(2)
    );
    assert!(is_revoked(&s.st, a1.token.id).await && is_revoked(&s.st, a2.token.id).await);
    assert!(!is_revoked(&s.st, b1.token.id).await);
    // Each on the record and mailed, as any revocation.
    assert_eq!(outbox::list(&s.st.db, 0, 1).await.unwrap().1, before + 2);
    let (events, _) = crate::server::services::audit::list(&s.st, &Default::default(), 0, 10)
        .await
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "token_revoked" && e.actor_name == "root")
            .count(),
        2
    );
    // Nothing active is left to revoke.
    assert_eq!(inventory::active_matching(&s.st, &query).await.unwrap(), 0);
    assert_eq!(
        inventory::revoke_matching(&s.st, &actor, &query, 0).await,
        Ok(0)
    );
    let _ = tokens::list(&s.st, bob.id).await.unwrap();
});

both_backends!(
    the_credentials_page_functions_take_the_filter_as_forms_send_it,
    |t| {
        use crate::server::tests::support::Client;
        let s = Scenario::new(&t).await;
        let mut root = Client::new(s.app.clone());
        root.sign_up("root").await;
        let alice = register(&s.st, "alice").await;
        let kept = api_token(&s.st, &alice, "kept", "2026-06-01").await;
        let gone = api_token(&s.st, &alice, "gone", "2026-06-01").await;
        let bob = register(&s.st, "bob").await;
        let bobs = api_token(&s.st, &bob, "bobs", "2026-06-01").await;

        // As the list asks for it: the filter's fields in brackets.
        let r = root
            .call(
                "load_credentials",
                &[
                    ("page", "1"),
                    ("filter[owner]", "alice"),
                    ("filter[state]", "active"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let page = Client::json(&r);
        assert_eq!(page["tokens"]["total"], 2, "{page}");
        assert_eq!(page["active_matching"], 2);
        assert_eq!(page["query"], "owner=alice&state=active");

        // The confirmation's form, a count that no longer holds, then the right one.
        crate::server::tests::support::revoke(&s.st, gone.token.id).await;
        let revoke = |confirmed: &'static str| {
            let mut root = Client {
                app: s.app.clone(),
                cookie: root.cookie.clone(),
                others: root.others.clone(),
            };
            async move {
                root.call(
                    "revoke_credentials",
                    &[("confirmed", confirmed), ("filter[owner]", "alice")],
                )
                .await
            }
        };
        let stale = revoke("2").await;
        assert_ne!(stale.status, 200, "{}", stale.body);
        assert!(
            stale
                .body
                .contains("1 tokens match now, not the 2 you confirmed"),
            "{}",
            stale.body
        );
        assert!(!is_revoked(&s.st, kept.token.id).await);
        let done = revoke("1").await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert!(done.body.contains("1 token was revoked."), "{}", done.body);
        assert!(is_revoked(&s.st, kept.token.id).await);
        assert!(!is_revoked(&s.st, bobs.token.id).await);

        // Nobody but an administrator: as if the page did not exist.
        let mut carol = Client::new(s.app.clone());
        carol.sign_up("carol").await;
        let r = carol.call("load_credentials", &[("page", "1")]).await;
        assert_ne!(r.status, 200, "{}", r.body);
    }
);
