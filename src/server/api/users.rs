//! `/user` and `/users`.

use super::error::ApiError;
use super::params::Params;
use super::{json, page_response, paginate, BaseUrl};
use crate::server::db::users;
use crate::server::extract::ApiAuth;
use crate::server::services::ServiceError;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

fn db_error(e: sqlx::Error) -> ApiError {
    ServiceError::from(e).into()
}

pub async fn current(BaseUrl(base): BaseUrl, auth: ApiAuth) -> Response {
    Json(json::user_full(&auth.user, &base)).into_response()
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    let mut all = users::list(&state.db).await.map_err(db_error)?;
    if let Some(username) = params.get("username") {
        all.retain(|u| u.username.eq_ignore_ascii_case(username));
    }
    if let Some(search) = params.get("search") {
        let search = search.to_lowercase();
        all.retain(|u| {
            u.username.to_lowercase().contains(&search)
                || (auth.admin && u.email.to_lowercase().contains(&search))
        });
    }
    // GitLab's admin filter: `two_factor=enabled|disabled`.
    if let (true, Some(filter)) = (auth.admin, params.get("two_factor")) {
        let wanted = match filter {
            "enabled" => true,
            "disabled" => false,
            _ => return Err(ApiError::invalid("two_factor")),
        };
        all.retain(|u| u.two_factor_enabled == wanted);
    }
    let (headers, page) = paginate(all, &params, &base, "/users")?;
    let items = page
        .iter()
        .map(|u| {
            if auth.admin {
                serde_json::to_value(json::user_full(u, &base))
            } else {
                serde_json::to_value(json::user_basic(u, &base))
            }
            .unwrap_or(Value::Null)
        })
        .collect();
    Ok(page_response(headers, items))
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("User"))?;
    let user = users::find_by_id(&state.db, id)
        .await
        .map_err(db_error)?
        .ok_or(ApiError::NotFound("User"))?;
    Ok(if auth.admin || auth.user.id == user.id {
        Json(json::user_full(&user, &base)).into_response()
    } else {
        Json(json::user_basic(&user, &base)).into_response()
    })
}
