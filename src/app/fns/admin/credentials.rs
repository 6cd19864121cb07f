//! Admin Area → Credentials: every user's tokens (the credentials
//! inventory), narrowed by owner, scope, state, expiry and use; revoked in
//! bulk after a confirmation; or found by a secret someone holds.

use super::{AppError, Page};
use crate::app::fns::tokens::TokenView;
use leptos::server;
use serde::{Deserialize, Serialize};

/// A token as the inventory lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub token: TokenView,
    pub owner: String,
    pub impersonation: bool,
}

/// The filter as typed (the form shows it again). In a form its fields
/// are `filter[owner]` and so on; any may be left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialsFilter {
    pub owner: String,
    pub scope: String,
    pub state: String,
    pub expiring_within: String,
    pub unused_for: String,
}

/// The inventory page: one page of matching tokens, how many of all that
/// match are active (what "Revoke" would revoke), and the filter's query
/// string for links that keep it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsPage {
    pub now: i64,
    pub tokens: Page<CredentialView>,
    pub filter: CredentialsFilter,
    pub active_matching: i64,
    pub query: String,
}

#[cfg(feature = "ssr")]
fn inventory_query(f: &CredentialsFilter) -> crate::domain::token::InventoryQuery {
    fn given(v: &str) -> Option<&str> {
        Some(v).filter(|v| !v.trim().is_empty())
    }
    crate::domain::token::InventoryQuery::parse(
        given(&f.owner),
        given(&f.scope),
        given(&f.state),
        given(&f.expiring_within),
        given(&f.unused_for),
    )
}

#[cfg(feature = "ssr")]
fn credential(listed: crate::server::services::inventory::Listed) -> CredentialView {
    CredentialView {
        impersonation: listed.token.impersonation,
        owner: listed.owner,
        token: crate::app::fns::tokens::view(listed.token),
    }
}

#[server(
    prefix = "/_fn",
    output = crate::app::fns::codec::Json,
    endpoint = "load_credentials"
)]
pub async fn load_credentials(
    page: i64,
    #[server(default)] filter: CredentialsFilter,
) -> Result<CredentialsPage, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::inventory;
    let (st, _session, _admin) = ctx::admin().await?;
    let query = inventory_query(&filter);
    let (page, offset) = super::offset(page);
    let (listed, total) = inventory::page(&st, &query, offset, super::PER_PAGE).await?;
    let active_matching = inventory::active_matching(&st, &query).await?;
    Ok(CredentialsPage {
        now: st.now(),
        tokens: Page {
            items: listed.into_iter().map(credential).collect(),
            page,
            total,
            per_page: super::PER_PAGE,
        },
        filter,
        active_matching,
        query: query.to_query(),
    })
}

/// Revokes every active token the filter matches, once `confirmed` is how
/// many match (the count the administrator saw).
#[server(
    prefix = "/_fn",
    output = crate::app::fns::codec::Json,
    endpoint = "revoke_credentials"
)]
pub async fn revoke_credentials(
    confirmed: i64,
    #[server(default)] filter: CredentialsFilter,
) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::inventory;
    let query = inventory_query(&filter);
    let result = async {
        let (st, _session, me) = ctx::admin().await?;
        let revoked = inventory::revoke_matching(&st, &ctx::actor(&me), &query, confirmed).await?;
        Ok::<_, AppError>(match revoked {
            1 => "1 token was revoked.".to_owned(),
            n => format!("{n} tokens were revoked."),
        })
    }
    .await;
    // Back to the list as it was filtered, without the confirmation step.
    let back = match query.to_query() {
        q if q.is_empty() => crate::paths::ADMIN_CREDENTIALS.to_owned(),
        q => format!("{}?{q}", crate::paths::ADMIN_CREDENTIALS),
    };
    super::back_to(Some(back));
    let notice = result.as_ref().ok().cloned();
    ctx::finish(CREDENTIALS_FLASH, &[], notice.as_deref(), result).await
}

/// What the list shows after a change (a bulk revocation, a lookup).
pub const CREDENTIALS_FLASH: &str = "credentials";

/// Finds the token behind a secret someone holds (and revokes it with
/// `revoke`): the answer names its owner, name, state and scopes, never
/// the secret.
#[server(
    prefix = "/_fn",
    output = crate::app::fns::codec::Json,
    endpoint = "find_credential"
)]
pub async fn find_credential(
    token: String,
    #[server(default)] revoke: bool,
) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::domain::FieldError;
    use crate::server::services::tokens::{self, Identified};
    let result = async {
        let (st, _session, me) = ctx::admin().await?;
        let not_found = |message: &str| AppError::Invalid(vec![FieldError::new("token", message)]);
        let found = match tokens::identify(&st, token.trim()).await? {
            Identified::Token(found) => *found,
            Identified::NotFound => return Err(not_found("No token has this secret.")),
            Identified::Foreign => {
                return Err(not_found(
                    "This is not a Forgekey token: they start with fkpat- (or the prefix they \
                     were made with) and end in a checksum.",
                ))
            }
        };
        let owner = tokens::token_owner(&st, found.id)
            .await?
            .map_or_else(|| "a deleted user".to_owned(), |o| o.username);
        let found = if revoke && found.revocable(st.now()) {
            tokens::revoke_as(&st, &ctx::actor(&me), found.id).await?
        } else {
            found
        };
        Ok(describe(&found, &owner, revoke, st.now()))
    }
    .await;
    super::back_to(Some(crate::paths::ADMIN_CREDENTIALS.to_owned()));
    let notice = result.as_ref().ok().cloned();
    // The secret is never kept to show the form again.
    ctx::finish(LOOKUP_FLASH, &[], notice.as_deref(), result).await
}

/// The lookup form's flash.
pub const LOOKUP_FLASH: &str = "find_credential";

#[cfg(feature = "ssr")]
fn describe(
    token: &crate::server::db::tokens::Token,
    owner: &str,
    revoked_now: bool,
    now: i64,
) -> String {
    use crate::domain::lifetime::iso;
    use crate::domain::token::TokenState;
    let kind = if token.impersonation {
        "impersonation token"
    } else {
        "personal access token"
    };
    let state = match token.state(now) {
        TokenState::Active => "active".to_owned(),
        TokenState::Expired { at } => {
            format!("expired {}", iso(crate::domain::instant::date_of(at)))
        }
        TokenState::Revoked { .. } if revoked_now => "revoked now".to_owned(),
        TokenState::Revoked { at } => {
            format!("revoked {}", iso(crate::domain::instant::date_of(at)))
        }
    };
    let scopes: Vec<String> = token.scopes.iter().map(ToString::to_string).collect();
    format!(
        "This secret is {owner}’s {kind} “{}” (#{}): {state}; scopes {}.",
        token.name,
        token.id,
        scopes.join(", ")
    )
}
