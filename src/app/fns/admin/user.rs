//! Admin Area → Users → one user: their page, block / unblock / make or
//! unmake an administrator, revoke or unrevoke a token, impersonation
//! tokens.

use super::{AdminUser, AppError, AuditLine, Page};
use crate::app::fns::tokens::{ExpiryBounds, NewTokenSecret, TokenView};
use crate::domain::admin::UserChange;
use crate::domain::ids::{TokenId, UserId};
use leptos::server;
use serde::{Deserialize, Serialize};

pub const IMPERSONATION_CREATED: &str = "The impersonation token was created.";

/// A user's page in the Admin Area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub now: i64,
    pub user: AdminUser,
    pub expiry_enforced: bool,
    /// One page of their personal access tokens (any state), newest first.
    pub tokens: Page<TokenView>,
    pub impersonation: Vec<TokenView>,
    /// What a new impersonation token's expiry date may be.
    pub expiry: ExpiryBounds,
    /// The scopes it may have.
    pub offered: crate::domain::scope::Offered,
    pub events: Vec<AuditLine>,
    /// An impersonation token created by a plain form post, shown once.
    pub revealed: Option<NewTokenSecret>,
}

/// A new impersonation token and its secret (shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedImpersonation(pub NewTokenSecret);

impl std::fmt::Debug for CreatedImpersonation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What an administrator does to a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenChange {
    Revoke,
    Unrevoke,
}

impl TokenChange {
    /// As the form posts it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Unrevoke => "unrevoke",
        }
    }
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_admin_user")]
pub async fn load_admin_user(
    username: String,
    #[server(default)] page: i64,
) -> Result<UserPage, AppError> {
    use crate::app::fns::ctx;
    use crate::app::fns::tokens::view;
    use crate::server::reveal;
    use crate::server::services::{accounts, audit, settings, tokens};
    let (state, session, admin) = ctx::admin().await?;
    let user = accounts::find_by_username(&state, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.now();
    let today = crate::domain::instant::date_of(now);
    let policy = tokens::policy(&state).await?;
    // Paged in SQL: a user may own thousands of tokens (a CI fleet).
    let (page, offset) = super::offset(page);
    let filter = crate::server::db::tokens::TokenFilter {
        user_id: Some(user.id),
        ..Default::default()
    };
    let (owned, total) = tokens::page(&state, &filter, true, offset, super::PER_PAGE).await?;
    let impersonation: Vec<TokenView> = tokens::list_impersonation(&state, user.id)
        .await?
        .into_iter()
        .map(view)
        .collect();
    let revealed = ctx::take_secret(reveal::IMPERSONATION_SECRET, &state, &session, admin.id)
        .await?
        .and_then(|(ticket, secret)| {
            let token = impersonation
                .iter()
                .find(|t| t.id.get() == ticket.subject)
                .cloned()?;
            Some(NewTokenSecret { token, secret })
        });
    let (events, _) = audit::about_user(&state, user.id, 0, 10).await?;
    let offered = crate::server::services::registry::offered(&state, user.is_admin).await?;
    Ok(UserPage {
        now,
        expiry_enforced: settings::current(&state).await?.token_expiry_enforced,
        user: super::admin_user(user),
        tokens: Page {
            items: owned.into_iter().map(view).collect(),
            page,
            total,
            per_page: super::PER_PAGE,
        },
        impersonation,
        expiry: ExpiryBounds::of(&policy, today),
        offered,
        events: events.into_iter().map(super::audit::audit_line).collect(),
        revealed,
    })
}

/// Blocks, unblocks, makes or unmakes an administrator.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "change_admin_user")]
pub async fn change_admin_user(user_id: UserId, change: UserChange) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::admin;
    let mut back = None;
    let result = async {
        let (state, _session, me) = ctx::admin().await?;
        let user = admin::change_user(&state, &ctx::actor(&me), user_id, change).await?;
        back = Some(crate::paths::admin_user(&user.username));
        Ok::<_, AppError>(match change {
            UserChange::Block => format!(
                "{} is blocked: their sessions ended and their tokens stopped working.",
                user.username
            ),
            UserChange::Unblock => format!("{} is unblocked.", user.username),
            UserChange::MakeAdmin => format!("{} is now an administrator.", user.username),
            UserChange::RemoveAdmin => format!("{} is no longer an administrator.", user.username),
        })
    }
    .await;
    super::back_to(back);
    let notice = result.as_ref().ok().cloned();
    ctx::finish("change_admin_user", &[], notice.as_deref(), result).await
}

/// Mails the user a link to choose a new password ("Forgot your
/// password?" on their behalf), on the record. The page tells it as it
/// tells an account change.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "send_reset_link")]
pub async fn send_reset_link(user_id: UserId) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::{accounts, recovery};
    let mut back = None;
    let result = async {
        let (state, _session, me) = ctx::admin().await?;
        let user = accounts::find(&state, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        back = Some(crate::paths::admin_user(&user.username));
        recovery::send_link(&state, &ctx::actor(&me), &user).await?;
        Ok::<_, AppError>(format!(
            "A link to choose a new password was mailed to {}. It works once, within an hour.",
            user.email
        ))
    }
    .await;
    super::back_to(back);
    let notice = result.as_ref().ok().cloned();
    ctx::finish("change_admin_user", &[], notice.as_deref(), result).await
}

/// Revokes or unrevokes any token.
#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "change_admin_token")]
pub async fn change_admin_token(
    token_id: TokenId,
    action: TokenChange,
) -> Result<String, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::tokens;
    let mut back = None;
    let result = async {
        let (state, _session, me) = ctx::admin().await?;
        let revoke = action == TokenChange::Revoke;
        // Back to the owner's page whatever happens: a refusal is shown
        // there too.
        back = tokens::token_owner(&state, token_id)
            .await?
            .map(|o| crate::paths::admin_user(&o.username));
        let token = tokens::set_token_revoked(&state, &ctx::actor(&me), token_id, revoke).await?;
        Ok::<_, AppError>(if revoke {
            format!("The token “{}” was revoked.", token.name)
        } else {
            format!("The token “{}” was unrevoked: it works again.", token.name)
        })
    }
    .await;
    super::back_to(back);
    let notice = result.as_ref().ok().cloned();
    ctx::finish("change_admin_token", &[], notice.as_deref(), result).await
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "create_impersonation_token")]
pub async fn create_impersonation_token(
    user_id: UserId,
    name: String,
    #[server(default)] description: String,
    expires_at: String,
    #[server(default)] scopes: Vec<String>,
    confirm: Option<String>,
) -> Result<CreatedImpersonation, AppError> {
    use crate::app::fns::ctx;
    use crate::app::fns::tokens::hand_over;
    use crate::server::reveal;
    use crate::server::services::accounts;
    use crate::server::services::tokens::{self, Issuer};
    let result = async {
        let (state, session, admin) = ctx::admin().await?;
        let owner = accounts::find(&state, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if confirm.is_none() {
            return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
                "confirm",
                format!("Confirm that the token may act as {}.", owner.username),
            )]));
        }
        let created = tokens::issue(
            &state,
            &ctx::actor(&admin),
            &owner,
            Issuer::Impersonation(&admin),
            tokens::Request {
                name: &name,
                description: &description,
                expires_on: &expires_at,
                scopes: &scopes,
                allowed_ips: "",
                projects: "",
            },
        )
        .await?;
        let secret = hand_over(
            reveal::IMPERSONATION_SECRET,
            &state,
            &session,
            admin.id,
            created,
        );
        Ok::<_, AppError>(CreatedImpersonation(secret.await?))
    }
    .await;
    let mut values = Vec::new();
    if result.is_err() {
        values.push(("name", name.as_str()));
        values.push(("description", description.as_str()));
        values.push(("expires_at", expires_at.as_str()));
        values.extend(scopes.iter().map(|s| ("scopes[]", s.as_str())));
    }
    ctx::finish(
        "create_impersonation_token",
        &values,
        Some(IMPERSONATION_CREATED),
        result,
    )
    .await
}

impl crate::app::components::form::ToNotice for CreatedImpersonation {
    fn to_notice(&self) -> Option<String> {
        Some(IMPERSONATION_CREATED.to_owned())
    }
}
