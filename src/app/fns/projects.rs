//! Projects: the signed-in user's list and the new-project form.

use super::AppError;
use leptos::server;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: crate::domain::ids::ProjectId,
    pub name: String,
    pub full_path: String,
    pub visibility: String,
    /// What `git clone` takes.
    pub clone_url: String,
}

#[cfg(feature = "ssr")]
fn view(p: crate::server::db::projects::Project, base: &str) -> ProjectView {
    let full_path = format!("{}/{}", p.namespace, p.path);
    ProjectView {
        id: p.id,
        name: p.name,
        clone_url: format!("{base}/{full_path}.git"),
        full_path,
        visibility: p.visibility.as_str().to_owned(),
    }
}

/// Where clone URLs point: the public URL, or the host the browser used.
#[cfg(feature = "ssr")]
fn base_url(state: &crate::server::state::AppState) -> String {
    let parts = leptos::prelude::use_context::<http::request::Parts>();
    let headers = parts.map(|p| p.headers).unwrap_or_default();
    state.config.base_url(&headers)
}

#[server(prefix = "/_fn", endpoint = "load_projects")]
pub async fn load_projects() -> Result<Vec<ProjectView>, AppError> {
    use super::ctx;
    use crate::server::services::projects;
    let (state, _session, user) = ctx::signed_in().await?;
    let base = base_url(&state);
    Ok(projects::list_owned(&state, &user)
        .await?
        .into_iter()
        .map(|p| view(p, &base))
        .collect())
}

#[server(prefix = "/_fn", endpoint = "create_project")]
pub async fn create_project(name: String, visibility: String) -> Result<String, AppError> {
    use super::ctx;
    use crate::server::services::projects;
    let result = async {
        let (state, _session, user) = ctx::signed_in().await?;
        let p = projects::create(&state, &ctx::actor(&user), &user, &name, "", &visibility).await?;
        Ok::<_, AppError>(format!("Project '{}' was successfully created.", p.name))
    }
    .await;
    let notice = result.as_ref().ok().cloned();
    let values: &[(&str, &str)] = if result.is_err() {
        &[("name", &name), ("visibility", &visibility)]
    } else {
        &[]
    };
    ctx::finish("create_project", values, notice.as_deref(), result).await
}
