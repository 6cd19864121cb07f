//! Projects and where their repositories are.

use super::{is_unique_violation_on, Db};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::project::{ProjectAccess, Visibility};
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: ProjectId,
    pub owner_id: UserId,
    /// The owner's username: the project's namespace.
    pub namespace: String,
    pub name: String,
    pub path: String,
    pub visibility: Visibility,
    pub created_at: i64,
}

impl Project {
    /// The project's side of the access rules (`domain::project`).
    pub fn access(&self) -> ProjectAccess {
        ProjectAccess {
            id: self.id,
            owner_id: self.owner_id,
            visibility: self.visibility,
        }
    }
}

const COLUMNS: &str = "p.id, p.owner_id, u.username AS namespace, p.name, p.path, \
                       p.visibility, p.created_at";

fn from_row(row: &AnyRow) -> Result<Project, sqlx::Error> {
    let visibility: String = row.try_get("visibility")?;
    Ok(Project {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| sqlx::Error::Decode(format!("visibility {visibility:?}").into()))?,
        created_at: row.try_get("created_at")?,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum InsertProjectError {
    #[error("path taken")]
    PathTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Inserts a project row inside `tx` (the caller creates the repository
/// before committing, so neither exists without the other).
pub async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    owner_id: UserId,
    name: &str,
    path: &str,
    visibility: Visibility,
    now: i64,
) -> Result<ProjectId, InsertProjectError> {
    sqlx::query_scalar(
        "INSERT INTO projects (owner_id, name, path, path_key, visibility, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(owner_id)
    .bind(name)
    .bind(path)
    .bind(path.to_ascii_lowercase())
    .bind(visibility.as_str())
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation_on(&e, "path_key") || is_unique_violation_on(&e, "owner_id") {
            InsertProjectError::PathTaken
        } else {
            InsertProjectError::Db(e)
        }
    })
}

pub async fn find_by_id(db: &Db, id: ProjectId) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id WHERE p.id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The projects with these ids (those that exist), in one query.
pub async fn find_many(db: &Db, ids: &[ProjectId]) -> Result<Vec<Project>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id WHERE p.id IN ({})",
        marks.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// By `namespace/path`, both case-insensitive.
pub async fn find_by_full_path(
    db: &Db,
    namespace_key: &str,
    path: &str,
) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id \
         WHERE u.username_key = $1 AND p.path_key = $2"
    ))
    .bind(namespace_key)
    .bind(path.to_ascii_lowercase())
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The projects a user may see (their own and public ones; every project
/// for an administrator), newest first.
pub async fn list_visible(
    db: &Db,
    viewer: Option<UserId>,
    all: bool,
) -> Result<Vec<Project>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id \
         WHERE $1 = 1 OR p.owner_id = $2 OR p.visibility = 'public' ORDER BY p.id DESC"
    ))
    .bind(i64::from(all))
    .bind(viewer)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The projects a user owns, newest first.
pub async fn list_owned(db: &Db, owner_id: UserId) -> Result<Vec<Project>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM projects p JOIN users u ON u.id = p.owner_id \
         WHERE p.owner_id = $1 ORDER BY p.id DESC"
    ))
    .bind(owner_id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}
