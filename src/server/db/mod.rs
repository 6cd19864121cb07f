//! All SQL lives below this module. One code path for SQLite and PostgreSQL
//! through sqlx's Any driver: `$n` placeholders, integers for booleans and
//! instants; only the migrations differ per backend.

pub mod addresses;
pub mod attempts;
pub mod audit;
pub mod backup;
pub mod changes;
pub mod instance;
pub mod jobs;
pub mod outbox;
pub mod password_resets;
pub mod projects;
pub mod settings;
pub mod tokens;
pub mod two_factor;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// The application's database: a pool and which backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    pub timeouts: Timeouts,
}

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("cannot open the database: {0}")]
    Connect(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How long the application waits on its database before it answers
/// "unavailable" (503) instead of hanging: for a pooled connection, for one
/// statement (PostgreSQL), and for a lock another session holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub acquire: Duration,
    pub statement: Duration,
    pub lock: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            acquire: Duration::from_secs(2),
            statement: Duration::from_secs(5),
            lock: Duration::from_secs(2),
        }
    }
}

impl Db {
    /// Opens a pool with the default [`Timeouts`].
    pub async fn connect(url: &str) -> Result<Self, DbOpenError> {
        Self::connect_with(url, Timeouts::default()).await
    }

    /// Opens a pool. SQLite connections get WAL, a 5 s busy timeout and
    /// foreign keys; PostgreSQL sessions get the statement and lock
    /// timeouts. Connecting waits at most `timeouts.acquire`, so a server
    /// whose database is down says so in seconds.
    pub async fn connect_with(url: &str, timeouts: Timeouts) -> Result<Self, DbOpenError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or(DbOpenError::UnsupportedUrl)?;
        let options = AnyPoolOptions::new().acquire_timeout(timeouts.acquire);
        let pool = match backend {
            Backend::Sqlite => {
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                let set = postgres_session_timeouts(timeouts);
                options
                    .max_connections(16)
                    .after_connect(move |conn, _| {
                        let set = set.clone();
                        Box::pin(async move {
                            conn.execute(set.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
        };
        Ok(Self {
            pool,
            backend,
            timeouts,
        })
    }

    /// Runs the migrations, on one connection without the statement and
    /// lock timeouts (a migration of a large table may take minutes); the
    /// connection is closed afterwards rather than returned to the pool.
    pub async fn migrate(&self) -> Result<(), DbOpenError> {
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            conn.execute("SET statement_timeout = 0; SET lock_timeout = 0")
                .await?;
        }
        let outcome = self.migrator().run(&mut *conn).await;
        let _ = conn.close().await;
        outcome?;
        Ok(())
    }

    /// Whether the database answers now (the readiness probe).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock
    /// at once (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a
    /// deferred transaction that reads first fails with SQLITE_BUSY when it
    /// later writes after another connection wrote in between.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// This backend's migrations.
    pub fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// `SET` statements giving a PostgreSQL session the timeouts.
fn postgres_session_timeouts(timeouts: Timeouts) -> String {
    format!(
        "SET statement_timeout = {}; SET lock_timeout = {}",
        timeouts.statement.as_millis(),
        timeouts.lock.as_millis()
    )
}

/// Whether `err` means the database cannot serve right now (down,
/// unreachable, out of connections, a statement or lock timed out, SQLite
/// busy) rather than that the request or the code is wrong. Such failures
/// are answered 503 with `Retry-After`, never 500, and never as success.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// SQLSTATEs (PostgreSQL) and result codes (SQLite) of a database that is
/// busy, shutting down or cut off, as opposed to a refused statement.
fn unavailable_code(code: &str) -> bool {
    matches!(
        code,
        // query_canceled (statement_timeout), lock_not_available
        // (lock_timeout), too_many_connections, the shutdown family,
        // serialization failure and deadlock (retryable).
        "57014" | "55P03" | "53300" | "57P01" | "57P02" | "57P03" | "40001" | "40P01"
        // SQLITE_BUSY, SQLITE_LOCKED and their extended codes.
        | "5" | "6" | "261" | "517" | "262"
    ) || code.starts_with("08")
}

/// Reads a 0/1 integer column as a bool.
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    use sqlx::Row;
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// Whether `err` is a unique-constraint violation on a column named `column`.
pub(crate) fn is_unique_violation_on(err: &sqlx::Error, column: &str) -> bool {
    match err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            db.message().contains(column) || db.constraint().is_some_and(|c| c.contains(column))
        }
        _ => false,
    }
}

/// A value bound to a `$n` placeholder of a [`Conditions`] query.
#[derive(Debug, Clone)]
enum Bound {
    Int(i64),
    Text(String),
}

/// A `WHERE` clause built from optional filters, each condition with its
/// bound values numbered in order, so listings filter and page in SQL
/// (never by loading every row).
///
/// A page is chosen in two steps: the ids of its rows first, in an index
/// (`SELECT id … ORDER BY id LIMIT … OFFSET …`, which skips narrow index
/// entries on a deep page), then those rows. The ids may be chosen in a
/// join with a search index ([`Conditions::choose_from`]).
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    bound: Vec<Bound>,
    /// Where ids are chosen, and their expression there (default: the
    /// listed table and its `id`).
    source: Option<(String, String)>,
    /// What the list is ordered by before its id.
    sort: Option<SortKey>,
}

/// A column of the listed table a list is ordered by before its id.
#[derive(Debug, Clone, Copy)]
struct SortKey {
    column: &'static str,
    /// `None`: the id's direction.
    descending: Option<bool>,
    /// The column may be NULL: NULLs come last ascending and first
    /// descending on both backends (PostgreSQL's rule; SQLite's differs).
    nullable: bool,
}

impl Conditions {
    /// The next placeholder, `$n`, bound to `value`.
    pub fn int(&mut self, value: i64) -> String {
        self.bound.push(Bound::Int(value));
        format!("${}", self.bound.len())
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.bound.push(Bound::Text(value.into()));
        format!("${}", self.bound.len())
    }

    /// A `LIKE` pattern matching values that contain `needle` as is.
    pub fn containing(&mut self, needle: &str) -> String {
        self.text(format!("%{}%", like_escape(needle)))
    }

    pub fn add(&mut self, clause: impl Into<String>) {
        self.clauses.push(clause.into());
    }

    /// Ids are chosen in `from` (the listed table joined with an index),
    /// where the listed table's id reads `key`.
    pub fn choose_from(&mut self, from: impl Into<String>, key: impl Into<String>) {
        self.source = Some((from.into(), key.into()));
    }

    /// Orders the list by `column` of the listed table, then by id, both
    /// in the list's direction.
    pub fn sort_by(&mut self, column: &'static str) {
        self.sort = Some(SortKey {
            column,
            descending: None,
            nullable: false,
        });
    }

    /// Orders the list by `column` (qualified with its table where ids are
    /// chosen in a join) in its own direction, then by id in the list's.
    pub fn sort_by_in(&mut self, column: &'static str, descending: bool, nullable: bool) {
        self.sort = Some(SortKey {
            column,
            descending: Some(descending),
            nullable,
        });
    }

    /// How the listed table's id reads where ids are chosen.
    pub fn key(&self) -> &str {
        self.source.as_ref().map_or("id", |(_, key)| key.as_str())
    }

    fn from<'a>(&'a self, table: &'a str) -> &'a str {
        self.source
            .as_ref()
            .map_or(table, |(from, _)| from.as_str())
    }

    fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE ({})", self.clauses.join(") AND ("))
        }
    }

    fn bind<'q>(
        &'q self,
        mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for value in &self.bound {
            query = match value {
                Bound::Int(n) => query.bind(*n),
                Bound::Text(s) => query.bind(s.as_str()),
            };
        }
        query
    }

    /// Up to `limit` rows of `SELECT {columns} FROM {table}` under these
    /// conditions, ordered by id (`newest_first`: descending), `offset`
    /// rows in, and whether more follow.
    async fn rows<T>(
        &self,
        db: &Db,
        (columns, table): (&str, &str),
        newest_first: bool,
        (offset, limit): (i64, i64),
        from_row: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<(Vec<T>, i64), sqlx::Error> {
        let direction = if newest_first { "DESC" } else { "ASC" };
        let key = self.key();
        let n = self.bound.len();
        let by = |id: &str| match self.sort {
            Some(SortKey {
                column,
                descending,
                nullable,
            }) => {
                let own = match descending {
                    Some(true) => "DESC",
                    Some(false) => "ASC",
                    None => direction,
                };
                let nulls = if nullable {
                    format!("({column} IS NULL) {own}, ")
                } else {
                    String::new()
                };
                format!("{nulls}{column} {own}, {id} {direction}")
            }
            None => format!("{id} {direction}"),
        };
        let select = format!(
            "SELECT {columns} FROM {table} WHERE id IN \
             (SELECT {key} FROM {from}{filter} ORDER BY {inner} LIMIT ${} OFFSET ${}) \
             ORDER BY {outer}",
            n + 1,
            n + 2,
            inner = by(key),
            outer = by("id"),
            from = self.from(table),
            filter = self.where_clause(),
        );
        // One row more than a page says whether a next page exists.
        let rows = self
            .bind(sqlx::query(&select))
            .bind(limit.saturating_add(1))
            .bind(offset)
            .fetch_all(&db.pool)
            .await?;
        let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let items = rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(from_row)
            .collect::<Result<_, _>>()?;
        Ok((items, fetched))
    }

    /// One page of `SELECT {columns} FROM {table}` under these conditions,
    /// by id (`newest_first`: descending), and how many rows match in all
    /// (counted up to `domain::paging::COUNT_LIMIT`).
    pub async fn page<T>(
        &self,
        db: &Db,
        listed: (&str, &str),
        newest_first: bool,
        (offset, limit): (i64, i64),
        from_row: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<(Vec<T>, i64), sqlx::Error> {
        use crate::domain::paging::{total_of, COUNT_LIMIT};
        use sqlx::Row;
        let (items, fetched) = self
            .rows(db, listed, newest_first, (offset, limit), from_row)
            .await?;
        // A page that is not full and not past the end ends the list: its
        // total is known without counting (most lists are that short).
        if fetched <= limit && (fetched > 0 || offset == 0) {
            return Ok((items, offset.saturating_add(fetched)));
        }
        let count = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {}{} LIMIT {}) counted",
            self.from(listed.1),
            self.where_clause(),
            COUNT_LIMIT + 1
        );
        let counted: i64 = self
            .bind(sqlx::query(&count))
            .fetch_one(&db.pool)
            .await?
            .try_get("n")?;
        Ok((items, total_of(counted, offset, fetched)))
    }

    /// The first `limit` rows under these conditions, by id
    /// (`newest_first`: descending), and whether more follow: a page of
    /// keyset pagination, whose cursor is a condition on [`Self::key`].
    /// Nothing is counted, so any page costs the same.
    pub async fn first<T>(
        &self,
        db: &Db,
        listed: (&str, &str),
        newest_first: bool,
        limit: i64,
        from_row: impl Fn(&AnyRow) -> Result<T, sqlx::Error>,
    ) -> Result<(Vec<T>, bool), sqlx::Error> {
        let (items, fetched) = self
            .rows(db, listed, newest_first, (0, limit), from_row)
            .await?;
        Ok((items, fetched > limit))
    }
}

/// `s` with `LIKE`'s wildcards and its escape character escaped (for
/// `LIKE … ESCAPE '\'`).
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The typed ids (`domain::ids`) are stored as their integers.
macro_rules! integer_id {
    ($($id:ty),*) => {$(
        impl sqlx::Type<sqlx::Any> for $id {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <i64 as sqlx::Type<sqlx::Any>>::type_info()
            }

            fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
                <i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $id {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <i64 as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $id {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                <i64 as sqlx::Decode<'r, sqlx::Any>>::decode(value).map(Self)
            }
        }
    )*};
}

integer_id!(
    crate::domain::ids::UserId,
    crate::domain::ids::TokenId,
    crate::domain::ids::ProjectId
);
