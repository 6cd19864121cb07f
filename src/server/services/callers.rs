//! Who a REST request acts for. The API's extractor only reads what the
//! request presents (a token, `Sudo`, what it does, from where); this
//! decides: the token checked, its scopes against the request, `Sudo`
//! resolved, the use noted.

use super::audit::{Actor, Via};
use super::tokens::{self, RenderedAnswer};
use super::{settings, ServiceError};
use crate::domain::access::{self, Area};
use crate::domain::ids::UserId;
use crate::domain::scope::Scope;
use crate::server::db::tokens::Token;
use crate::server::db::users::{self, User};
use crate::server::state::Core;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

/// What a request presents, as the API read it.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub secret: &'a str,
    /// `GET` or `HEAD`: what `read_api` allows.
    pub read_only: bool,
    pub area: Area,
    /// A rotation endpoint (`domain::token::is_rotation_path`): a token
    /// rotated away revokes its family here.
    pub rotation: bool,
    /// The `Sudo` header or parameter: a user id or username.
    pub sudo: Option<&'a str>,
    pub address: Option<IpAddr>,
}

/// Whom a request acts for, and by which token.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Whom the request acts as (the `Sudo` target, if any).
    pub user: Arc<User>,
    /// The token presented.
    pub token: Arc<Token>,
    /// The administrator behind a `Sudo` request.
    pub sudo_by: Option<Arc<User>>,
    /// Whether the request acts as an administrator: the user is one and,
    /// with the instance's admin mode on, the token has `admin_mode`.
    pub admin: bool,
    /// Where `GET /user` keeps its rendered answer for this token's cache
    /// entry; `None` under `Sudo` (the answer is another user's).
    pub user_answer: Option<Arc<OnceLock<RenderedAnswer>>>,
    /// The client's address.
    pub address: Option<IpAddr>,
}

/// Why a request may not go on (GitLab's answers: 401, 403 with the scope
/// needed, 403, 404 for an unknown `Sudo` user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the token is missing or unknown")]
    Unauthenticated,
    #[error("the token has expired")]
    Expired,
    #[error("the token was revoked")]
    Revoked,
    #[error("the token lacks the {needed} scope")]
    MissingScope { needed: &'static str },
    #[error("forbidden")]
    Forbidden,
    /// The token works but its owner is blocked (GitLab: 403, saying so).
    #[error("the account is blocked")]
    Blocked,
    /// `Sudo` from someone who is no administrator.
    #[error("only administrators may use sudo")]
    SudoNotAdmin,
    /// `Sudo` names no user.
    #[error("no such user")]
    NoSuchUser,
    /// The database cannot say: never taken as a yes.
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

fn internal(e: ServiceError) -> Refused {
    match e {
        ServiceError::Unavailable => Refused::Unavailable,
        _ => Refused::Internal,
    }
}

/// Checks what a request presents and says whom it acts for.
pub async fn identify(state: &Core, presented: Presented<'_>) -> Result<Caller, Refused> {
    let auth = if presented.rotation {
        tokens::authenticate_to_rotate(state, presented.secret).await
    } else {
        tokens::authenticate(state, presented.secret).await
    };
    let auth = auth.map_err(|e| match e {
        ServiceError::Internal | ServiceError::Unavailable => internal(e),
        ServiceError::Blocked => Refused::Blocked,
        ServiceError::TokenExpired => Refused::Expired,
        ServiceError::TokenRevoked => Refused::Revoked,
        _ => Refused::Unauthenticated,
    })?;
    super::addresses::admit(state, &auth, presented.address)
        .await
        .map_err(|_| Refused::Unauthenticated)?;
    access::check(&auth.token.scopes, presented.read_only, presented.area)
        .map_err(|e| Refused::MissingScope { needed: e.needed })?;
    super::addresses::note_use(state, &auth, presented.address).await;

    let admin = acts_as_admin(state, &auth.user, &auth.token).await?;
    let Some(target) = presented.sudo else {
        return Ok(Caller {
            user: auth.user,
            token: auth.token,
            sudo_by: None,
            admin,
            user_answer: Some(auth.user_answer),
            address: presented.address,
        });
    };
    // GitLab's `sudo!`: an administrator first, then the `sudo` scope.
    if !admin {
        return Err(Refused::SudoNotAdmin);
    }
    if !auth.token.scopes.contains(&Scope::Sudo) {
        return Err(Refused::MissingScope { needed: "sudo" });
    }
    let target = target.trim();
    let user = match target.parse::<UserId>() {
        Ok(id) => users::find_by_id(&state.db, id).await,
        Err(_) => {
            let key = crate::domain::account::unique_key(target);
            users::find_by_username_key(&state.db, &key).await
        }
    }
    .map_err(|e| internal(e.into()))?
    .ok_or(Refused::NoSuchUser)?;
    // A blocked account may not use the API, through sudo either (GitLab
    // answers 403).
    if user.is_blocked() {
        return Err(Refused::Forbidden);
    }
    let admin = acts_as_admin(state, &user, &auth.token).await?;
    Ok(Caller {
        user: Arc::new(user),
        token: auth.token,
        sudo_by: Some(auth.user),
        admin,
        user_answer: None,
        address: presented.address,
    })
}

/// `domain::access::acts_as_admin` for `user` and `token`; the settings are
/// read (cached) only for administrators.
async fn acts_as_admin(state: &Core, user: &User, token: &Token) -> Result<bool, Refused> {
    if !user.is_admin {
        return Ok(false);
    }
    let settings = settings::current(state).await.map_err(internal)?;
    Ok(access::acts_as_admin(
        user.is_admin,
        settings.admin_mode,
        &token.scopes,
    ))
}

impl Caller {
    /// Who acts, for the audit log: the administrator behind `Sudo` or
    /// behind an impersonation token, acting as the request's user; else
    /// the user; from the client's address.
    pub async fn actor(&self, state: &Core) -> Result<Actor, ServiceError> {
        let actor = if let Some(admin) = &self.sudo_by {
            Actor::user(admin).acting_as(&self.user, Via::Sudo)
        } else if self.token.impersonation {
            let creator = match self.token.created_by {
                Some(id) => users::find_by_id(&state.db, id).await?,
                None => None,
            };
            let creator = creator.map_or_else(
                || Actor {
                    id: None,
                    name: format!("impersonation token #{}", self.token.id),
                    acted_as: None,
                    address: None,
                },
                |admin| Actor::user(&admin),
            );
            creator.acting_as(&self.user, Via::Impersonation)
        } else {
            Actor::user(&self.user)
        };
        Ok(actor.from(self.address))
    }
}
