//! The container registry: its instance setting, and the tokens Forgekey
//! signs as the registry's token server (Distribution's token
//! specification). Who gets what is `domain::registry::grant`; this module
//! looks up the projects named and signs the answer.

use super::audit::{self, Action as AuditAction, Actor, Event};
use super::{projects, ServiceError};
use crate::domain::registry::{
    grant, parse_scope, Action, RegistryActor, RegistrySettings, ISSUER, TOKEN_SECONDS,
};
use crate::domain::scope::Offered;
use crate::server::db::projects::Project;
use crate::server::db::settings;
use crate::server::registry::key::SigningKey;
use crate::server::state::Core;
use rand::RngCore;
use serde::Serialize;

/// The registry's settings as stored.
pub async fn settings(state: &Core) -> Result<RegistrySettings, ServiceError> {
    Ok(settings::registry(&state.db).await?)
}

/// Turns the registry on or off, or moves it; audited as a settings change.
pub async fn configure(
    state: &Core,
    actor: &Actor,
    new: &RegistrySettings,
) -> Result<(), ServiceError> {
    let mut tx = state.db.begin_write().await?;
    let old = settings::registry_with(&mut *tx).await?;
    settings::set_registry(&mut *tx, new).await?;
    let change = old.describe_change(new);
    if let Some(change) = &change {
        audit::record(
            &mut *tx,
            actor,
            Event::new(AuditAction::SettingsChanged).details(change.clone()),
            state.now(),
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(change) = change {
        tracing::info!(actor = %actor.name, %change, "container registry settings changed");
    }
    Ok(())
}

/// The scopes a new token of a user (an administrator when `is_admin`)
/// may be given now.
pub async fn offered(state: &Core, is_admin: bool) -> Result<Offered, ServiceError> {
    Ok(Offered {
        admin: is_admin,
        registry: settings(state).await?.enabled,
    })
}

/// One entry of a registry token's access list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: String,
    pub actions: Vec<&'static str>,
}

/// Of the `scope` parameters of a token request, what `actor` gets: one
/// entry per repository asked for, with the actions allowed (possibly
/// none, as Distribution expects); scopes that are not about a repository
/// of a project are left out.
pub async fn grants(
    state: &Core,
    actor: RegistryActor<'_>,
    scopes: &[String],
) -> Result<Vec<Access>, ServiceError> {
    let mut access: Vec<Access> = Vec::new();
    for text in scopes.iter().take(MAX_SCOPES) {
        let Some(scope) = parse_scope(text) else {
            continue;
        };
        let project = projects::find_by_path(state, &scope.namespace, &scope.project).await?;
        let allowed = grant(project.as_ref().map(Project::access), actor, &scope.actions);
        let actions: Vec<&'static str> = allowed.into_iter().map(Action::as_str).collect();
        match access.iter_mut().find(|a| a.name == scope.name) {
            // The same repository twice (pull in one scope, push in another).
            Some(entry) => {
                entry.actions.extend(actions);
                entry.actions.sort_unstable();
                entry.actions.dedup();
            }
            None => access.push(Access {
                kind: "repository",
                name: scope.name,
                actions,
            }),
        }
    }
    Ok(access)
}

/// How many `scope` parameters one request may name (docker names one or
/// two; a cross-repository mount three).
pub const MAX_SCOPES: usize = 16;

/// A signed registry token and when it was made.
#[derive(Debug, Clone)]
pub struct RegistryToken {
    pub token: String,
    pub issued_at: i64,
    pub expires_in: i64,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
    jti: String,
    access: &'a [Access],
}

/// Signs with `key` a token for `subject` (a username; empty when
/// anonymous) valid for `service` for five minutes.
pub fn sign(
    state: &Core,
    key: &SigningKey,
    subject: &str,
    service: &str,
    access: &[Access],
) -> Result<RegistryToken, ServiceError> {
    let now = state.now();
    let mut jti = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut jti);
    let claims = Claims {
        iss: ISSUER,
        sub: subject,
        aud: service,
        iat: now,
        // A registry whose clock runs a little behind still accepts it.
        nbf: now - 5,
        exp: now + TOKEN_SECONDS,
        jti: hex::encode(jti),
        access,
    };
    let token = key.sign(&claims).map_err(|e| {
        tracing::error!(error = %e, "cannot sign a registry token");
        ServiceError::Internal
    })?;
    Ok(RegistryToken {
        token,
        issued_at: now,
        expires_in: TOKEN_SECONDS,
    })
}
