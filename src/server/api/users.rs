//! `/user` and `/users`.

use super::auth::{ApiAuth, MaybeApiAuth};
use super::error::ApiError;
use super::params::Params;
use super::{json, page_response, BaseUrl, Paging};
use crate::domain::ids::UserId;
use crate::server::db::users::{UserFilter, UserOrder};
use crate::server::services::accounts;
use crate::server::services::tokens::RenderedAnswer;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// `GET /user`: what every GitLab client asks first, and what scripts and
/// CI jobs poll. A token's cache entry keeps the first answer rendered for
/// it (for one base URL), so a busy client's repeated calls are not
/// re-serialized; the entry, and the answer with it, lives at most a second
/// and is dropped at once when this instance changes the user or token.
pub async fn current(BaseUrl(base): BaseUrl, auth: ApiAuth) -> Response {
    let Some(memo) = &auth.user_answer else {
        return json::respond(&json::user_full(&auth.user, &base, auth.admin));
    };
    if let Some(answer) = memo.get().filter(|a| a.base_url == base) {
        return json::respond_rendered(answer.body.clone());
    }
    match json::render(&json::user_full(&auth.user, &base, auth.admin)) {
        Ok(body) => {
            // Only the first rendering is kept: a request naming another
            // host is answered freshly without replacing it.
            let _ = memo.set(RenderedAnswer {
                base_url: base,
                body: body.clone(),
            });
            json::respond_rendered(body)
        }
        Err(e) => e.into_response(),
    }
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    MaybeApiAuth(auth): MaybeApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    // Without a token, GitLab answers a lookup by `username` only.
    if auth.is_none() && params.get("username").is_none() {
        return Err(ApiError::Forbidden);
    }
    let admin = auth.as_ref().is_some_and(|a| a.admin);
    // GitLab's admin filter: `two_factor=enabled|disabled` (ignored for
    // everyone else, as the email half of `search` is).
    let two_factor = match (admin, params.get("two_factor")) {
        (true, Some("enabled")) => Some(true),
        (true, Some("disabled")) => Some(false),
        (true, Some(_)) => return Err(ApiError::invalid("two_factor")),
        _ => None,
    };
    // GitLab's `order_by` and `sort` values are checked for everyone and
    // followed for administrators; the list is newest first by default.
    // Forgekey keeps no update time: `updated_at` orders by id.
    let order = match params.get("order_by") {
        None | Some("id" | "updated_at") => UserOrder::Id,
        Some("name" | "username") => UserOrder::Username,
        Some("created_at") => UserOrder::CreatedAt,
        Some(_) => return Err(ApiError::not_a_valid_value("order_by")),
    };
    let descending = match params.get("sort") {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(ApiError::not_a_valid_value("sort")),
    };
    let (order, descending) = if admin {
        (order, descending)
    } else {
        (UserOrder::Id, true)
    };
    // `blocked=true`: blocked users only; `active=true`: unblocked ones.
    let blocked = match (params.bool("blocked")?, params.bool("active")?) {
        (Some(true), _) => Some(true),
        (_, Some(true)) => Some(false),
        _ => None,
    };
    let filter = UserFilter {
        username: params.get("username").map(str::to_owned),
        search: params.get("search").map(str::to_owned),
        search_email: admin,
        two_factor,
        blocked,
        // `admins=true`: administrators only, for administrators' eyes.
        admin: (admin && params.bool("admins")? == Some(true)).then_some(true),
        order,
        descending,
    };
    let paging = Paging::of(&params)?;
    let (page, total) =
        accounts::users_page(&state, &filter, paging.offset(), paging.per_page).await?;
    let headers = paging.headers(total, &params, &base, "/users");
    let items = page
        .iter()
        .map(|u| {
            if admin {
                serde_json::to_value(json::user_full(u, &base, true))
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
    let id: UserId = id.parse().map_err(|_| ApiError::NotFound("User"))?;
    let user = accounts::find(&state, id)
        .await?
        .ok_or(ApiError::NotFound("User"))?;
    Ok(if auth.admin || auth.user.id == user.id {
        json::respond(&json::user_full(&user, &base, auth.admin))
    } else {
        json::respond(&json::user_basic(&user, &base))
    })
}
