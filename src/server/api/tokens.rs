//! `/personal_access_tokens` and the administrators' token endpoints under
//! `/users/:id`.

use super::auth::ApiAuth;
use super::error::ApiError;
use super::params::Params;
use super::{json, page_response, paginate, BaseUrl};
use crate::domain::instant::date_of;
use crate::domain::lifetime::iso;
use crate::server::db::tokens::{self as db_tokens, Token};
use crate::server::db::users::{self, User};
use crate::server::services::tokens::{self, Issuer};
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

fn db_error(e: sqlx::Error) -> ApiError {
    ServiceError::from(e).into()
}

fn id_of(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(""))
}

/// The filters of `GET /personal_access_tokens`.
fn keep(t: &Token, params: &Params, now: i64) -> Result<bool, ApiError> {
    let active = t.is_active(now);
    let mut keep = match params.get("state") {
        None => true,
        Some("active") => active,
        Some("inactive") => !active,
        Some(_) => return Err(ApiError::invalid("state")),
    };
    if let Some(revoked) = params.bool("revoked")? {
        keep &= t.revoked_at.is_some() == revoked;
    }
    if let Some(search) = params.get("search") {
        keep &= t.name.to_lowercase().contains(&search.to_lowercase());
    }
    let before_after = |name: &str, value: Option<i64>, before: bool| -> Result<bool, ApiError> {
        Ok(match params.instant(name)? {
            None => true,
            Some(limit) => value.is_some_and(|v| if before { v < limit } else { v > limit }),
        })
    };
    keep &= before_after("created_before", Some(t.created_at), true)?;
    keep &= before_after("created_after", Some(t.created_at), false)?;
    keep &= before_after("last_used_before", t.last_used_at, true)?;
    keep &= before_after("last_used_after", t.last_used_at, false)?;
    keep &= before_after("expires_before", t.expires_at, true)?;
    keep &= before_after("expires_after", t.expires_at, false)?;
    Ok(keep)
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    let all = match params.int("user_id")? {
        Some(id) if id == auth.user.id => db_tokens::list_for_user(&state.db, id).await,
        Some(id) => {
            auth.require_admin()?;
            db_tokens::list_for_user(&state.db, id).await
        }
        None if auth.admin => db_tokens::list_all(&state.db).await,
        None => db_tokens::list_for_user(&state.db, auth.user.id).await,
    }
    .map_err(db_error)?;
    let now = state.now();
    let mut kept = Vec::with_capacity(all.len());
    for t in all {
        if keep(&t, &params, now)? {
            kept.push(t);
        }
    }
    let (headers, page) = paginate(kept, &params, &base, "/personal_access_tokens")?;
    Ok(page_response(
        headers,
        page.iter().map(|t| json::token(t, now)).collect(),
    ))
}

/// A personal access token the caller may manage: their own, or any one for
/// an administrator. Anything else is missing.
async fn manageable(state: &AppState, auth: &ApiAuth, id: i64) -> Result<Token, ApiError> {
    let token = db_tokens::find(&state.db, id)
        .await
        .map_err(db_error)?
        .filter(|t| !t.impersonation)
        .ok_or(ApiError::NotFound(""))?;
    if token.user_id == auth.user.id || auth.admin {
        Ok(token)
    } else {
        Err(ApiError::NotFound(""))
    }
}

pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let token = manageable(&state, &auth, id_of(&id)?).await?;
    Ok(Json(json::token(&token, state.now())))
}

pub async fn show_self(State(state): State<AppState>, auth: ApiAuth) -> Json<Value> {
    Json(json::token(&auth.token, state.now()))
}

pub async fn revoke(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let token = manageable(&state, &auth, id_of(&id)?).await?;
    tokens::revoke_as(&state, &auth.actor(&state).await?, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn revoke_self(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<StatusCode, ApiError> {
    tokens::revoke_as(&state, &auth.actor(&state).await?, auth.token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate_token(
    state: &AppState,
    auth: &ApiAuth,
    token: &Token,
    params: &Params,
) -> Result<Json<Value>, ApiError> {
    let actor = auth.actor(state).await?;
    let created = tokens::rotate(state, &actor, token, params.get("expires_at"))
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(fields) if fields.iter().any(|f| f.field == "token") => {
                ApiError::BadParameter("The token is not active.".into())
            }
            other => other.into(),
        })?;
    Ok(Json(json::created(
        &created.token,
        &created.secret,
        state.now(),
    )))
}

pub async fn rotate(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let token = manageable(&state, &auth, id_of(&id)?).await?;
    rotate_token(&state, &auth, &token, &params).await
}

pub async fn rotate_self(
    State(state): State<AppState>,
    auth: ApiAuth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    rotate_token(&state, &auth, &auth.token, &params).await
}

/// The user an administrator's request is about.
async fn target_user(state: &AppState, auth: &ApiAuth, id: &str) -> Result<User, ApiError> {
    auth.require_admin()?;
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("User"))?;
    users::find_by_id(&state.db, id)
        .await
        .map_err(db_error)?
        .ok_or(ApiError::NotFound("User"))
}

/// Name, scopes and expiry of a token to create; without `expires_at` a
/// token gets the longest lifetime allowed, as GitLab 16 does.
async fn issue_from(
    state: &AppState,
    auth: &ApiAuth,
    owner: &User,
    issuer: Issuer<'_>,
    params: &Params,
) -> Result<Response, ApiError> {
    let name = params.required("name")?;
    let scopes = params.list("scopes");
    if scopes.is_empty() {
        return Err(ApiError::missing("scopes"));
    }
    let now = state.now();
    let expires_at = match params.get("expires_at") {
        Some(date) => date.to_owned(),
        None => iso(tokens::policy(state).await?.latest(date_of(now))),
    };
    let actor = auth.actor(state).await?;
    let created = tokens::issue(state, &actor, owner, issuer, name, &expires_at, &scopes).await?;
    Ok((
        StatusCode::CREATED,
        Json(json::created(&created.token, &created.secret, now)),
    )
        .into_response())
}

pub async fn create_for_user(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    issue_from(&state, &auth, &owner, Issuer::Admin(&auth.user), &params).await
}

pub async fn create_impersonation(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    issue_from(
        &state,
        &auth,
        &owner,
        Issuer::Impersonation(&auth.user),
        &params,
    )
    .await
}

pub async fn list_impersonation(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    let now = state.now();
    let all = db_tokens::list_impersonation(&state.db, owner.id)
        .await
        .map_err(db_error)?;
    let kept: Vec<Token> = match params.get("state") {
        None | Some("all") => all,
        Some("active") => all.into_iter().filter(|t| t.is_active(now)).collect(),
        Some("inactive") => all.into_iter().filter(|t| !t.is_active(now)).collect(),
        Some(_) => return Err(ApiError::invalid("state")),
    };
    let path = format!("/users/{}/impersonation_tokens", owner.id);
    let (headers, page) = paginate(kept, &params, &base, &path)?;
    Ok(page_response(
        headers,
        page.iter().map(|t| json::token(t, now)).collect(),
    ))
}

async fn impersonation_token(
    state: &AppState,
    owner: &User,
    token_id: &str,
) -> Result<Token, ApiError> {
    let id = id_of(token_id)?;
    db_tokens::find(&state.db, id)
        .await
        .map_err(db_error)?
        .filter(|t| t.impersonation && t.user_id == owner.id)
        .ok_or(ApiError::NotFound("Impersonation Token"))
}

pub async fn show_impersonation(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    let token = impersonation_token(&state, &owner, &token_id).await?;
    Ok(Json(json::token(&token, state.now())))
}

pub async fn revoke_impersonation(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path((id, token_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    let token = impersonation_token(&state, &owner, &token_id).await?;
    tokens::revoke_as(&state, &auth.actor(&state).await?, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
