//! Personal access tokens. Rows hold the secret's keyed digest, never the
//! secret.

use super::{flag, Backend, Conditions, Db};
use crate::domain::expiry::Job;
use crate::domain::ids::{TokenId, UserId};
use crate::domain::network::AllowList;
use crate::domain::project::ProjectSet;
use crate::domain::scope::{self, Scope};
use crate::domain::search::NameSearch;
use crate::domain::token::{TokenDigest, TokenField, TokenSort, TokenState};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A token as stored, without its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// What it is for, in its owner's words.
    pub description: Option<String>,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    /// 00:00 UTC of the expiry date, in unix seconds; `None`: never.
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// The last few distinct client addresses, most recent first.
    pub last_used_ips: Vec<String>,
    pub revoked_at: Option<i64>,
    /// The id of the first token of its rotation family (itself if none).
    pub family_id: TokenId,
    /// Set when a rotation replaced it.
    pub rotated_at: Option<i64>,
    pub impersonation: bool,
    /// The administrator who made an impersonation token.
    pub created_by: Option<UserId>,
    /// Where it may be used from; empty: anywhere.
    pub allowed_ips: AllowList,
    /// The projects it may reach; empty: every one its owner may.
    pub projects: ProjectSet,
}

impl Token {
    /// Where it stands at `now`.
    pub fn state(&self, now: i64) -> TokenState {
        TokenState::at(now, self.expires_at, self.revoked_at)
    }

    pub fn is_active(&self, now: i64) -> bool {
        self.state(now).is_active()
    }

    /// Whether it was rotated away but keeps working beside its successor
    /// at `now` (`domain::token::in_rotation_overlap`).
    pub fn in_rotation_overlap(&self, now: i64) -> bool {
        crate::domain::token::in_rotation_overlap(now, self.rotated_at, self.revoked_at)
    }

    /// Whether revoking it at `now` changes anything: never revoked, or
    /// rotated away but still inside its overlap window.
    pub fn revocable(&self, now: i64) -> bool {
        self.revoked_at.is_none() || self.in_rotation_overlap(now)
    }

    /// Where it stands for a request at `now`
    /// (`TokenState::for_authentication`: working inside a rotation
    /// overlap).
    pub fn auth_state(&self, now: i64) -> TokenState {
        TokenState::for_authentication(now, self.expires_at, self.revoked_at, self.rotated_at)
    }
}

/// A token not revoked at `$1` (now): never revoked, or rotated away but
/// still inside its overlap window (`domain::token::in_rotation_overlap`),
/// which revoking ends at once.
const LIVE: &str = "(revoked_at IS NULL OR (rotated_at IS NOT NULL AND revoked_at > $1))";

const COLUMNS: &str =
    "id, user_id, name, description, scopes, created_at, expires_at, last_used_at, \
                       last_used_ips, revoked_at, family_id, rotated_at, impersonation, created_by, allowed_ips, project_ids";

fn from_row(row: &AnyRow) -> Result<Token, sqlx::Error> {
    let id: TokenId = row.try_get("id")?;
    let ips: String = row.try_get("last_used_ips")?;
    Ok(Token {
        id,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        scopes: scope::split(&row.try_get::<String, _>("scopes")?),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_ips: ips.split_whitespace().map(str::to_owned).collect(),
        revoked_at: row.try_get("revoked_at")?,
        family_id: row
            .try_get::<Option<TokenId>, _>("family_id")?
            .unwrap_or(id),
        rotated_at: row.try_get("rotated_at")?,
        impersonation: flag(row, "impersonation")?,
        created_by: row.try_get("created_by")?,
        allowed_ips: AllowList::from_stored(&row.try_get::<String, _>("allowed_ips")?),
        projects: ProjectSet::from_stored(&row.try_get::<String, _>("project_ids")?),
    })
}

pub struct NewTokenRow<'a> {
    pub user_id: UserId,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub digest: &'a TokenDigest,
    pub scopes: &'a [Scope],
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub family_id: Option<TokenId>,
    pub impersonation: bool,
    pub created_by: Option<UserId>,
    pub allowed_ips: &'a AllowList,
    pub projects: &'a ProjectSet,
}

async fn insert_with<'e, E>(executor: E, new: &NewTokenRow<'_>) -> Result<Token, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "INSERT INTO personal_access_tokens \
         (user_id, name, token_digest, scopes, created_at, expires_at, family_id, impersonation, \
          created_by, description, allowed_ips, project_ids) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {COLUMNS}"
    ))
    .bind(new.user_id)
    .bind(new.name)
    .bind(new.digest.to_hex())
    .bind(scope::join(new.scopes))
    .bind(new.created_at)
    .bind(new.expires_at)
    .bind(new.family_id)
    .bind(i64::from(new.impersonation))
    .bind(new.created_by)
    .bind(new.description)
    .bind(new.allowed_ips.to_stored())
    .bind(new.projects.to_stored())
    .fetch_one(executor)
    .await?;
    from_row(&row)
}

pub async fn insert<'e, E>(executor: E, new: &NewTokenRow<'_>) -> Result<Token, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    insert_with(executor, new).await
}

/// A user's own personal access tokens (not impersonation tokens), newest
/// first.
pub async fn list_for_user(db: &Db, user_id: UserId) -> Result<Vec<Token>, sqlx::Error> {
    list_where(db, "user_id = $1 AND impersonation = 0", Some(user_id)).await
}

/// A user's impersonation tokens, newest first.
pub async fn list_impersonation(db: &Db, user_id: UserId) -> Result<Vec<Token>, sqlx::Error> {
    list_where(db, "user_id = $1 AND impersonation = 1", Some(user_id)).await
}

/// An instant range (GitLab's `…_after` and `…_before` filters), as
/// GitLab bounds it: `after` inclusive; `before` inclusive too, except for
/// expiry (`expires_at < date`). A row without the instant matches no
/// bound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Between {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl Between {
    fn narrow(self, c: &mut Conditions, column: &str, before_inclusive: bool) {
        if let Some(after) = self.after {
            let p = c.int(after);
            c.add(format!("{column} >= {p}"));
        }
        if let Some(before) = self.before {
            let p = c.int(before);
            let op = if before_inclusive { "<=" } else { "<" };
            c.add(format!("{column} {op} {p}"));
        }
    }
}

/// Ids strictly between two (GitLab's `id_after` and `id_before`: the
/// cursor of keyset pagination).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdRange {
    pub after: Option<i64>,
    pub before: Option<i64>,
}

/// What a listing of personal access tokens narrows by (GitLab's
/// `GET /personal_access_tokens` filters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenFilter {
    /// One user's tokens (`None`: everyone's).
    pub user_id: Option<UserId>,
    /// Impersonation tokens too (what an administrator's list shows, as
    /// GitLab's); else personal access tokens only.
    pub with_impersonation: bool,
    /// Active (`true`) or not (`false`) at the instant given, as
    /// `domain::token::TokenState` decides (the SQL below says the same;
    /// a test holds them together).
    pub active_at: Option<(bool, i64)>,
    pub revoked: Option<bool>,
    /// The name matches it (`domain::search`).
    pub search: Option<NameSearch>,
    pub created: Between,
    pub last_used: Between,
    pub expires: Between,
    /// Holds this scope (among others).
    pub scope: Option<Scope>,
    /// Not used since this instant (never used: created before it).
    pub unused_since: Option<i64>,
    pub ids: IdRange,
    /// An order of its own for a page-numbered list (`None`: by id).
    pub sort: Option<TokenSort>,
}

const TABLE: &str = "personal_access_tokens";

/// The trigram index over names (a `LIKE '%word%'` of three characters or
/// more looks it up), joined so that it drives the listing in id order.
/// PostgreSQL's is an index on `LOWER(name)` its planner picks itself.
const SQLITE_NAME_SEARCH: &str = "personal_access_tokens_name_search \
     CROSS JOIN personal_access_tokens \
     ON personal_access_tokens.id = personal_access_tokens_name_search.rowid";

fn conditions(db: &Db, filter: &TokenFilter) -> Conditions {
    let mut c = Conditions::default();
    if !filter.with_impersonation {
        c.add("impersonation = 0");
    }
    if let Some(user_id) = filter.user_id {
        let p = c.int(user_id.get());
        c.add(format!("user_id = {p}"));
    }
    if let Some((active, now)) = filter.active_at {
        let p = c.int(now);
        let is_active = format!("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > {p})");
        c.add(if active {
            is_active
        } else {
            format!("NOT ({is_active})")
        });
    }
    if let Some(revoked) = filter.revoked {
        c.add(if revoked {
            "revoked_at IS NOT NULL"
        } else {
            "revoked_at IS NULL"
        });
    }
    match &filter.search {
        None => {}
        Some(NameSearch::Words(words)) => {
            // One user's few tokens are read through their own index; the
            // whole instance's through the name index.
            let indexed = db.backend == Backend::Sqlite && filter.user_id.is_none();
            if indexed {
                c.choose_from(
                    SQLITE_NAME_SEARCH,
                    "personal_access_tokens_name_search.rowid",
                );
            }
            for word in words {
                if indexed {
                    // The index finds candidates (its LIKE knows no escape,
                    // so a `%` or `_` in the word only widens them) ...
                    let p = c.text(format!("%{word}%"));
                    c.add(format!("personal_access_tokens_name_search.name LIKE {p}"));
                }
                // ... and the name itself decides.
                let p = c.containing(word);
                c.add(format!(
                    "LOWER(personal_access_tokens.name) LIKE {p} ESCAPE '\\'"
                ));
            }
        }
        Some(NameSearch::Whole(whole)) => {
            let p = c.text(whole.as_str());
            c.add(format!("LOWER(personal_access_tokens.name) = {p}"));
        }
    }
    filter.created.narrow(&mut c, "created_at", true);
    filter.last_used.narrow(&mut c, "last_used_at", true);
    filter.expires.narrow(&mut c, "expires_at", false);
    if let Some(scope) = filter.scope {
        // Stored space-separated: a whole word of the list.
        let p = c.text(format!("% {} %", scope.to_string().replace('_', "\\_")));
        c.add(format!("(' ' || scopes || ' ') LIKE {p} ESCAPE '\\'"));
    }
    if let Some(since) = filter.unused_since {
        let p = c.int(since);
        c.add(format!(
            "COALESCE(personal_access_tokens.last_used_at, personal_access_tokens.created_at) < {p}"
        ));
    }
    let key = c.key().to_owned();
    if let Some(after) = filter.ids.after {
        let p = c.int(after);
        c.add(format!("{key} > {p}"));
    }
    if let Some(before) = filter.ids.before {
        let p = c.int(before);
        c.add(format!("{key} < {p}"));
    }
    c
}

/// One page of the tokens matching `filter`, in its `sort` or else by id
/// (`newest_first`: descending), `offset` tokens in, and how many match in
/// all.
pub async fn page(
    db: &Db,
    filter: &TokenFilter,
    newest_first: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Token>, i64), sqlx::Error> {
    let mut c = conditions(db, filter);
    let mut newest_first = newest_first;
    if let Some(sort) = filter.sort {
        newest_first = sort.id_descending;
        if let Some((field, descending)) = sort.field {
            // Qualified: the name index's join has a `name` of its own.
            let (column, nullable) = match field {
                TokenField::Created => ("personal_access_tokens.created_at", false),
                TokenField::Expires => ("personal_access_tokens.expires_at", true),
                TokenField::LastUsed => ("personal_access_tokens.last_used_at", true),
                TokenField::Name => ("personal_access_tokens.name", false),
            };
            c.sort_by_in(column, descending, nullable);
        }
    }
    c.page(
        db,
        (COLUMNS, TABLE),
        newest_first,
        (offset, limit),
        from_row,
    )
    .await
}

/// The first `limit` personal access tokens matching `filter` in id order
/// (`newest_first`: descending), and whether more follow: a page of keyset
/// pagination, whose cursor is the `ids` bound. Nothing is counted, so any
/// page costs the same.
pub async fn keyset(
    db: &Db,
    filter: &TokenFilter,
    newest_first: bool,
    limit: i64,
) -> Result<(Vec<Token>, bool), sqlx::Error> {
    conditions(db, filter)
        .first(db, (COLUMNS, TABLE), newest_first, limit, from_row)
        .await
}

async fn list_where(
    db: &Db,
    filter: &str,
    user_id: Option<UserId>,
) -> Result<Vec<Token>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM personal_access_tokens WHERE {filter} ORDER BY id DESC");
    let mut query = sqlx::query(&sql);
    if let Some(user_id) = user_id {
        query = query.bind(user_id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    rows.iter().map(from_row).collect()
}

/// Sets a token's description (`None`: none); the token as it now is, if
/// it exists.
pub async fn set_description<'e, E>(
    executor: E,
    id: TokenId,
    description: Option<&str>,
) -> Result<Option<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "UPDATE personal_access_tokens SET description = $1 WHERE id = $2 RETURNING {COLUMNS}"
    ))
    .bind(description)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Writes an edited token's name, description, expiry, scopes and allowed
/// addresses, unless it was revoked meanwhile (then `None`).
pub async fn set_details<'e, E>(
    executor: E,
    id: TokenId,
    details: &crate::domain::token::Editable,
) -> Result<Option<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(&format!(
        "UPDATE personal_access_tokens SET name = $1, description = $2, expires_at = $3, \
         scopes = $4, allowed_ips = $5, project_ids = $6 WHERE id = $7 AND revoked_at IS NULL \
         RETURNING {COLUMNS}"
    ))
    .bind(&details.name)
    .bind(details.description.as_deref())
    .bind(
        details
            .expires_on
            .map(|date| crate::domain::token::expires_at(date).unix_timestamp()),
    )
    .bind(scope::join(&details.scopes))
    .bind(details.allowed_ips.to_stored())
    .bind(details.projects.to_stored())
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// One of a user's own tokens; another user's id reads as missing.
pub async fn find_for_user(
    db: &Db,
    user_id: UserId,
    id: TokenId,
) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE id = $1 AND user_id = $2 AND impersonation = 0"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find(db: &Db, id: TokenId) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_digest(db: &Db, digest: &TokenDigest) -> Result<Option<Token>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM personal_access_tokens WHERE token_digest = $1"
    ))
    .bind(digest.to_hex())
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The tokens whose digests are among `digests`, whatever their state (a
/// leak report's secrets): one query for up to `DIGESTS_PER_QUERY`.
pub async fn find_by_digests(db: &Db, digests: &[TokenDigest]) -> Result<Vec<Token>, sqlx::Error> {
    const DIGESTS_PER_QUERY: usize = 500;
    let mut found = Vec::new();
    for chunk in digests.chunks(DIGESTS_PER_QUERY) {
        let marks: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM personal_access_tokens WHERE token_digest IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for digest in chunk {
            query = query.bind(digest.to_hex());
        }
        for row in query.fetch_all(&db.pool).await? {
            found.push(from_row(&row)?);
        }
    }
    Ok(found)
}

/// Marks a token revoked at `now` unless it already is; returns the token
/// as it is afterwards (None when there is no such token).
pub async fn revoke(db: &Db, id: TokenId, now: i64) -> Result<Option<Token>, sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE personal_access_tokens SET revoked_at = $1 WHERE id = $2 AND {LIVE}"
    ))
    .bind(now)
    .bind(id)
    .execute(&db.pool)
    .await?;
    find(db, id).await
}

/// Revokes (`Some(now)`) or unrevokes (`None`: an administrator's
/// correction) a token; returns it when it changed. A token that was
/// rotated away is never unrevoked (its successor took its place), nor one
/// revoked by reuse detection.
pub async fn set_revoked<'e, E>(
    executor: E,
    id: TokenId,
    revoked_at: Option<i64>,
) -> Result<Option<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let condition = match revoked_at {
        Some(_) => LIVE,
        None => "revoked_at IS NOT NULL AND rotated_at IS NULL AND revoked_for_reuse = 0",
    };
    let row = sqlx::query(&format!(
        "UPDATE personal_access_tokens SET revoked_at = $1 WHERE id = $2 AND {condition} \
         RETURNING {COLUMNS}"
    ))
    .bind(revoked_at)
    .bind(id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many unrevoked tokens, of how many users, expire after `latest`
/// (or never).
pub async fn count_expiring_after(db: &Db, latest: i64) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS tokens, COUNT(DISTINCT user_id) AS owners \
         FROM personal_access_tokens WHERE revoked_at IS NULL \
         AND (expires_at > $1 OR expires_at IS NULL)",
    )
    .bind(latest)
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get("tokens")?, row.try_get("owners")?))
}

/// Revokes every unrevoked token that expires after `latest` (unix
/// seconds) or never: what a lowered lifetime limit does. Returns those tokens.
pub async fn revoke_expiring_after<'e, E>(
    executor: E,
    latest: i64,
    now: i64,
) -> Result<Vec<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "UPDATE personal_access_tokens SET revoked_at = $1 \
         WHERE {LIVE} AND (expires_at > $2 OR expires_at IS NULL) RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(latest)
    .fetch_all(executor)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Revokes every still-active token of a rotation family, for good (reuse
/// detection); returns them.
pub async fn revoke_family<'e, E>(
    executor: E,
    family_id: TokenId,
    now: i64,
) -> Result<Vec<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "UPDATE personal_access_tokens SET revoked_at = $1, revoked_for_reuse = 1 \
         WHERE (family_id = $2 OR id = $2) AND {LIVE} RETURNING {COLUMNS}"
    ))
    .bind(now)
    .bind(family_id)
    .fetch_all(executor)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Marks `old` rotated at `now`, revoked once `overlap` seconds have
/// passed (0: at once), and inserts its successor, in the caller's
/// transaction. None when `old` was no longer active (revoked meanwhile).
pub async fn rotate(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    old: &Token,
    successor: &NewTokenRow<'_>,
    now: i64,
    overlap: i64,
) -> Result<Option<Token>, sqlx::Error> {
    let revoked = sqlx::query(
        "UPDATE personal_access_tokens SET revoked_at = $1, rotated_at = $2 \
         WHERE id = $3 AND revoked_at IS NULL",
    )
    .bind(now + overlap)
    .bind(now)
    .bind(old.id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if revoked != 1 {
        return Ok(None);
    }
    Ok(Some(insert_with(&mut **tx, successor).await?))
}

/// Records uses (token, instant, addresses) in one transaction, each
/// unless one was recorded less than `interval` seconds before it; returns
/// how many were written.
pub async fn record_uses(
    db: &Db,
    uses: &[(TokenId, i64, Vec<String>)],
    interval: i64,
) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut written = 0;
    for (id, now, ips) in uses {
        written += sqlx::query(
            "UPDATE personal_access_tokens SET last_used_at = $1, last_used_ips = $2 \
             WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $4)",
        )
        .bind(now)
        .bind(ips.join(" "))
        .bind(id)
        .bind(now - interval)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(written)
}

/// The expiry notices a token can be sent, once each (the daily jobs of
/// `domain::expiry::Job` that mail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// "Expires within 60 days" (01:00 UTC).
    Expiring60Days,
    /// "Expires within 30 days" (01:00 UTC).
    Expiring30Days,
    /// "Expires within seven days" (01:00 UTC).
    ExpiringSoon,
    /// "Expires today" (02:00 UTC).
    ExpiringToday,
}

impl Notice {
    /// The notice `job` sends, if it sends one.
    pub fn of(job: Job) -> Option<Self> {
        match job {
            Job::Expiring60Days => Some(Self::Expiring60Days),
            Job::Expiring30Days => Some(Self::Expiring30Days),
            Job::ExpiringSoon => Some(Self::ExpiringSoon),
            Job::ExpiringToday => Some(Self::ExpiringToday),
            Job::PurgeRevoked | Job::RevokeUnused => None,
        }
    }

    fn job(self) -> Job {
        match self {
            Self::Expiring60Days => Job::Expiring60Days,
            Self::Expiring30Days => Job::Expiring30Days,
            Self::ExpiringSoon => Job::ExpiringSoon,
            Self::ExpiringToday => Job::ExpiringToday,
        }
    }

    fn column(self) -> &'static str {
        match self {
            Self::Expiring60Days => "expiring_60_days_notified_at",
            Self::Expiring30Days => "expiring_30_days_notified_at",
            Self::ExpiringSoon => "expiring_soon_notified_at",
            Self::ExpiringToday => "expiring_today_notified_at",
        }
    }

    /// Tokens due this notice: unrevoked personal access tokens of
    /// unblocked owners, expiring between `$1` and `$2`, not yet notified
    /// (and, for the early notices, made to last long enough).
    fn due(self) -> String {
        let lifetime = self
            .job()
            .lifetime_over_days()
            .map_or(String::new(), |days| {
                format!(" AND expires_at - created_at > {}", days * 86_400)
            });
        format!(
            "revoked_at IS NULL AND impersonation = 0 AND expires_at >= $1 AND expires_at <= $2 \
             AND {} IS NULL{lifetime} AND NOT EXISTS (SELECT 1 FROM users u \
             WHERE u.id = personal_access_tokens.user_id AND u.blocked_at IS NOT NULL)",
            self.column()
        )
    }
}

/// Up to `limit` owners with tokens due `notice` (expiring from `from` to
/// `to`, unix seconds), with ids above `after`, in ascending order.
pub async fn owners_due(
    db: &Db,
    notice: Notice,
    from: i64,
    to: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT DISTINCT user_id FROM personal_access_tokens WHERE {} AND user_id > $3 \
         ORDER BY user_id LIMIT $4",
        notice.due()
    ))
    .bind(from)
    .bind(to)
    .bind(after)
    .bind(limit)
    .fetch_all(&db.pool)
    .await
}

/// Marks every token due `notice` of the owners `first..=last` as notified
/// at `now`, and returns them (in the caller's transaction, with the mail).
pub async fn mark_notified<'e, E>(
    executor: E,
    notice: Notice,
    (from, to): (i64, i64),
    (first, last): (i64, i64),
    now: i64,
) -> Result<Vec<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "UPDATE personal_access_tokens SET {} = $3 WHERE {} AND user_id >= $4 AND user_id <= $5 \
         RETURNING {COLUMNS}",
        notice.column(),
        notice.due()
    ))
    .bind(from)
    .bind(to)
    .bind(now)
    .bind(first)
    .bind(last)
    .fetch_all(executor)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// Deletes up to `limit` tokens revoked at or before `before`; returns how
/// many (the caller repeats until none are left).
pub async fn purge_revoked(db: &Db, before: i64, limit: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM personal_access_tokens WHERE id IN (SELECT id FROM personal_access_tokens \
         WHERE revoked_at IS NOT NULL AND revoked_at <= $1 LIMIT $2)",
    )
    .bind(before)
    .bind(limit)
    .execute(&db.pool)
    .await?
    .rows_affected())
}

/// What the unused-token job does to a batch (`domain::expiry::Unused`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnusedStep {
    /// Marks them warned.
    Warn,
    /// Revokes them.
    Revoke,
}

/// Warns of (marks) or revokes up to `limit` live tokens the rule picks at
/// `now`, in one statement through `executor` (the batch's transaction),
/// lowest ids first; returns them as they are afterwards.
pub async fn claim_unused<'e, E>(
    executor: E,
    step: UnusedStep,
    rule: &crate::domain::expiry::Unused,
    now: i64,
    limit: i64,
) -> Result<Vec<Token>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    // As `Unused::warns` and `Unused::revokes` say it, over live tokens.
    const IDLE: &str = "COALESCE(last_used_at, created_at)";
    let (set, picked, limit_at) = match step {
        UnusedStep::Warn => (
            "unused_warning_notified_at = $1",
            format!(
                "{IDLE} <= $2 AND (unused_warning_notified_at IS NULL \
                 OR unused_warning_notified_at < {IDLE})"
            ),
            3,
        ),
        UnusedStep::Revoke => (
            "revoked_at = $1",
            format!(
                "{IDLE} <= $2 AND unused_warning_notified_at <= $3 \
                 AND unused_warning_notified_at >= {IDLE}"
            ),
            4,
        ),
    };
    let sql = format!(
        "UPDATE personal_access_tokens SET {set} WHERE id IN (SELECT id FROM \
         personal_access_tokens WHERE revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $1) AND {picked} ORDER BY id LIMIT ${limit_at}) \
         RETURNING {COLUMNS}"
    );
    let query = sqlx::query(&sql).bind(now);
    let query = match step {
        UnusedStep::Warn => query.bind(rule.warn_idle_since),
        UnusedStep::Revoke => query.bind(rule.revoke_idle_since).bind(rule.warned_by),
    };
    query
        .bind(limit)
        .fetch_all(executor)
        .await?
        .iter()
        .map(from_row)
        .collect()
}
