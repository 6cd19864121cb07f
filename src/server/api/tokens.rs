//! `/personal_access_tokens` and the administrators' token endpoints under
//! `/users/:id`.

use super::auth::ApiAuth;
use super::error::ApiError;
use super::params::Params;
use super::{check_unmodified_since, json, page_response, paginate, BaseUrl, Keyset, Paging};
use crate::domain::access::{may_use_token, TokenUse};
use crate::domain::ids::{TokenId, UserId};
use crate::domain::scope::Scope;
use crate::domain::search::NameSearch;
use crate::domain::token::TokenSort;
use crate::server::db::tokens::{Between, IdRange, Token, TokenFilter};
use crate::server::db::users::User;
use crate::server::services::accounts;
use crate::server::services::leaks::{self, NotTaken};
use crate::server::services::tokens::{self, Identified, Issuer};
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

fn id_of(raw: &str) -> Result<TokenId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(""))
}

/// The filters of `GET /personal_access_tokens`, for `user_id` (`None`:
/// every user's).
fn filter(
    params: &Params,
    user_id: Option<UserId>,
    admin: bool,
    now: i64,
) -> Result<TokenFilter, ApiError> {
    let active_at = match params.get("state") {
        None => None,
        Some("active") => Some((true, now)),
        Some("inactive") => Some((false, now)),
        Some(_) => return Err(ApiError::not_a_valid_value("state")),
    };
    let between = |prefix: &str| -> Result<Between, ApiError> {
        Ok(Between {
            after: params.instant(&format!("{prefix}_after"))?,
            before: params.instant(&format!("{prefix}_before"))?,
        })
    };
    // Expiry is a date: GitLab reads only the date of these two.
    let dates = |prefix: &str| -> Result<Between, ApiError> {
        Ok(Between {
            after: params.date(&format!("{prefix}_after"))?,
            before: params.date(&format!("{prefix}_before"))?,
        })
    };
    Ok(TokenFilter {
        user_id,
        // An administrator's list holds impersonation tokens too, as GitLab's.
        with_impersonation: admin,
        active_at,
        revoked: params.bool("revoked")?,
        search: params.get("search").and_then(NameSearch::parse),
        created: between("created")?,
        last_used: between("last_used")?,
        expires: dates("expires")?,
        scope: None,
        unused_since: None,
        ids: IdRange {
            after: params.int("id_after")?,
            before: params.int("id_before")?,
        },
        // GitLab's finder sorts by the values it knows and ignores others;
        // in keyset pagination `sort` is the id's direction instead.
        sort: if params.get("pagination") == Some("keyset") {
            None
        } else {
            params.get("sort").and_then(TokenSort::parse)
        },
    })
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    // GitLab: a non-administrator filtering by anyone else is 401; an
    // administrator naming no user (or a blank id) 404.
    let user_id = match params.raw("user_id") {
        None if auth.admin => None,
        None => Some(auth.user.id),
        Some(raw) => {
            let id = raw.trim().parse::<i64>().ok().map(UserId);
            match id {
                Some(id) if id == auth.user.id => Some(id),
                _ if !auth.admin => return Err(ApiError::Unauthorized),
                None => return Err(ApiError::NotFound("")),
                Some(id) => {
                    accounts::find(&state, id)
                        .await?
                        .ok_or(ApiError::NotFound(""))?;
                    Some(id)
                }
            }
        }
    };
    let now = state.now();
    let filter = filter(&params, user_id, auth.admin, now)?;
    let path = "/personal_access_tokens";
    // Oldest first, as GitLab orders a list by id.
    let (page, headers) = if let Some(keyset) = Keyset::of(&params, false)? {
        let (page, more) =
            tokens::keyset(&state, &filter, keyset.newest_first, keyset.per_page).await?;
        let last = page.last().map(|t| t.id.get());
        (page, keyset.headers(last, more, &params, &base, path))
    } else {
        let paging = Paging::of(&params)?;
        let (page, total) =
            tokens::page(&state, &filter, false, paging.offset(), paging.per_page).await?;
        (page, paging.headers(total, &params, &base, path))
    };
    Ok(page_response(
        headers,
        page.iter().map(|t| json::token(t, now)).collect(),
    ))
}

/// Whether the caller may `use_` `token` (`domain::access`).
fn may_use(auth: &ApiAuth, token: &Token, use_: TokenUse) -> bool {
    may_use_token(
        auth.user.id,
        auth.admin,
        token.user_id,
        token.impersonation,
        use_,
    )
}

/// A token the caller may read, rotate or revoke by id, or GitLab's answer
/// when not: an administrator gets 404 for a missing one; anyone else 401
/// to read or rotate (missing or not theirs alike) and 400 to revoke.
async fn manageable(
    state: &AppState,
    auth: &ApiAuth,
    id: &str,
    use_: TokenUse,
) -> Result<Token, ApiError> {
    let token = match id.parse::<TokenId>() {
        Ok(id) => tokens::find(state, id).await?,
        Err(_) => None,
    };
    match token {
        Some(token) if may_use(auth, &token, use_) => Ok(token),
        None if auth.admin => Err(ApiError::NotFound("")),
        _ if use_ == TokenUse::Revoke => Err(ApiError::BadRequest),
        _ => Err(ApiError::Unauthorized),
    }
}

pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let token = manageable(&state, &auth, &id, TokenUse::Read).await?;
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
    let token = manageable(&state, &auth, &id, TokenUse::Revoke).await?;
    tokens::revoke_as(&state, &auth.actor(&state).await?, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any token may revoke itself, whatever its scopes; an impersonation
/// token only when an administrator's (GitLab answers others 400, as it
/// does `DELETE /:id`).
pub async fn revoke_self(
    State(state): State<AppState>,
    auth: ApiAuth,
) -> Result<StatusCode, ApiError> {
    if !may_use(&auth, &auth.token, TokenUse::Revoke) {
        return Err(ApiError::BadRequest);
    }
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
    // Forgekey's overlap window: `overlap_minutes` (0 to 1440; none: 0).
    let overlap = crate::domain::token::parse_rotation_overlap(
        params.get("overlap_minutes").unwrap_or_default(),
    );
    // A rotation that cannot be done is GitLab's `400 Bad request - <why>`.
    let created = async {
        let overlap = overlap?;
        tokens::rotate_with_overlap(state, &actor, token, params.get("expires_at"), overlap).await
    }
    .await
    .map_err(|e| match e {
        ServiceError::Invalid(fields) => ApiError::BadRequestBecause(
            fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ServiceError::Conflict(conflict) => {
            ApiError::BadRequestBecause(crate::server::api::error::conflict_message(conflict))
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
    let token = manageable(&state, &auth, &id, TokenUse::Rotate).await?;
    rotate_token(&state, &auth, &token, &params).await
}

pub async fn rotate_self(
    State(state): State<AppState>,
    auth: ApiAuth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    rotate_token(&state, &auth, &auth.token, &params).await
}

/// Forgekey's extension, `PUT /personal_access_tokens/:id` (and `/self`):
/// edits a token in place: `name`, `description`, `expires_at`, `scopes`,
/// `projects` and `allowed_ips`, each left out unchanged. Scopes, projects
/// and addresses only narrow (`domain::token::Editable::edit`); whoever
/// may rotate a token may edit it.
pub async fn edit(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let token = manageable(&state, &auth, &id, TokenUse::Rotate).await?;
    edit_token(&state, &auth, &token, &params).await
}

pub async fn edit_self(
    State(state): State<AppState>,
    auth: ApiAuth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    edit_token(&state, &auth, &auth.token, &params).await
}

async fn edit_token(
    state: &AppState,
    auth: &ApiAuth,
    token: &Token,
    params: &Params,
) -> Result<Json<Value>, ApiError> {
    let given = |name: &str| !params.values(name).is_empty();
    let scopes = params.list("scopes");
    let allowed_ips = params.list("allowed_ips").join(",");
    let edit = crate::domain::token::Edit {
        name: params.get("name"),
        description: params.get("description"),
        expires_on: params.get("expires_at"),
        scopes: given("scopes").then_some(scopes.as_slice()),
        allowed_ips: given("allowed_ips").then_some(allowed_ips.as_str()),
        projects: None,
    };
    let projects = params.list("projects").join(",");
    let projects = given("projects").then_some(projects.as_str());
    let edited = tokens::edit(state, &auth.actor(state).await?, token, edit, projects).await?;
    Ok(Json(json::token(&edited, state.now())))
}

/// The user an administrator's request is about.
async fn target_user(state: &AppState, auth: &ApiAuth, id: &str) -> Result<User, ApiError> {
    auth.require_admin()?;
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound("User"))?;
    accounts::find(state, id)
        .await?
        .ok_or(ApiError::NotFound("User"))
}

/// Name, scopes and expiry of a token to create; without `expires_at` a
/// token gets the longest lifetime allowed, as GitLab 16 does (or none,
/// where administrators allow tokens without an expiry date).
async fn issue_from(
    state: &AppState,
    auth: &ApiAuth,
    owner: &User,
    issuer: Issuer<'_>,
    params: &Params,
) -> Result<Response, ApiError> {
    let scopes = params.list("scopes");
    // Grape names every missing parameter at once.
    let missing: Vec<&str> = [
        ("name", params.get("name").is_none()),
        ("scopes", scopes.is_empty()),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if !missing.is_empty() {
        return Err(ApiError::all_missing(&missing));
    }
    // Grape's `values:` check on the scope names, before any other.
    if scopes.iter().any(|s| s.parse::<Scope>().is_err()) {
        return Err(ApiError::not_a_valid_value("scopes"));
    }
    let name = params.required("name")?;
    let now = state.now();
    // Without a date the domain's rule decides (`parse_optional_expiry`).
    let expires_at = params.get("expires_at").unwrap_or_default();
    let actor = auth.actor(state).await?;
    // Forgekey's allow list and projects (`namespace/path`): `name[]=…` or
    // one comma-separated value.
    let allowed_ips = params.list("allowed_ips").join(",");
    let projects = params.list("projects").join(",");
    // GitLab 17.7's optional description.
    let request = tokens::Request {
        name,
        description: params.get("description").unwrap_or_default(),
        expires_on: expires_at,
        scopes: &scopes,
        allowed_ips: &allowed_ips,
        projects: &projects,
    };
    let created = tokens::issue(state, &actor, owner, issuer, request).await?;
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
    // GitLab's `PersonalAccessTokens::CreateService` answers a refused
    // token 422 here (impersonation tokens keep the 400 of a validation
    // error).
    issue_from(&state, &auth, &owner, Issuer::Admin(&auth.user), &params)
        .await
        .map_err(ApiError::unprocessable_if_invalid)
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
    let all = tokens::list_impersonation(&state, owner.id).await?;
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
    tokens::find(state, id)
        .await?
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

/// Revokes an impersonation token; with `If-Unmodified-Since` before its
/// last change, 412 (GitLab's conditional delete).
pub async fn revoke_impersonation(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path((id, token_id)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ApiError> {
    let owner = target_user(&state, &auth, &id).await?;
    let token = impersonation_token(&state, &owner, &token_id).await?;
    let last_modified = [token.revoked_at, token.rotated_at]
        .into_iter()
        .flatten()
        .fold(token.created_at, i64::max);
    check_unmodified_since(&headers, last_modified)?;
    tokens::revoke_as(&state, &auth.actor(&state).await?, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The token behind the secret an administrator presents as `token`
/// (GitLab 17's token information API): 422 for a kind of token Forgekey
/// does not issue, 404 for none.
async fn identified(state: &AppState, auth: &ApiAuth, params: &Params) -> Result<Token, ApiError> {
    auth.require_admin()?;
    let secret = params.required("token")?;
    match tokens::identify(state, secret.trim()).await? {
        Identified::Token(token) => Ok(*token),
        Identified::NotFound => Err(ApiError::NotFound("")),
        Identified::Foreign => Err(ApiError::Unprocessable(
            "Token type not supported.".to_owned(),
        )),
    }
}

/// `POST /admin/token`: what a secret is, whoever holds it.
pub async fn admin_show_by_secret(
    State(state): State<AppState>,
    auth: ApiAuth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let token = identified(&state, &auth, &params).await?;
    Ok(Json(json::token(&token, state.now())))
}

/// `DELETE /admin/token`: revokes the token behind a secret (again is fine).
pub async fn admin_revoke_by_secret(
    State(state): State<AppState>,
    auth: ApiAuth,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let token = identified(&state, &auth, &params).await?;
    tokens::revoke_as(&state, &auth.actor(&state).await?, token.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /personal_access_tokens/revoke_leaked` (a Forgekey extension):
/// anybody may report secrets found in public, as `{"tokens": [...]}`.
/// Always `202 Accepted`, whether or not any secret existed; 400 for no
/// secret or more than `leaks::MAX_SECRETS`, 429 past the address's quota.
pub async fn revoke_leaked(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    params: Params,
) -> Result<StatusCode, ApiError> {
    let address = crate::server::client_addr::client_ip(&extensions);
    match leaks::report(&state, address, params.values("tokens")).await {
        Ok(_) => Ok(StatusCode::ACCEPTED),
        Err(NotTaken::Count) => Err(ApiError::BadParameter(format!(
            "tokens must name between 1 and {} secrets",
            leaks::MAX_SECRETS
        ))),
        Err(NotTaken::TooMany) => Err(ApiError::TooManyRequests),
        Err(NotTaken::Failed(e)) => Err(e.into()),
    }
}
