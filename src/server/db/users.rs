use super::{flag, is_unique_violation_on, Conditions, Db};
use crate::domain::ids::UserId;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A user as the rest of the server sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    /// Two-factor authentication is on (enrolment confirmed).
    pub two_factor_enabled: bool,
    pub session_epoch: i64,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
    /// Set while an administrator has blocked the account.
    pub blocked_at: Option<i64>,
}

impl User {
    pub fn is_blocked(&self) -> bool {
        self.blocked_at.is_some()
    }
}

/// What sign-in needs besides the user.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: User,
    pub password_hash: String,
}

const USER_COLUMNS: &str = "id, username, email, is_admin, otp_enabled, session_epoch, \
                            created_at, last_sign_in_at, blocked_at";

fn user_from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        is_admin: flag(row, "is_admin")?,
        two_factor_enabled: flag(row, "otp_enabled")?,
        session_epoch: row.try_get("session_epoch")?,
        created_at: row.try_get("created_at")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
        blocked_at: row.try_get("blocked_at")?,
    })
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub username_key: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub password_hash: &'a str,
    pub admin: bool,
    pub now: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("username taken")]
    UsernameTaken,
    #[error("email taken")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Inserts a user. The very first user ever inserted becomes an
/// administrator: the claim is one conditional update in the same
/// transaction, so two racing first sign-ups cannot both win.
pub async fn insert(db: &Db, new: &NewUser<'_>) -> Result<User, InsertUserError> {
    let mut tx = db.begin_write().await?;
    let claimed_first = sqlx::query(
        "UPDATE instance_state SET first_admin_claimed = 1 WHERE id = 1 AND first_admin_claimed = 0",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query(&format!(
        "INSERT INTO users (username, username_key, email, email_key, password_hash, is_admin, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
    ))
    .bind(new.username)
    .bind(new.username_key)
    .bind(new.email)
    .bind(new.email_key)
    .bind(new.password_hash)
    .bind(i64::from(new.admin || claimed_first))
    .bind(new.now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation_on(&e, "username_key") {
            InsertUserError::UsernameTaken
        } else if is_unique_violation_on(&e, "email_key") {
            InsertUserError::EmailTaken
        } else {
            InsertUserError::Db(e)
        }
    })?;
    let user = user_from_row(&row)?;
    tx.commit().await?;
    Ok(user)
}

/// Which of a username key and an email key are taken already.
pub async fn taken(
    db: &Db,
    username_key: &str,
    email_key: &str,
) -> Result<(bool, bool), sqlx::Error> {
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM users WHERE username_key = $1) AS u, \
           (SELECT COUNT(*) FROM users WHERE email_key = $2) AS e",
    )
    .bind(username_key)
    .bind(email_key)
    .fetch_one(&db.pool)
    .await?;
    Ok((
        row.try_get::<i64, _>("u")? > 0,
        row.try_get::<i64, _>("e")? > 0,
    ))
}

pub async fn find_by_id(db: &Db, id: UserId) -> Result<Option<User>, sqlx::Error> {
    find_by_id_with(&db.pool, id).await
}

/// [`find_by_id`] through any executor (inside a transaction).
pub async fn find_by_id_with<'e, E>(executor: E, id: UserId) -> Result<Option<User>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()
}

/// Looks a user up by the case-insensitive key of their username.
pub async fn find_by_username_key(db: &Db, key: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username_key = $1"
    ))
    .bind(key)
    .fetch_optional(&db.pool)
    .await?
    .as_ref()
    .map(user_from_row)
    .transpose()
}

/// Looks a user up by username or email (both case-insensitive keys).
pub async fn find_credentials(
    db: &Db,
    login_key: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    find_credentials_where(
        db,
        "username_key = $1 OR email_key = $1",
        login_key.to_owned(),
    )
    .await
}

pub async fn find_credentials_by_id(
    db: &Db,
    id: UserId,
) -> Result<Option<Credentials>, sqlx::Error> {
    find_credentials_where(db, "id = $1", id).await
}

async fn find_credentials_where<T>(
    db: &Db,
    condition: &str,
    value: T,
) -> Result<Option<Credentials>, sqlx::Error>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
{
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users WHERE {condition} \
         ORDER BY id LIMIT 1"
    ))
    .bind(value)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| {
        Ok(Credentials {
            user: user_from_row(&row)?,
            password_hash: row.try_get("password_hash")?,
        })
    })
    .transpose()
}

/// A completed sign-in (all its steps).
pub async fn record_sign_in(db: &Db, id: UserId, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Stores a new password hash and ends every session of the user by moving
/// their session epoch on. Returns the new epoch.
pub async fn set_password(db: &Db, id: UserId, password_hash: &str) -> Result<i64, sqlx::Error> {
    set_password_with(&db.pool, id, password_hash).await
}

/// As [`set_password`], through `executor` (a transaction).
pub async fn set_password_with<'e, E>(
    executor: E,
    id: UserId,
    password_hash: &str,
) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(
        "UPDATE users SET password_hash = $1, session_epoch = session_epoch + 1 \
         WHERE id = $2 RETURNING session_epoch",
    )
    .bind(password_hash)
    .bind(id)
    .fetch_one(executor)
    .await
}

/// What a listing of users narrows by (the Admin Area's search, GitLab's
/// `GET /users` filters). Text is matched against the lowercased keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Exactly this username (any case).
    pub username: Option<String>,
    /// The username contains it (any case)…
    pub search: Option<String>,
    /// …or, when set, the email does.
    pub search_email: bool,
    pub two_factor: Option<bool>,
    /// Blocked users only (`true`) or unblocked ones only (`false`).
    pub blocked: Option<bool>,
    /// Administrators only (`true`) or everyone else (`false`).
    pub admin: Option<bool>,
    /// The order of the list (by id by default)…
    pub order: UserOrder,
    /// …descending when set.
    pub descending: bool,
}

/// What a list of users is ordered by (then by id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserOrder {
    #[default]
    Id,
    Username,
    CreatedAt,
}

/// One page of users matching `filter`, in its order, and how many match
/// in all.
pub async fn page(
    db: &Db,
    filter: &UserFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), sqlx::Error> {
    let mut c = Conditions::default();
    if let Some(username) = &filter.username {
        let key = c.text(crate::domain::account::unique_key(username));
        c.add(format!("username_key = {key}"));
    }
    if let Some(search) = &filter.search {
        let pattern = c.containing(&crate::domain::account::unique_key(search));
        c.add(if filter.search_email {
            format!(
                "username_key LIKE {pattern} ESCAPE '\\' OR email_key LIKE {pattern} ESCAPE '\\'"
            )
        } else {
            format!("username_key LIKE {pattern} ESCAPE '\\'")
        });
    }
    if let Some(on) = filter.two_factor {
        c.add(if on {
            "otp_enabled <> 0"
        } else {
            "otp_enabled = 0"
        });
    }
    if let Some(blocked) = filter.blocked {
        c.add(if blocked {
            "blocked_at IS NOT NULL"
        } else {
            "blocked_at IS NULL"
        });
    }
    if let Some(admin) = filter.admin {
        c.add(if admin {
            "is_admin <> 0"
        } else {
            "is_admin = 0"
        });
    }
    match filter.order {
        UserOrder::Id => {}
        UserOrder::Username => c.sort_by("username_key"),
        UserOrder::CreatedAt => c.sort_by("created_at"),
    }
    c.page(
        db,
        (USER_COLUMNS, "users"),
        filter.descending,
        (offset, limit),
        user_from_row,
    )
    .await
}

/// How many unblocked administrators there are besides user `id`.
pub async fn count_other_admins<'e, E>(executor: E, id: UserId) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM users WHERE {OTHER_ADMINS} AND id <> $1"
    ))
    .bind(id)
    .fetch_one(executor)
    .await
}

const OTHER_ADMINS: &str = "is_admin = 1 AND blocked_at IS NULL";

/// Serialises changes to who administers the instance: the transaction
/// holding this lock sees every earlier change committed.
pub async fn lock_admins(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE instance_state SET first_admin_claimed = first_admin_claimed WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Blocks (`Some(now)`) or unblocks (`None`) a user. Blocking also ends
/// every session of the user. Returns whether the row changed.
pub async fn set_blocked<'e, E>(
    executor: E,
    id: UserId,
    blocked_at: Option<i64>,
) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let query = match blocked_at {
        Some(_) => {
            "UPDATE users SET blocked_at = $1, session_epoch = session_epoch + 1 \
             WHERE id = $2 AND blocked_at IS NULL"
        }
        None => "UPDATE users SET blocked_at = $1 WHERE id = $2 AND blocked_at IS NOT NULL",
    };
    Ok(sqlx::query(query)
        .bind(blocked_at)
        .bind(id)
        .execute(executor)
        .await?
        .rows_affected()
        == 1)
}

/// Makes a user an administrator or not. Returns whether the row changed.
pub async fn set_admin<'e, E>(executor: E, id: UserId, admin: bool) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(
        sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2 AND is_admin <> $1")
            .bind(i64::from(admin))
            .bind(id)
            .execute(executor)
            .await?
            .rows_affected()
            == 1,
    )
}

/// The users with these ids (any order; missing ids are skipped).
pub async fn find_many_with<'e, E>(executor: E, ids: &[UserId]) -> Result<Vec<User>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    query
        .fetch_all(executor)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
}
