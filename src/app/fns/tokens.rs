//! User Settings → Access Tokens.

use super::AppError;
use crate::domain::scope::Scope;
use crate::domain::token::TokenState;
use leptos::server;
use serde::{Deserialize, Serialize};

/// A token as its owner sees it: never the secret, never the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: crate::domain::ids::TokenId,
    pub name: String,
    pub description: Option<String>,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// The last few distinct addresses it was used from, most recent first.
    pub last_used_ips: Vec<String>,
    /// 00:00 UTC of the expiry date, unix seconds; `None`: never.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// When a rotation replaced it.
    pub rotated_at: Option<i64>,
    /// The addresses and ranges it may be used from; empty: anywhere.
    pub allowed_ips: Vec<String>,
    /// The projects (`namespace/path`) it may reach; empty: every one.
    pub projects: Vec<String>,
}

impl TokenView {
    /// Where it stands at `now`.
    pub fn state(&self, now: i64) -> TokenState {
        TokenState::at(now, self.expires_at, self.revoked_at)
    }

    /// Until when its old secret keeps working beside its successor, if it
    /// was rotated with an overlap that has not ended at `now`.
    pub fn overlap_until(&self, now: i64) -> Option<i64> {
        crate::domain::token::in_rotation_overlap(now, self.rotated_at, self.revoked_at)
            .then_some(self.revoked_at)
            .flatten()
    }
}

/// What a form's expiry date input allows: bounds and suggestion
/// (`YYYY-MM-DD`), and whether it may be left empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryBounds {
    pub earliest: String,
    pub latest: String,
    pub suggested: String,
    /// What leaving the date empty gives (the longest lifetime allowed, or
    /// no expiry where administrators allow it).
    pub when_empty: String,
}

#[cfg(feature = "ssr")]
impl ExpiryBounds {
    pub fn of(policy: &crate::domain::lifetime::LifetimePolicy, today: time::Date) -> Self {
        use crate::domain::lifetime::iso;
        Self {
            earliest: iso(policy.earliest(today)),
            latest: iso(policy.latest(today)),
            suggested: iso(policy.suggested(today)),
            when_empty: policy.empty_expiry_means(today),
        }
    }
}

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensPage {
    pub now: i64,
    /// The scopes a new token may have.
    pub offered: crate::domain::scope::Offered,
    pub expiry: ExpiryBounds,
    pub max_days: i64,
    /// Whether expired tokens stop working.
    pub expiry_enforced: bool,
    /// How many tokens the filter matches (more than are listed when
    /// beyond [`LIST_LIMIT`]).
    pub matching: i64,
    /// Whether the user has any personal access token at all.
    pub any: bool,
    pub active: Vec<TokenView>,
    pub inactive: Vec<TokenView>,
    /// A token created by a plain form post, shown once.
    pub revealed: Option<NewTokenSecret>,
}

/// A new token and its secret: the one response that carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTokenSecret {
    pub token: TokenView,
    pub secret: String,
}

impl std::fmt::Debug for NewTokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTokenSecret")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

pub const TOKEN_CREATED: &str = "Your new personal access token has been created.";
pub const TOKEN_REVOKED: &str = "The token was revoked.";
pub const DESCRIPTION_SAVED: &str = "The description was saved.";

/// The most tokens the page lists at once; search narrows the rest.
pub const LIST_LIMIT: i64 = 200;

/// The flash the list shows after a change made elsewhere (a revocation,
/// a description saved without JavaScript).
pub const LIST_FLASH: &str = "token_list";

/// Views of `tokens`, their projects named by path (one query for all).
#[cfg(feature = "ssr")]
pub(crate) async fn views(
    state: &crate::server::state::Core,
    tokens: Vec<crate::server::db::tokens::Token>,
) -> Result<Vec<TokenView>, AppError> {
    let ids: Vec<_> = tokens
        .iter()
        .flat_map(|t| t.projects.ids().iter().copied())
        .collect();
    let paths = crate::server::services::projects::full_paths(state, &ids).await?;
    Ok(tokens
        .into_iter()
        .map(|t| {
            let projects = t
                .projects
                .ids()
                .iter()
                .map(|id| {
                    paths
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id} (deleted)"))
                })
                .collect();
            TokenView {
                projects,
                ..view(t)
            }
        })
        .collect())
}

#[cfg(feature = "ssr")]
pub(crate) fn view(t: crate::server::db::tokens::Token) -> TokenView {
    TokenView {
        id: t.id,
        name: t.name,
        description: t.description,
        scopes: t.scopes,
        created_at: t.created_at,
        last_used_at: t.last_used_at,
        last_used_ips: t.last_used_ips,
        expires_at: t.expires_at,
        revoked_at: t.revoked_at,
        rotated_at: t.rotated_at,
        allowed_ips: t.allowed_ips.entries(),
        projects: t.projects.ids().iter().map(|id| format!("#{id}")).collect(),
    }
}

/// The list as the page's address asks: `?search=&state=&sort=`
/// (`domain::token::ListQuery`).
/// A new token and its secret for the page that asked: in the response
/// to JavaScript, else sealed for the one page a plain form post is
/// redirected to (`ctx::hand_over_secret`), which `user_id`'s session
/// reads.
#[cfg(feature = "ssr")]
pub(crate) async fn hand_over(
    purpose: crate::server::reveal::Purpose,
    state: &crate::server::state::AppState,
    session: &tower_sessions::Session,
    user_id: crate::domain::ids::UserId,
    created: crate::server::services::tokens::Created,
) -> Result<NewTokenSecret, AppError> {
    let sealed = super::ctx::hand_over_secret(
        purpose,
        state,
        session,
        user_id,
        created.token.id.get(),
        &created.secret,
    )
    .await?;
    Ok(NewTokenSecret {
        token: view(created.token),
        secret: if sealed {
            String::new()
        } else {
            created.secret
        },
    })
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_tokens")]
pub async fn load_tokens(
    #[server(default)] search: Option<String>,
    #[server(default)] list_state: Option<String>,
    #[server(default)] sort: Option<String>,
) -> Result<TokensPage, AppError> {
    use super::ctx;
    use crate::server::reveal;
    use crate::server::services::tokens;
    let (state, session, user) = ctx::signed_in().await?;
    let now = state.now();
    let today = crate::domain::instant::date_of(now);
    let policy = tokens::policy(&state).await?;
    let expiry_enforced = crate::server::services::settings::current(&state)
        .await?
        .token_expiry_enforced;
    let query = crate::domain::token::ListQuery::parse(
        search.as_deref(),
        list_state.as_deref(),
        sort.as_deref(),
    );
    let (listed, matching) = tokens::list_matching(&state, user.id, &query, LIST_LIMIT).await?;
    let any = matching > 0 || (!query.is_default() && tokens::has_any(&state, user.id).await?);
    let (active, inactive): (Vec<_>, Vec<_>) = views(&state, listed)
        .await?
        .into_iter()
        .partition(|t| t.state(now).is_active());

    // A secret sealed for this session by a plain form post: shown once
    // (whether or not the list's filter shows its token).
    let revealed = match ctx::take_secret(reveal::TOKEN_SECRET, &state, &session, user.id).await? {
        None => None,
        Some((ticket, secret)) => {
            let id = crate::domain::ids::TokenId(ticket.subject);
            tokens::find_own(&state, user.id, id)
                .await
                .ok()
                .filter(|t| t.is_active(now))
                .map(|t| NewTokenSecret {
                    token: view(t),
                    secret,
                })
        }
    };
    Ok(TokensPage {
        now,
        offered: crate::server::services::registry::offered(&state, user.is_admin).await?,
        expiry: ExpiryBounds::of(&policy, today),
        max_days: policy.max_days,
        expiry_enforced,
        matching,
        any,
        active,
        inactive,
        revealed,
    })
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "create_token")]
pub async fn create_token(
    name: String,
    #[server(default)] description: String,
    expires_at: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] allowed_ips: String,
    #[server(default)] projects: String,
) -> Result<NewTokenSecret, AppError> {
    use super::ctx;
    use crate::server::reveal;
    use crate::server::services::tokens;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        let request = tokens::Request {
            name: &name,
            description: &description,
            expires_on: &expires_at,
            scopes: &scopes,
            allowed_ips: &allowed_ips,
            projects: &projects,
        };
        let created = tokens::issue(
            &state,
            &ctx::actor(&user),
            &user,
            tokens::Issuer::Owner,
            request,
        )
        .await?;
        hand_over(reveal::TOKEN_SECRET, &state, &session, user.id, created).await
    };
    let result = result.await;
    // A failed form comes back as typed; a created token leaves it empty.
    let mut values = Vec::new();
    if result.is_err() {
        values.push(("name", name.as_str()));
        values.push(("description", description.as_str()));
        values.push(("expires_at", expires_at.as_str()));
        values.push(("allowed_ips", allowed_ips.as_str()));
        values.push(("projects", projects.as_str()));
        values.extend(scopes.iter().map(|s| ("scopes[]", s.as_str())));
    }
    ctx::finish("create_token", &values, Some(TOKEN_CREATED), result).await
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "revoke_token")]
pub async fn revoke_token(id: crate::domain::ids::TokenId) -> Result<TokenView, AppError> {
    use super::ctx;
    use crate::server::services::tokens;
    let result = async {
        let (state, _session, user) = ctx::signed_in().await?;
        let token = tokens::revoke(&state, &ctx::actor(&user), user.id, id).await?;
        Ok::<_, AppError>(view(token))
    }
    .await;
    if ctx::is_plain_form_post() {
        // Back to the list, not to the confirmation step it came from.
        leptos_axum::redirect(crate::paths::TOKENS);
    }
    ctx::finish(LIST_FLASH, &[], Some(TOKEN_REVOKED), result).await
}

/// One of the user's tokens, for its own pages (edit, rotate).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPage {
    pub now: i64,
    pub token: TokenView,
    pub expiry: ExpiryBounds,
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_token")]
pub async fn load_token(id: crate::domain::ids::TokenId) -> Result<TokenPage, AppError> {
    use super::ctx;
    use crate::server::services::tokens;
    let (state, _session, user) = ctx::signed_in().await?;
    let now = state.now();
    let token = tokens::find_own(&state, user.id, id).await?;
    let policy = tokens::policy(&state).await?;
    let token = views(&state, vec![token]).await?.remove(0);
    Ok(TokenPage {
        now,
        token,
        expiry: ExpiryBounds::of(&policy, crate::domain::instant::date_of(now)),
    })
}

impl crate::app::components::form::FormArgs for CreateToken {
    fn from_fields(fields: &dyn Fn(&str) -> Vec<String>) -> Option<Self> {
        use crate::app::components::form::first;
        let mut scopes = fields("scopes[]");
        scopes.extend(fields("scopes"));
        Some(Self {
            name: first(fields, "name")?,
            description: first(fields, "description").unwrap_or_default(),
            expires_at: first(fields, "expires_at")?,
            scopes,
            allowed_ips: first(fields, "allowed_ips").unwrap_or_default(),
            projects: first(fields, "projects").unwrap_or_default(),
        })
    }
}

impl crate::app::components::form::FormArgs for RevokeToken {
    fn from_fields(fields: &dyn Fn(&str) -> Vec<String>) -> Option<Self> {
        let id = crate::app::components::form::first(fields, "id")?;
        Some(Self {
            id: id.trim().parse().ok()?,
        })
    }
}

/// A token whose description was just saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescribedToken(pub TokenView);

impl crate::app::components::form::ToNotice for DescribedToken {
    fn to_notice(&self) -> Option<String> {
        Some(DESCRIPTION_SAVED.to_owned())
    }
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "describe_token")]
pub async fn describe_token(
    id: crate::domain::ids::TokenId,
    #[server(default)] description: String,
) -> Result<DescribedToken, AppError> {
    use super::ctx;
    use crate::server::services::tokens;
    let result = async {
        let (state, _session, user) = ctx::signed_in().await?;
        let token = tokens::describe(&state, &ctx::actor(&user), &user, id, &description).await?;
        Ok::<_, AppError>(DescribedToken(view(token)))
    }
    .await;
    if result.is_ok() {
        if ctx::is_plain_form_post() {
            leptos_axum::redirect(crate::paths::TOKENS);
        }
        return ctx::finish(LIST_FLASH, &[], Some(DESCRIPTION_SAVED), result).await;
    }
    // A refused form comes back to its page as typed.
    let values = [("description", description.as_str())];
    ctx::finish("describe_token", &values, None::<&str>, result).await
}

pub const TOKEN_EDITED: &str = "The token was saved.";

/// A token just edited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditedToken(pub TokenView);

impl crate::app::components::form::ToNotice for EditedToken {
    fn to_notice(&self) -> Option<String> {
        Some(TOKEN_EDITED.to_owned())
    }
}

/// Edits one of the user's tokens in place: name, description, expiry
/// within the limit; scopes and allowed addresses only narrowed.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "edit_token")]
pub async fn edit_token(
    id: crate::domain::ids::TokenId,
    name: String,
    #[server(default)] description: String,
    #[server(default)] expires_at: String,
    #[server(default)] scopes: Vec<String>,
    #[server(default)] allowed_ips: String,
    #[server(default)] projects: String,
) -> Result<EditedToken, AppError> {
    use super::ctx;
    use crate::server::services::tokens;
    let result = async {
        let (state, _session, user) = ctx::signed_in().await?;
        let existing = tokens::find_own(&state, user.id, id).await?;
        let edit = crate::domain::token::Edit {
            name: Some(&name),
            description: Some(&description),
            expires_on: Some(&expires_at),
            scopes: Some(&scopes),
            allowed_ips: Some(&allowed_ips),
            projects: None,
        };
        let actor = ctx::actor(&user);
        let token = tokens::edit(&state, &actor, &existing, edit, Some(&projects)).await?;
        Ok::<_, AppError>(EditedToken(view(token)))
    }
    .await;
    if result.is_ok() {
        if ctx::is_plain_form_post() {
            leptos_axum::redirect(crate::paths::TOKENS);
        }
        return ctx::finish(LIST_FLASH, &[], Some(TOKEN_EDITED), result).await;
    }
    // A refused form comes back to its page as typed.
    let mut values = vec![
        ("name", name.as_str()),
        ("description", description.as_str()),
        ("expires_at", expires_at.as_str()),
        ("allowed_ips", allowed_ips.as_str()),
        ("projects", projects.as_str()),
    ];
    values.extend(scopes.iter().map(|s| ("scopes[]", s.as_str())));
    ctx::finish("edit_token", &values, None::<&str>, result).await
}

/// Rotates one of the user's tokens: a new secret with the same name,
/// description, scopes and allowed addresses; the old one stops working at
/// once, or after the overlap chosen (minutes; empty: none). An empty date
/// is what a new token's would be.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "rotate_token")]
pub async fn rotate_token(
    id: crate::domain::ids::TokenId,
    #[server(default)] expires_at: String,
    #[server(default)] overlap_minutes: String,
) -> Result<NewTokenSecret, AppError> {
    use super::ctx;
    use crate::server::reveal;
    use crate::server::services::tokens;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        let actor = ctx::actor(&user);
        let created =
            tokens::rotate_own(&state, &actor, user.id, id, &expires_at, &overlap_minutes).await?;
        hand_over(reveal::TOKEN_SECRET, &state, &session, user.id, created).await
    }
    .await;
    if result.is_ok() && ctx::is_plain_form_post() {
        // The list shows the new secret once.
        leptos_axum::redirect(crate::paths::TOKENS);
    }
    let values = [
        ("expires_at", expires_at.as_str()),
        ("overlap_minutes", overlap_minutes.as_str()),
    ];
    ctx::finish("rotate_token", &values, None::<&str>, result).await
}

impl crate::app::components::form::ToNotice for NewTokenSecret {
    fn to_notice(&self) -> Option<String> {
        Some(TOKEN_CREATED.to_owned())
    }
}

impl crate::app::components::form::ToNotice for TokenView {
    fn to_notice(&self) -> Option<String> {
        Some(TOKEN_REVOKED.to_owned())
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;
    use crate::app::components::form::FormArgs;

    fn fields(sent: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Vec<String> {
        move |name| {
            sent.iter()
                .filter(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
                .collect()
        }
    }

    #[test]
    fn the_token_forms_read_their_fields_as_the_server_does() {
        let sent = fields(&[
            ("name", "ci"),
            ("expires_at", "2026-02-01"),
            ("scopes[]", "api"),
            ("scopes[]", "read_user"),
        ]);
        let args = CreateToken::from_fields(&sent).unwrap();
        assert_eq!(
            (
                args.name.as_str(),
                args.description.as_str(),
                args.expires_at.as_str()
            ),
            ("ci", "", "2026-02-01")
        );
        assert_eq!(args.scopes, ["api", "read_user"]);
        // Without a name the browser posts the form itself (the server says why).
        assert!(CreateToken::from_fields(&fields(&[("expires_at", "")])).is_none());
        assert_eq!(
            RevokeToken::from_fields(&fields(&[("id", " 42 ")])).map(|r| r.id.get()),
            Some(42)
        );
        assert!(RevokeToken::from_fields(&fields(&[("id", "x")])).is_none());
    }
}
