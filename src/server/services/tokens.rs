//! Personal access tokens: issue (the only moment a secret exists in
//! clear), list, revoke, rotate, and authenticate a presented secret.

use super::audit::{self, Action, Actor, Event};
use super::mail::{self, Lifecycle};
use super::{settings, Conflict, ServiceError};
use crate::domain::ids::{TokenId, UserId};
use crate::domain::instant::date_of;
use crate::domain::lifetime::LifetimePolicy;
use crate::domain::token::{
    self, check_shape, format_secret, NewToken, Recognized, TokenDigest, TokenState, RANDOM_BYTES,
};
pub use crate::domain::token::{ListQuery, StateFilter};
use crate::server::db::tokens::{self, NewTokenRow, Token};
use crate::server::db::users::{self, User};
use crate::server::state::Core;
use crate::server::token_cache::Lookup;
pub use crate::server::token_cache::{Authenticated, RenderedAnswer};
use rand::RngCore;
use std::sync::Arc;

/// A token just created, with its secret: shown once, then dropped.
pub struct Created {
    pub token: Token,
    pub secret: String,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// The lifetime policy administrators set.
pub async fn policy(state: &Core) -> Result<LifetimePolicy, ServiceError> {
    Ok(settings::current(state).await?.lifetime_policy())
}

pub fn digest(state: &Core, secret: &str) -> TokenDigest {
    state.config.secret.token_digest_key().digest(secret)
}

fn new_secret() -> String {
    let mut random = [0u8; RANDOM_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut random);
    format_secret(token::DEFAULT_PREFIX, &random)
}

/// Who a new token is for and who asks.
#[derive(Clone, Copy, Debug)]
pub enum Issuer<'a> {
    /// The owner, for themself.
    Owner,
    /// An administrator, making a personal access token for the owner.
    Admin(&'a User),
    /// An administrator, making an impersonation token for the owner.
    Impersonation(&'a User),
}

pub use crate::domain::token::Request;

/// Issues a personal access token to `owner` (see [`Issuer`]), on the
/// record as `actor`'s doing.
pub async fn issue<S: AsRef<str>>(
    state: &Core,
    actor: &Actor,
    owner: &User,
    issuer: Issuer<'_>,
    request: Request<'_, S>,
) -> Result<Created, ServiceError> {
    let now = state.now();
    // Every problem at once: the fields, and the projects named.
    let projects = super::projects::token_projects(state, owner, request.projects).await;
    let new = NewToken::parse(
        request,
        super::registry::offered(state, owner.is_admin).await?,
        date_of(now),
        &policy(state).await?,
    );
    let (new, projects) = match (new, projects) {
        (Ok(new), Ok(projects)) => (new, projects),
        (new, projects) => {
            let mut fields = Vec::new();
            for e in [new.err().map(ServiceError::from), projects.err()]
                .into_iter()
                .flatten()
            {
                match e {
                    ServiceError::Invalid(f) => fields.extend(f),
                    other => return Err(other),
                }
            }
            return Err(ServiceError::Invalid(fields));
        }
    };
    let secret = new_secret();
    let digest = digest(state, &secret);
    let (impersonation, created_by) = match issuer {
        Issuer::Owner => (false, None),
        Issuer::Admin(admin) => (false, Some(admin.id)),
        Issuer::Impersonation(admin) => (true, Some(admin.id)),
    };
    let mut tx = state.db.begin_write().await?;
    let token = tokens::insert(
        &mut *tx,
        &NewTokenRow {
            user_id: owner.id,
            name: &new.name,
            description: new.description.as_deref(),
            digest: &digest,
            scopes: &new.scopes,
            created_at: now,
            expires_at: new
                .expires_on
                .map(|date| token::expires_at(date).unix_timestamp()),
            family_id: None,
            impersonation,
            created_by,
            allowed_ips: &new.allowed_ips,
            projects: &projects,
        },
    )
    .await?;
    let action = if impersonation {
        Action::ImpersonationTokenCreated
    } else {
        Action::TokenCreated
    };
    let event = Event::new(action).on_user(owner).on_token(&token);
    audit::record(&mut *tx, actor, event, now).await?;
    mail::queue_lifecycle(
        &mut *tx,
        state,
        (owner, &token),
        Lifecycle::Created,
        actor,
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        user_id = %owner.id,
        token_id = %token.id,
        impersonation,
        created_by = ?created_by,
        "personal access token created"
    );
    Ok(Created { token, secret })
}

/// A user's own token, for themself (`actor`: the user, from where they
/// asked, or whoever acts as them).
pub async fn create<S: AsRef<str>>(
    state: &Core,
    actor: &Actor,
    user: &User,
    name: &str,
    expires_on: &str,
    scopes: &[S],
) -> Result<Created, ServiceError> {
    let request = Request {
        name,
        description: "",
        expires_on,
        scopes,
        allowed_ips: "",
        projects: "",
    };
    issue(state, actor, user, Issuer::Owner, request).await
}

pub async fn list(state: &Core, user_id: UserId) -> Result<Vec<Token>, ServiceError> {
    Ok(tokens::list_for_user(&state.db, user_id).await?)
}

/// At most `limit` of a user's own tokens as the Access Tokens page's
/// filter asks, and how many match in all.
pub async fn list_matching(
    state: &Core,
    user_id: UserId,
    query: &ListQuery,
    limit: i64,
) -> Result<(Vec<Token>, i64), ServiceError> {
    let now = state.now();
    let mut filter = tokens::TokenFilter {
        user_id: Some(user_id),
        search: query.search.clone(),
        sort: Some(query.sort.order()),
        ..Default::default()
    };
    narrow_to_state(&mut filter, query.state, now);
    Ok(tokens::page(&state.db, &filter, true, 0, limit).await?)
}

/// Narrows `filter` to tokens in `wanted` state at `now`.
pub(super) fn narrow_to_state(filter: &mut tokens::TokenFilter, wanted: StateFilter, now: i64) {
    match wanted {
        StateFilter::All => {}
        StateFilter::Active => filter.active_at = Some((true, now)),
        StateFilter::ExpiringSoon => {
            filter.active_at = Some((true, now));
            filter.expires.before = Some(now + token::EXPIRES_SOON_DAYS * 86_400);
        }
        StateFilter::Expired => {
            filter.active_at = Some((false, now));
            filter.revoked = Some(false);
        }
        StateFilter::Revoked => filter.revoked = Some(true),
    }
}

/// Whether the user has any personal access token, in any state.
pub async fn has_any(state: &Core, user_id: UserId) -> Result<bool, ServiceError> {
    let filter = tokens::TokenFilter {
        user_id: Some(user_id),
        ..Default::default()
    };
    Ok(!tokens::keyset(&state.db, &filter, true, 1)
        .await?
        .0
        .is_empty())
}

/// One of the user's own tokens (another user's reads as missing).
pub async fn find_own(state: &Core, user_id: UserId, id: TokenId) -> Result<Token, ServiceError> {
    tokens::find_for_user(&state.db, user_id, id)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Changes the description of one of the user's own tokens (empty: none),
/// on the record. Revoked tokens keep theirs.
pub async fn describe(
    state: &Core,
    actor: &Actor,
    owner: &User,
    id: TokenId,
    description: &str,
) -> Result<Token, ServiceError> {
    let description = token::parse_description(description)?;
    let existing = find_own(state, owner.id, id).await?;
    if existing.revoked_at.is_some() {
        return Err(Conflict::AlreadyRevoked.into());
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let token = tokens::set_description(&mut *tx, id, description.as_deref())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let event = Event::new(Action::TokenDescribed)
        .on_user(owner)
        .on_token(&token);
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    Ok(token)
}

/// Edits an active token (`domain::token::Editable::edit`: rename,
/// describe, move its expiry within the limit, narrow its scopes and
/// allowed addresses), on the record with what changed.
/// `projects`: the projects typed (`namespace/path`, as at creation), to
/// narrow them to; `None` keeps them.
pub async fn edit(
    state: &Core,
    actor: &Actor,
    existing: &Token,
    mut edit: token::Edit<'_>,
    projects: Option<&str>,
) -> Result<Token, ServiceError> {
    let now = state.now();
    if !existing.is_active(now) {
        return Err(Conflict::AlreadyRevoked.into());
    }
    // The owner: whose projects may be named, and on the record.
    let owner = users::find_by_id(&state.db, existing.user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let resolved = match projects {
        Some(typed) => Some(super::projects::token_projects(state, &owner, typed).await?),
        None => None,
    };
    edit.projects = resolved.as_ref().or(edit.projects);
    let current = token::Editable {
        name: existing.name.clone(),
        description: existing.description.clone(),
        expires_on: existing.expires_at.map(date_of),
        scopes: existing.scopes.clone(),
        allowed_ips: existing.allowed_ips.clone(),
        projects: existing.projects.clone(),
    };
    let next = current.edit(edit, date_of(now), &policy(state).await?)?;
    let mut tx = state.db.begin_write().await?;
    let Some(token) = tokens::set_details(&mut *tx, existing.id, &next).await? else {
        tx.rollback().await?;
        return Err(Conflict::AlreadyRevoked.into());
    };
    let event = Event::new(Action::TokenEdited)
        .on_user(&owner)
        .on_token(&token)
        .details(token::describe_edit(&current, &next));
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    state.token_cache.forget_token(token.id);
    Ok(token)
}

/// Revokes one of the user's own tokens, on the record. Revoking twice is
/// fine; another user's token id answers `NotFound`, exactly like a
/// missing one.
pub async fn revoke(
    state: &Core,
    actor: &Actor,
    user_id: UserId,
    id: TokenId,
) -> Result<Token, ServiceError> {
    tokens::find_for_user(&state.db, user_id, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    revoke_as(state, actor, id).await
}

/// Revokes any token by id, on the record as `actor`'s doing. Revoking
/// twice is fine.
pub async fn revoke_as(state: &Core, actor: &Actor, id: TokenId) -> Result<Token, ServiceError> {
    match set_token_revoked(state, actor, id, true).await {
        Err(ServiceError::Conflict(Conflict::AlreadyRevoked)) => tokens::find(&state.db, id)
            .await?
            .ok_or(ServiceError::NotFound),
        other => other,
    }
}

/// What a secret presented by somebody other than its holder turned out
/// to be (see [`identify`]).
#[derive(Debug)]
pub enum Identified {
    Token(Box<Token>),
    /// Ours in form (or by prefix) but no such token.
    NotFound,
    /// Not a kind of token Forgekey issues.
    Foreign,
}

/// The token behind a secret, whatever its state: for an administrator
/// (GitLab's token information API) or a leak report. The shape and
/// checksum are checked before any query; nothing is cached or recorded.
pub async fn identify(state: &Core, secret: &str) -> Result<Identified, ServiceError> {
    Ok(match token::recognize(secret) {
        Recognized::Foreign => Identified::Foreign,
        Recognized::Impossible => Identified::NotFound,
        Recognized::Secret => tokens::find_by_digest(&state.db, &digest(state, secret))
            .await?
            .map_or(Identified::NotFound, |t| Identified::Token(Box::new(t))),
    })
}

/// GitLab's reuse detection: `presented`, a token rotated away, was used
/// to rotate, so whoever holds it is not who rotated it. Its whole family
/// is revoked, each token on the record and mailed to the owner. Returns
/// how many were revoked.
async fn revoke_family(state: &Core, presented: &Token, now: i64) -> Result<usize, ServiceError> {
    let mut tx = state.db.begin_write().await?;
    let revoked = tokens::revoke_family(&mut *tx, presented.family_id, now).await?;
    let owner = users::find_by_id_with(&mut *tx, presented.user_id).await?;
    let actor = Actor {
        id: None,
        name: "reuse detection".to_owned(),
        acted_as: None,
        address: None,
    };
    for token in &revoked {
        let mut event = Event::new(Action::TokenRevokedForReuse)
            .on_token(token)
            .details(format!(
                "rotated-away token #{} was presented to rotate",
                presented.id
            ));
        if let Some(owner) = &owner {
            event = event.on_user(owner);
            mail::queue_lifecycle(
                &mut *tx,
                state,
                (owner, token),
                Lifecycle::Revoked,
                &actor,
                now,
            )
            .await?;
        }
        audit::record(&mut *tx, &actor, event, now).await?;
    }
    tx.commit().await?;
    Ok(revoked.len())
}

/// Whose token `token_id` is, if it exists.
pub async fn token_owner(state: &Core, token_id: TokenId) -> Result<Option<User>, ServiceError> {
    let Some(token) = tokens::find(&state.db, token_id).await? else {
        return Ok(None);
    };
    Ok(users::find_by_id(&state.db, token.user_id).await?)
}

/// Revokes (`revoke`) or unrevokes any user's token. Revoking a revoked
/// token, or unrevoking an active or rotated-away one, is a conflict.
pub async fn set_token_revoked(
    state: &Core,
    actor: &Actor,
    token_id: TokenId,
    revoke: bool,
) -> Result<Token, ServiceError> {
    let now = state.now();
    if !revoke {
        // Unrevoking gives back no more than the current limit allows a
        // new token (the rule that revokes tokens when it is lowered).
        let existing = tokens::find(&state.db, token_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let policy = policy(state).await?;
        let expires_on = existing.expires_at.map(date_of);
        if existing.revoked_at.is_some() && policy.exceeded_by(expires_on, date_of(now)) {
            return Err(Conflict::BeyondLimit {
                expires_on,
                max_days: policy.max_days,
            }
            .into());
        }
    }
    let mut tx = state.db.begin_write().await?;
    let revoked_at = revoke.then_some(now);
    let Some(token) = tokens::set_revoked(&mut *tx, token_id, revoked_at).await? else {
        tx.rollback().await?;
        let existing = tokens::find(&state.db, token_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let conflict = match (revoke, existing.rotated_at.is_some()) {
            (true, _) => Conflict::AlreadyRevoked,
            (false, true) => Conflict::RotatedAway,
            (false, false) if existing.revoked_at.is_some() => Conflict::FamilyRevoked,
            (false, false) => Conflict::NotRevoked,
        };
        return Err(conflict.into());
    };
    let owner = users::find_by_id_with(&mut *tx, token.user_id).await?;
    let action = if revoke {
        Action::TokenRevoked
    } else {
        Action::TokenUnrevoked
    };
    let mut event = Event::new(action).on_token(&token);
    if let Some(owner) = &owner {
        event = event.on_user(owner);
        if revoke {
            mail::queue_lifecycle(
                &mut *tx,
                state,
                (owner, &token),
                Lifecycle::Revoked,
                actor,
                now,
            )
            .await?;
        }
    }
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    state.token_cache.forget_token(token.id);
    tracing::info!(
        actor = %actor.name,
        token_id = %token.id,
        revoked = revoke,
        "token revoked or unrevoked"
    );
    Ok(token)
}

/// Replaces a token that is not revoked with a new one of the same name
/// and scopes, in one transaction with its audit record. Without `expires_on`, the policy
/// decides (`LifetimePolicy::rotation_expiry`). The old secret stops at
/// once, as in GitLab; see [`rotate_with_overlap`].
pub async fn rotate(
    state: &Core,
    actor: &Actor,
    old: &Token,
    expires_on: Option<&str>,
) -> Result<Created, ServiceError> {
    rotate_with_overlap(state, actor, old, expires_on, 0).await
}

/// [`rotate`], the old secret working on for `overlap` seconds beside its
/// successor (`domain::token::parse_rotation_overlap`: up to a day), so a
/// fleet can roll over without an outage. Its allow list, description and
/// scopes carry over.
pub async fn rotate_with_overlap(
    state: &Core,
    actor: &Actor,
    old: &Token,
    expires_on: Option<&str>,
    overlap: i64,
) -> Result<Created, ServiceError> {
    let now = state.now();
    let overlap = overlap.clamp(0, token::ROTATION_OVERLAP_MAX_MINUTES * 60);
    let today = date_of(now);
    let policy = policy(state).await?;
    let expires_on = match expires_on {
        Some(input) => Some(policy.parse_expiry(input, today)?),
        None => policy.rotation_expiry(today),
    };
    // As GitLab's `RotateService`: a revoked token (rotated ones included)
    // is refused; an expired one may be rotated by whoever may manage it.
    if old.revoked_at.is_some() {
        return Err(ServiceError::Conflict(Conflict::AlreadyRevoked));
    }
    let secret = new_secret();
    let digest = digest(state, &secret);
    let successor = NewTokenRow {
        user_id: old.user_id,
        name: &old.name,
        description: old.description.as_deref(),
        digest: &digest,
        scopes: &old.scopes,
        created_at: now,
        expires_at: expires_on.map(|date| token::expires_at(date).unix_timestamp()),
        family_id: Some(old.family_id),
        impersonation: old.impersonation,
        created_by: old.created_by,
        allowed_ips: &old.allowed_ips,
        projects: &old.projects,
    };
    let mut tx = state.db.begin_write().await?;
    let Some(token) = tokens::rotate(&mut tx, old, &successor, now, overlap).await? else {
        // Revoked meanwhile.
        tx.rollback().await?;
        return Err(ServiceError::Conflict(Conflict::AlreadyRevoked));
    };
    let owner = users::find_by_id_with(&mut *tx, old.user_id).await?;
    let details = if overlap > 0 {
        format!(
            "successor #{}; the old secret works until {}",
            token.id,
            crate::domain::instant::date_time(now + overlap)
        )
    } else {
        format!("successor #{}", token.id)
    };
    let mut event = Event::new(Action::TokenRotated)
        .on_token(old)
        .details(details);
    if let Some(owner) = &owner {
        event = event.on_user(owner);
        mail::queue_lifecycle(
            &mut *tx,
            state,
            (owner, &token),
            Lifecycle::Rotated {
                old_works_until: (overlap > 0).then_some(now + overlap),
            },
            actor,
            now,
        )
        .await?;
    }
    audit::record(&mut *tx, actor, event, now).await?;
    tx.commit().await?;
    state.token_cache.forget_token(old.id);
    tracing::info!(
        user_id = %old.user_id,
        token_id = %old.id,
        successor_id = %token.id,
        "personal access token rotated"
    );
    Ok(Created { token, secret })
}

/// Rotates one of the user's own tokens (see [`rotate_with_overlap`]) with
/// the expiry and overlap typed in a form: an empty date means what it
/// means for a new token (`LifetimePolicy::parse_optional_expiry`), an
/// empty overlap none.
pub async fn rotate_own(
    state: &Core,
    actor: &Actor,
    user_id: UserId,
    id: TokenId,
    expires_on: &str,
    overlap_minutes: &str,
) -> Result<Created, ServiceError> {
    let old = find_own(state, user_id, id).await?;
    let overlap = token::parse_rotation_overlap(overlap_minutes)?;
    let date = policy(state)
        .await?
        .parse_optional_expiry(expires_on, date_of(state.now()))?
        .map(crate::domain::lifetime::iso);
    rotate_with_overlap(state, actor, &old, date.as_deref(), overlap).await
}

/// Checks a presented secret. Any failure is the same `InvalidCredentials`:
/// malformed strings are refused by shape before any database query; a
/// token that was rotated away is refused (from memory once seen), and
/// its family is left alone: only a rotation endpoint revokes it
/// ([`authenticate_to_rotate`]).
pub async fn authenticate(state: &Core, secret: &str) -> Result<Authenticated, ServiceError> {
    authenticate_at(state, secret, false).await
}

/// [`authenticate`] for a request to a rotation endpoint, where presenting
/// a token that was rotated away revokes its whole family, as GitLab's
/// reuse detection does: whoever rotates with a stale copy is not the one
/// who rotated it.
pub async fn authenticate_to_rotate(
    state: &Core,
    secret: &str,
) -> Result<Authenticated, ServiceError> {
    authenticate_at(state, secret, true).await
}

async fn authenticate_at(
    state: &Core,
    secret: &str,
    rotation: bool,
) -> Result<Authenticated, ServiceError> {
    let checked = find_authenticated(state, secret, rotation).await;
    let outcome = match &checked {
        Ok((_, source)) => *source,
        Err(
            ServiceError::InvalidCredentials
            | ServiceError::TokenExpired
            | ServiceError::TokenRevoked
            | ServiceError::Blocked,
        ) => "refused",
        Err(_) => "failed",
    };
    metrics::counter!("forgekey_token_authentications_total", "outcome" => outcome).increment(1);
    checked.map(|(auth, _)| auth)
}

/// [`authenticate_at`], saying where the answer came from: "cached" or
/// "loaded" (from the database).
async fn find_authenticated(
    state: &Core,
    secret: &str,
    rotation: bool,
) -> Result<(Authenticated, &'static str), ServiceError> {
    let digest = digest(state, secret);
    let now = state.now();
    // Only tokens read from the database are cached, and those are well
    // formed: a hit needs no shape check, a miss gets one before any query.
    // A hit is unrevoked, unexpired and of an unblocked owner; an expired
    // token is never a hit, so whether expiry is enforced is read (from
    // the settings) only on that rare path below.
    if let Some(hit) = state.token_cache.get(&digest, now) {
        return Ok((hit, "cached"));
    }
    check_shape(secret).map_err(|_| ServiceError::InvalidCredentials)?;
    let loader = match state.token_cache.lookup(&digest, now, rotation).await {
        Lookup::Hit(hit) => return Ok((hit, "cached")),
        // Remembered as rotated away: revoked.
        Lookup::Dead => return Err(ServiceError::TokenRevoked),
        Lookup::Miss(loader) => loader,
    };
    let token = tokens::find_by_digest(&state.db, &digest)
        .await?
        .ok_or(ServiceError::InvalidCredentials)?;
    // Rotated with an overlap window and inside it: it works on beside
    // its successor (past its own expiry only as any token would).
    let overlap = token.in_rotation_overlap(now);
    if token.rotated_at.is_some() && !overlap {
        // Seen once per instance: from now on refused from memory, with no
        // query and no log line per replay.
        if rotation {
            let family = token.family_id;
            let revoked = revoke_family(state, &token, now).await?;
            state.token_cache.forget_where(|t| t.family_id == family);
            state.token_cache.bury(&digest, true);
            tracing::warn!(
                user_id = %token.user_id,
                token_id = %token.id,
                revoked,
                "a rotated-away token was presented to rotate it: its family is revoked"
            );
        } else {
            state.token_cache.bury(&digest, false);
            tracing::info!(
                user_id = %token.user_id,
                token_id = %token.id,
                "a rotated-away token was presented and refused"
            );
        }
        return Err(ServiceError::TokenRevoked);
    }
    match token.auth_state(now) {
        TokenState::Active => {}
        // The settings are read only on this rare path.
        expired @ TokenState::Expired { .. } => {
            if !expired.authenticates(expiry_enforced(state).await?) {
                return Err(ServiceError::TokenExpired);
            }
        }
        TokenState::Revoked { .. } => return Err(ServiceError::TokenRevoked),
    }
    let user = users::find_by_id(&state.db, token.user_id)
        .await?
        .ok_or(ServiceError::InvalidCredentials)?;
    // A working token of a blocked account: refused, saying why (GitLab's
    // 403). Never remembered, so unblocking takes effect at once.
    if user.is_blocked() {
        return Err(ServiceError::Blocked);
    }
    let auth = Authenticated {
        token: Arc::new(token),
        user: Arc::new(user),
        user_answer: Arc::default(),
    };
    loader.fill(&auth, now);
    Ok((auth, "loaded"))
}

async fn expiry_enforced(state: &Core) -> Result<bool, ServiceError> {
    Ok(settings::current(state).await?.token_expiry_enforced)
}

/// One page of the tokens matching `filter` by id (`newest_first`:
/// descending), and how many match in all.
pub async fn page(
    state: &Core,
    filter: &tokens::TokenFilter,
    newest_first: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Token>, i64), ServiceError> {
    Ok(tokens::page(&state.db, filter, newest_first, offset, limit).await?)
}

/// Keyset pagination of the same list: the first `limit` tokens in id
/// order (the cursor is `filter.ids`), and whether more follow.
pub async fn keyset(
    state: &Core,
    filter: &tokens::TokenFilter,
    newest_first: bool,
    limit: i64,
) -> Result<(Vec<Token>, bool), ServiceError> {
    Ok(tokens::keyset(&state.db, filter, newest_first, limit).await?)
}

/// Any token by id (personal or impersonation; callers decide who may see
/// it).
pub async fn find(state: &Core, id: TokenId) -> Result<Option<Token>, ServiceError> {
    Ok(tokens::find(&state.db, id).await?)
}

/// A user's impersonation tokens, newest first.
pub async fn list_impersonation(state: &Core, user_id: UserId) -> Result<Vec<Token>, ServiceError> {
    Ok(tokens::list_impersonation(&state.db, user_id).await?)
}

/// Where this instance is in the change feed.
#[derive(Debug, Default)]
pub struct FeedCursor {
    /// The database's clock at the last read: the next one looks back
    /// from there.
    since: Option<i64>,
    /// Changes already applied, by id, with their stamps (kept while a
    /// read may return them again).
    applied: std::collections::HashMap<i64, i64>,
    reads: u64,
}

/// How far back each read of the feed looks, in seconds of the database's
/// clock: a change committed late (its transaction began before the last
/// read) is still seen. Changes are applied once, by id.
const FEED_LOOKBACK_SECONDS: i64 = 10;
/// Changes older than this are deleted (one read in 600 does it).
const FEED_KEEP_SECONDS: i64 = 3_600;

/// Reads the change feed and forgets what the cache holds of the tokens
/// and users changed since the last read (by any instance or command);
/// answers how many changes were new. Then the cache trusts its entries
/// for longer, until the feed falls behind.
pub async fn sync_changes(state: &Core, cursor: &mut FeedCursor) -> Result<usize, ServiceError> {
    use crate::server::db::changes;
    let started = state.now();
    let database_now = changes::database_now(&state.db).await?;
    let from = cursor.since.unwrap_or(database_now) - FEED_LOOKBACK_SECONDS;
    let mut tokens = std::collections::HashSet::new();
    let mut users = std::collections::HashSet::new();
    for change in changes::since(&state.db, from).await? {
        if cursor
            .applied
            .insert(change.id, change.changed_at)
            .is_some()
        {
            continue;
        }
        tokens.extend(change.token_id);
        users.extend(change.user_id);
    }
    let new = tokens.len() + users.len();
    state.token_cache.forget_changed(&tokens, &users);
    state.token_cache.synced(started);
    cursor.applied.retain(|_, at| *at >= from);
    cursor.since = Some(database_now);
    cursor.reads += 1;
    if cursor.reads.is_multiple_of(600) {
        changes::purge(&state.db, database_now - FEED_KEEP_SECONDS).await?;
    }
    Ok(new)
}
