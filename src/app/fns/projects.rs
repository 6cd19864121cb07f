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
    /// Where its container images live (`host/namespace/project`), while
    /// the instance has a container registry.
    pub image_path: Option<String>,
}

#[cfg(feature = "ssr")]
fn view(
    p: crate::server::db::projects::Project,
    base: &str,
    registry: &crate::domain::registry::RegistrySettings,
) -> ProjectView {
    use crate::domain::registry::{image_path, project_has_image_name};
    let full_path = format!("{}/{}", p.namespace, p.path);
    ProjectView {
        id: p.id,
        image_path: (registry.enabled && project_has_image_name(&p.namespace, &p.path))
            .then(|| image_path(&registry.host, &p.namespace, &p.path)),
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

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_projects")]
pub async fn load_projects() -> Result<Vec<ProjectView>, AppError> {
    use super::ctx;
    use crate::server::services::{projects, registry};
    let (state, _session, user) = ctx::signed_in().await?;
    let base = base_url(&state);
    let registry = registry::settings(&state).await?;
    Ok(projects::list_owned(&state, &user)
        .await?
        .into_iter()
        .map(|p| view(p, &base, &registry))
        .collect())
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "create_project")]
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
