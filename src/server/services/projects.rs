//! Creating projects: a database row and a bare repository, both or
//! neither.

use super::audit::{self, Action, Actor, Event};
use super::ServiceError;
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{NewProject, ProjectSet};
use crate::server::db::projects::{self, InsertProjectError, Project};
use crate::server::db::users::User;
use crate::server::state::Core;
use std::path::{Path, PathBuf};

/// Where a project's bare repository lives.
pub fn repository_path(root: &Path, project_id: ProjectId) -> PathBuf {
    root.join(format!("{project_id}.git"))
}

pub async fn create(
    state: &Core,
    actor: &Actor,
    owner: &User,
    name: &str,
    path: &str,
    visibility: &str,
) -> Result<Project, ServiceError> {
    let new = NewProject::parse(name, path, visibility)?;
    let mut tx = state.db.begin_write().await?;
    let id = projects::insert(
        &mut tx,
        owner.id,
        &new.name,
        &new.path,
        new.visibility,
        state.now(),
    )
    .await
    .map_err(|e| match e {
        InsertProjectError::PathTaken => {
            ServiceError::field("path", "Path has already been taken.")
        }
        InsertProjectError::Db(e) => e.into(),
    })?;
    let event = Event::new(Action::ProjectCreated)
        .on_user(owner)
        .details(format!("{}/{}", owner.username, new.path));
    audit::record(&mut *tx, actor, event, state.now()).await?;
    let repo = repository_path(&state.git.repositories, id);
    init_bare(&repo).await?;
    if let Err(e) = tx.commit().await {
        let _ = tokio::fs::remove_dir_all(&repo).await;
        return Err(e.into());
    }
    tracing::info!(project_id = %id, owner_id = %owner.id, "project created");
    projects::find_by_id(&state.db, id)
        .await?
        .ok_or(ServiceError::Internal)
}

async fn init_bare(repo: &Path) -> Result<(), ServiceError> {
    let failed = |what: &dyn std::fmt::Display| {
        tracing::error!(repository = %repo.display(), error = %what, "cannot create a repository");
        ServiceError::Internal
    };
    if let Some(parent) = repo.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| failed(&e))?;
    }
    let out = tokio::process::Command::new("git")
        .args(["init", "--bare", "--quiet", "--initial-branch=main"])
        .arg(repo)
        .output()
        .await
        .map_err(|e| failed(&e))?;
    if !out.status.success() {
        let _ = tokio::fs::remove_dir_all(repo).await;
        return Err(failed(&String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// The projects `user` owns.
pub async fn list_owned(state: &Core, user: &User) -> Result<Vec<Project>, ServiceError> {
    Ok(projects::list_owned(&state.db, user.id).await?)
}

/// Every project `user_id` may see (all of them for an administrator),
/// newest first.
/// The projects `viewer` may see (anyone: the public ones; an
/// administrator, `admin`: all), newest first.
pub async fn list_visible(
    state: &Core,
    viewer: Option<UserId>,
    admin: bool,
) -> Result<Vec<Project>, ServiceError> {
    Ok(projects::list_visible(&state.db, viewer, admin).await?)
}

/// A project by id, or by `namespace/path` (any case of the namespace).
pub async fn find(state: &Core, id_or_path: &str) -> Result<Option<Project>, ServiceError> {
    Ok(match id_or_path.parse::<ProjectId>() {
        Ok(id) => projects::find_by_id(&state.db, id).await?,
        Err(_) => match id_or_path.split_once('/') {
            Some((namespace, path)) => find_by_path(state, namespace, path).await?,
            None => None,
        },
    })
}

/// A project by its namespace (any case) and path.
pub async fn find_by_path(
    state: &Core,
    namespace: &str,
    path: &str,
) -> Result<Option<Project>, ServiceError> {
    let key = crate::domain::account::unique_key(namespace);
    Ok(projects::find_by_full_path(&state.db, &key, path).await?)
}

/// The projects `owner` names for a token (`domain::project::parse_paths`:
/// `namespace/path`, separated by commas), each one they may reach; empty:
/// every project.
pub async fn token_projects(
    state: &Core,
    owner: &User,
    typed: &str,
) -> Result<ProjectSet, ServiceError> {
    let mut ids = Vec::new();
    for (namespace, path) in crate::domain::project::parse_paths(typed)? {
        let found = find_by_path(state, &namespace, &path)
            .await?
            .filter(|p| p.access().visible_to(Some(owner.id), owner.is_admin));
        match found {
            Some(project) => ids.push(project.id),
            None => {
                return Err(crate::domain::DomainError::field(
                    "projects",
                    format!("There is no project {namespace}/{path} that you can reach."),
                )
                .into())
            }
        }
    }
    Ok(ProjectSet::new(ids))
}

/// `namespace/path` of each of these projects that exists, by id.
pub async fn full_paths(
    state: &Core,
    ids: &[ProjectId],
) -> Result<std::collections::HashMap<ProjectId, String>, ServiceError> {
    Ok(projects::find_many(&state.db, ids)
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{}/{}", p.namespace, p.path)))
        .collect())
}
