//! `POST /projects`, `GET /projects` and `GET /projects/:id`, with
//! GitLab's basic fields.

use super::auth::{ApiAuth, MaybeApiAuth};
use super::error::ApiError;
use super::json::instant;
use super::params::Params;
use super::{page_response, paginate, BaseUrl};
use crate::domain::project::{ProjectSet, Visibility};
use crate::paths;
use crate::server::db::projects::Project;
use crate::server::services::projects;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `namespace/path`.
pub fn full_path(p: &Project) -> String {
    format!("{}/{}", p.namespace, p.path)
}

/// The project's page.
pub fn web_url(p: &Project, base: &str) -> String {
    format!("{base}/{}", full_path(p))
}

/// Where Git clones it over HTTP.
pub fn http_url_to_repo(p: &Project, base: &str) -> String {
    format!("{base}/{}.git", full_path(p))
}

pub fn project_json(p: &Project, base: &str) -> Value {
    let full_path = full_path(p);
    json!({
        "id": p.id,
        "description": null,
        "name": p.name,
        "name_with_namespace": format!("{} / {}", p.namespace, p.name),
        "path": p.path,
        "path_with_namespace": full_path,
        "created_at": instant(p.created_at),
        "default_branch": "main",
        "visibility": p.visibility.as_str(),
        "ssh_url_to_repo": null,
        "http_url_to_repo": http_url_to_repo(p, base),
        "web_url": web_url(p, base),
        "namespace": {
            "id": p.owner_id,
            "name": p.namespace,
            "path": p.namespace,
            "kind": "user",
            "full_path": p.namespace,
        },
        "owner": { "id": p.owner_id, "username": p.namespace, "name": p.namespace },
    })
}

pub async fn create(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    auth: ApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    let name = params.get("name").or(params.get("path"));
    let name = name.ok_or(ApiError::BadParameter("name or path is missing".to_owned()))?;
    if !auth.token.projects.is_empty() {
        return Err(ApiError::ForbiddenBecause(
            "This token is restricted to some projects: it cannot create one.",
        ));
    }
    let project = projects::create(
        &state,
        &auth.actor(&state).await?,
        &auth.user,
        name,
        params.get("path").unwrap_or(""),
        params.get("visibility").unwrap_or("private"),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(project_json(&project, &base))).into_response())
}

/// As GitLab: every project the caller may see, newest first; `owned=true`
/// keeps their own, `visibility` and `search` narrow further.
pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    MaybeApiAuth(auth): MaybeApiAuth,
    params: Params,
) -> Result<Response, ApiError> {
    // Without a token, the public projects (as GitLab).
    let viewer = auth.as_ref().map(|a| a.user.id);
    let admin = auth.as_ref().is_some_and(|a| a.admin);
    let mut visible = projects::list_visible(&state, viewer, admin).await?;
    if let Some(auth) = &auth {
        visible.retain(|p| auth.token.projects.permits(p.id));
    }
    if params.bool("owned")? == Some(true) {
        visible.retain(|p| Some(p.owner_id) == viewer);
    }
    if let Some(v) = params.get("visibility") {
        let wanted = Visibility::parse(v).ok_or_else(|| ApiError::invalid("visibility"))?;
        visible.retain(|p| p.visibility == wanted);
    }
    if let Some(search) = params.get("search") {
        let search = search.to_lowercase();
        visible.retain(|p| {
            p.name.to_lowercase().contains(&search) || p.path.to_lowercase().contains(&search)
        });
    }
    let (headers, page) = paginate(visible, &params, &base, paths::PROJECTS)?;
    let items = page.iter().map(|p| project_json(p, &base)).collect();
    Ok(page_response(headers, items))
}

fn may_see(auth: Option<&ApiAuth>, p: &Project) -> bool {
    let any = ProjectSet::any();
    p.access().reachable(
        auth.map(|a| a.user.id),
        auth.is_some_and(|a| a.admin),
        auth.map_or(&any, |a| &a.token.projects),
    )
}

/// By id, or by URL-encoded full path (`alice%2Fdemo`), as GitLab allows.
pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    MaybeApiAuth(auth): MaybeApiAuth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let found = projects::find(&state, &id).await?;
    match found {
        Some(p) if may_see(auth.as_ref(), &p) => Ok(Json(project_json(&p, &base)).into_response()),
        _ => Err(ApiError::NotFound("Project")),
    }
}
