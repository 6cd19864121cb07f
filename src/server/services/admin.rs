//! The Admin Area's actions. Each checks its rule, makes the change and
//! records it in the audit log in one transaction, then lets this
//! instance's caches know at once (other instances see it within their
//! one-second cache lifetime).

use super::audit::{self, Action, Actor, Event};
use super::{mail, settings as cached_settings, Conflict, ServiceError};
use crate::domain::admin::{check_user_change, Target, UserChange};
use crate::domain::ids::UserId;
use crate::domain::instant::date_of;
use crate::domain::lifetime::LifetimePolicy;
use crate::domain::token;
use crate::server::db::settings::{self, Settings};
use crate::server::db::tokens::{self, Token};
use crate::server::db::users::{self, User};
use crate::server::state::Core;
use std::collections::BTreeMap;

/// What a settings change did besides changing the settings.
#[derive(Debug, Default)]
pub struct SettingsChanged {
    /// Tokens revoked because a lowered limit no longer allows them.
    pub revoked: Vec<Token>,
}

/// Applies new instance settings. Lowering the token lifetime limit
/// revokes every token that expires later than a token made today may,
/// and mails each owner the list of theirs: unless `revocations_confirmed`,
/// a lowering that revokes any token is refused with what it would revoke
/// (`RevocationsUnconfirmed`), for the page and the command line alike.
pub async fn change_settings(
    state: &Core,
    actor: &Actor,
    new: Settings,
    revocations_confirmed: bool,
) -> Result<SettingsChanged, ServiceError> {
    let now = state.now();
    let today = date_of(now);
    if !revocations_confirmed {
        let current = settings::get(&state.db).await?;
        if new.token_max_lifetime_days < current.token_max_lifetime_days {
            let max_days = new.token_max_lifetime_days;
            let (tokens, owners) = revoked_by_limit(state, max_days).await?;
            if tokens > 0 {
                return Err(ServiceError::RevocationsUnconfirmed {
                    max_days,
                    tokens,
                    owners,
                });
            }
        }
    }
    let mut tx = state.db.begin_write().await?;
    let old = settings::get_with(&mut *tx).await?;
    settings::set(&mut *tx, new).await?;
    let details = crate::domain::settings::describe_changes(&old, &new);
    if !details.is_empty() {
        audit::record(
            &mut *tx,
            actor,
            Event::new(Action::SettingsChanged).details(details.join("; ")),
            now,
        )
        .await?;
    }
    let mut revoked = Vec::new();
    if new.token_max_lifetime_days < old.token_max_lifetime_days {
        let policy = LifetimePolicy::with_max_days(new.token_max_lifetime_days);
        let latest = token::expires_at(policy.latest(today)).unix_timestamp();
        revoked = tokens::revoke_expiring_after(&mut *tx, latest, now).await?;
        let mut by_owner: BTreeMap<UserId, Vec<&Token>> = BTreeMap::new();
        for t in &revoked {
            by_owner.entry(t.user_id).or_default().push(t);
        }
        let base = mail::base_url(state);
        for (owner_id, owned) in by_owner {
            let Some(owner) = users::find_by_id_with(&mut *tx, owner_id).await? else {
                continue;
            };
            for t in &owned {
                audit::record(
                    &mut *tx,
                    actor,
                    Event::new(Action::TokenRevokedByLimit)
                        .on_user(&owner)
                        .on_token(t)
                        .details(format!("limit {} days", policy.max_days)),
                    now,
                )
                .await?;
            }
            let message = mail::revoked_by_limit(&owner, &owned, policy.max_days, &base);
            mail::queue(&mut *tx, &message, now).await?;
        }
    }
    tx.commit().await?;
    cached_settings::forget(state);
    for t in &revoked {
        state.token_cache.forget_token(t.id);
    }
    tracing::info!(actor = %actor.name, revoked = revoked.len(), "instance settings changed");
    Ok(SettingsChanged { revoked })
}

/// What lowering the limit to `max_days` would revoke now: how many
/// tokens, of how many users.
pub async fn revoked_by_limit(state: &Core, max_days: i64) -> Result<(i64, i64), ServiceError> {
    let policy = LifetimePolicy::with_max_days(max_days);
    let latest = token::expires_at(policy.latest(date_of(state.now()))).unix_timestamp();
    Ok(tokens::count_expiring_after(&state.db, latest).await?)
}

/// Blocks, unblocks, or makes or unmakes an administrator. Changes to who
/// administers the instance are serialised, so the last administrator
/// who can sign in always stays, even when two administrators act at once.
pub async fn change_user(
    state: &Core,
    actor: &Actor,
    target_id: UserId,
    change: UserChange,
) -> Result<User, ServiceError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    users::lock_admins(&mut tx).await?;
    let target = users::find_by_id_with(&mut *tx, target_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let other_admins = users::count_other_admins(&mut *tx, target.id).await?;
    let rule_target = Target {
        id: target.id,
        is_admin: target.is_admin,
        blocked: target.is_blocked(),
    };
    check_user_change(actor.id, rule_target, change, other_admins).map_err(Conflict::UserChange)?;
    let (changed, action) = match change {
        UserChange::Block => (
            users::set_blocked(&mut *tx, target.id, Some(now)).await?,
            Action::UserBlocked,
        ),
        UserChange::Unblock => (
            users::set_blocked(&mut *tx, target.id, None).await?,
            Action::UserUnblocked,
        ),
        UserChange::MakeAdmin => (
            users::set_admin(&mut *tx, target.id, true).await?,
            Action::AdminGranted,
        ),
        UserChange::RemoveAdmin => (
            users::set_admin(&mut *tx, target.id, false).await?,
            Action::AdminRemoved,
        ),
    };
    if !changed {
        return Err(Conflict::UserChange(crate::domain::admin::Refused::Unchanged).into());
    }
    audit::record(&mut *tx, actor, Event::new(action).on_user(&target), now).await?;
    let updated = users::find_by_id_with(&mut *tx, target.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    tx.commit().await?;
    // Whatever this instance remembers of the user's tokens carries the
    // old account (blocked state, admin flag): forget it.
    state.token_cache.forget_where(|t| t.user_id == target.id);
    tracing::info!(
        actor = %actor.name,
        user_id = %target.id,
        change = change.as_str(),
        "user changed by an administrator"
    );
    Ok(updated)
}
