use crate::server::clock::ManualClock;
use crate::server::config::{ServerSecret, WebConfig};
use crate::server::db::Db;
use crate::server::passwords::Passwords;
use crate::server::session::Store;
use crate::server::state::{AppState, Core};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The tests' database timeouts: the defaults, but a pooled connection is
/// waited for as long as before they existed, since the whole suite shares
/// two cores (the outage tests set their own short ones).
pub fn timeouts() -> crate::server::db::Timeouts {
    crate::server::db::Timeouts {
        acquire: Duration::from_secs(10),
        ..Default::default()
    }
}

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    /// Holds the SQLite file and the repositories.
    dir: tempfile::TempDir,
    /// The PostgreSQL server's admin URL and this test's database, dropped
    /// with the test.
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.pg.take() else {
            return;
        };
        // Drop is not async: a short-lived thread with its own runtime.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop a test database");
        }
    }
}

impl TestDb {
    pub fn repositories(&self) -> std::path::PathBuf {
        self.dir.path().join("repositories")
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("test.db").display());
    let db = Db::connect_with(&url, timeouts()).await.unwrap();
    db.migrate().await.unwrap();
    TestDb {
        db,
        url,
        dir,
        pg: None,
    }
}

/// A fresh database on the test PostgreSQL server.
pub async fn postgres() -> TestDb {
    let Ok(admin_url) = std::env::var("FORGEKEY_TEST_PG_URL") else {
        panic!(
            "FORGEKEY_TEST_PG_URL is not set: run the tests through scripts/test.sh, which starts \
             PostgreSQL, or point it at a server where the role may create databases"
        );
    };
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let name = format!("forgekey_test_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let db = Db::connect_with(&url, timeouts()).await.unwrap();
    db.migrate().await.unwrap();
    TestDb {
        db,
        url,
        dir: tempfile::tempdir().unwrap(),
        pg: Some((admin_url, name)),
    }
}

/// The one runtime every database and HTTP test runs on, like the server's
/// (and no runtime built and torn down per test).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("test runtime")
    })
}

/// Declares a test module whose body runs on each backend.
macro_rules! both_backends {
    ($name:ident, |$t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[test]
            fn sqlite() {
                $crate::server::tests::support::runtime().block_on(async {
                    let $t = $crate::server::tests::support::sqlite().await;
                    $body
                })
            }
            #[test]
            #[cfg_attr(
                not(forgekey_test_pg),
                ignore = "no PostgreSQL named: set FORGEKEY_TEST_PG_URL (scripts/test.sh does)"
            )]
            fn postgres() {
                $crate::server::tests::support::runtime().block_on(async {
                    let $t = $crate::server::tests::support::postgres().await;
                    $body
                })
            }
        }
    };
}
pub(crate) use both_backends;

pub fn state(t: &TestDb, clock: &ManualClock) -> AppState {
    state_with(t, clock, |_| {})
}

/// A state whose web configuration `configure` changed.
pub fn state_with(
    t: &TestDb,
    clock: &ManualClock,
    configure: impl FnOnce(&mut WebConfig),
) -> AppState {
    state_over(t.db.clone(), t, clock, configure)
}

/// A state over another pool on the test's database (other timeouts).
pub fn state_over(
    db: Db,
    t: &TestDb,
    clock: &ManualClock,
    configure: impl FnOnce(&mut WebConfig),
) -> AppState {
    AppState::new(
        LeptosOptions::builder().output_name("forgekey").build(),
        core_over(db, t, clock, configure),
    )
}

/// A state serving the front end built into `site_root` (content-hashed
/// file names when `hashed`).
pub fn state_serving(t: &TestDb, clock: &ManualClock, site_root: &str, hashed: bool) -> AppState {
    AppState::new(
        LeptosOptions::builder()
            .output_name("forgekey")
            .site_root(site_root)
            .site_pkg_dir("pkg")
            .build(),
        core_over(t.db.clone(), t, clock, |c| c.hashed_assets = hashed),
    )
}

/// Turns the container registry on at `host` (its scopes become
/// available).
pub async fn enable_registry(st: &AppState, host: &str) {
    let on = crate::domain::registry::RegistrySettings::parse(true, host).unwrap();
    crate::server::services::registry::configure(
        st,
        &crate::server::services::audit::Actor::command_line(),
        &on,
    )
    .await
    .unwrap();
}

/// A state that signs registry tokens (with a key of its own).
pub fn registry_state(t: &TestDb, clock: &ManualClock) -> AppState {
    let key = crate::server::registry::key::SigningKey::generate().unwrap();
    AppState::new(
        LeptosOptions::builder().output_name("forgekey").build(),
        core_over(t.db.clone(), t, clock, |_| {}).with_registry_key(key),
    )
}

fn core_over(
    db: Db,
    t: &TestDb,
    clock: &ManualClock,
    configure: impl FnOnce(&mut WebConfig),
) -> Core {
    let mut config = WebConfig {
        public_url: None,
        session_lifetime: time::Duration::days(7),
        secret: ServerSecret::from_bytes([7; 64]),
        smtp: false,
        trusted_proxies: Default::default(),
        listen_addr: ([127, 0, 0, 1], 3000).into(),
        metrics: Default::default(),
        hashed_assets: false,
    };
    configure(&mut config);
    let mut core = Core::new(db, config, Arc::new(clock.clone()), t.repositories());
    // Two hashes at once, as on the CI machine, whatever this one has.
    core.passwords = Passwords::new(2, Duration::from_secs(5));
    core
}

pub async fn app(t: &TestDb, state: AppState) -> Router {
    let store = Store::open(&t.url, t.db.backend, timeouts()).await.unwrap();
    crate::server::router(state, store)
}

/// A browser-like client: one session cookie, same-origin requests.
pub struct Client {
    pub app: Router,
    /// The session cookie, `forgekey_session=…`.
    pub cookie: Option<String>,
    /// Any other cookies set, by name (`Path` is ignored).
    pub others: std::collections::BTreeMap<String, String>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Client {
    pub fn new(app: Router) -> Self {
        Self {
            app,
            cookie: None,
            others: Default::default(),
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        // A request that never finishes fails its test, naming itself.
        let what = format!("{} {}", req.method(), req.uri());
        let limit = Duration::from_secs(20);
        let res: Response<Body> = tokio::time::timeout(limit, self.app.clone().oneshot(req))
            .await
            .unwrap_or_else(|_| panic!("no response to {what} within {limit:?}"))
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap().trim();
            let removed = value.contains("Max-Age=0");
            if let Some(v) = pair.strip_prefix("forgekey_session=") {
                self.cookie = (!removed && !v.is_empty()).then(|| pair.to_owned());
            } else if let Some((name, v)) = pair.split_once('=') {
                if removed || v.is_empty() {
                    self.others.remove(name);
                } else {
                    self.others.insert(name.to_owned(), v.to_owned());
                }
            }
        }
        let body = tokio::time::timeout(limit, res.into_body().collect())
            .await
            .unwrap_or_else(|_| panic!("the body of {what} did not end within {limit:?}"))
            .unwrap()
            .to_bytes()
            .to_vec();
        // Lossy: a compressed answer is bytes, not text.
        let body = String::from_utf8_lossy(&body).into_owned();
        Reply {
            status,
            headers,
            body,
        }
    }

    fn with_cookie(&self, b: axum::http::request::Builder) -> axum::http::request::Builder {
        let all: Vec<String> = self
            .cookie
            .iter()
            .cloned()
            .chain(self.others.iter().map(|(n, v)| format!("{n}={v}")))
            .collect();
        if all.is_empty() {
            b
        } else {
            b.header(header::COOKIE, all.join("; "))
        }
    }

    /// Calls a server function the way the hydrated app does.
    pub async fn call(&mut self, name: &str, form: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded_pairs(form);
        let req = self
            .with_cookie(Request::post(format!("/_fn/{name}")))
            .header(header::HOST, "localhost")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Submits a form the way a browser without JavaScript does.
    pub async fn submit(&mut self, name: &str, referer: &str, form: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded_pairs(form);
        let req = self
            .with_cookie(Request::post(format!("/_fn/{name}")))
            .header(header::HOST, "localhost")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let req = self
            .with_cookie(Request::get(path))
            .header(header::HOST, "localhost")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// The signed-in username, as the server sees this client.
    pub async fn whoami(&mut self) -> Option<String> {
        let reply = self.call("current_user", &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let v: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        v.get("username")
            .and_then(|u| u.as_str())
            .map(str::to_owned)
    }
}

fn serde_urlencoded_pairs(form: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish()
}

impl Client {
    /// Signs a new account up on this client (the first one is an admin).
    pub async fn sign_up(&mut self, username: &str) {
        let email = format!("{username}@example.com");
        let r = self
            .call(
                "sign_up",
                &[
                    ("username", username),
                    ("email", email.as_str()),
                    ("password", "secret-password"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }

    pub fn json(reply: &Reply) -> serde_json::Value {
        serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.body))
    }
}

/// Registers `name` (with `name@example.com`, password "secret-password");
/// the instance's first user becomes an administrator.
pub async fn register(st: &AppState, name: &str) -> crate::server::db::users::User {
    crate::server::services::accounts::register(
        st,
        name,
        &format!("{name}@example.com"),
        "secret-password",
        false,
    )
    .await
    .unwrap()
}

/// A token of `owner` with `scopes`, made from the command line, expiring
/// on 2026-02-01 (a month after [`T0`]): its id and secret.
pub async fn token_with_scopes(
    st: &AppState,
    owner: &crate::server::db::users::User,
    scopes: &[&str],
) -> (crate::domain::ids::TokenId, String) {
    issued_token(
        st,
        owner,
        crate::server::services::tokens::Issuer::Owner,
        scopes,
    )
    .await
}

/// As [`token_with_scopes`], by `issuer` (an administrator's impersonation
/// token, say).
pub async fn issued_token(
    st: &AppState,
    owner: &crate::server::db::users::User,
    issuer: crate::server::services::tokens::Issuer<'_>,
    scopes: &[&str],
) -> (crate::domain::ids::TokenId, String) {
    let created = crate::server::services::tokens::issue(
        st,
        &crate::server::services::audit::Actor::command_line(),
        owner,
        issuer,
        crate::server::services::tokens::Request {
            name: "t",
            description: "",
            expires_on: "2026-02-01",
            scopes,
            allowed_ips: "",
            projects: "",
        },
    )
    .await
    .unwrap();
    (created.token.id, created.secret)
}

/// Blocks `user` as the administrator `admin` does in the Admin Area.
pub async fn block(
    st: &AppState,
    admin: &crate::server::db::users::User,
    user: crate::domain::ids::UserId,
) {
    crate::server::services::admin::change_user(
        st,
        &crate::server::services::audit::Actor::user(admin),
        user,
        crate::domain::admin::UserChange::Block,
    )
    .await
    .unwrap();
}

/// Whether token `id` is revoked, as stored.
pub async fn is_revoked(st: &AppState, id: crate::domain::ids::TokenId) -> bool {
    crate::server::db::tokens::find(&st.db, id)
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some()
}

/// An `api` token of `user` named `name`, expiring on `expires`.
pub async fn api_token(
    st: &AppState,
    user: &crate::server::db::users::User,
    name: &str,
    expires: &str,
) -> crate::server::services::tokens::Created {
    crate::server::services::tokens::create(
        st,
        &crate::server::services::audit::Actor::user(user),
        user,
        name,
        expires,
        &["api"],
    )
    .await
    .unwrap()
}

/// Revokes a token the way an operator does (on the record).
pub async fn revoke(
    st: &AppState,
    token_id: crate::domain::ids::TokenId,
) -> crate::server::db::tokens::Token {
    crate::server::services::tokens::revoke_as(
        st,
        &crate::server::services::audit::Actor::command_line(),
        token_id,
    )
    .await
    .unwrap()
}

/// Changes instance settings the way an operator does (audited, with what
/// a change implies, such as revocations by a lowered limit).
pub async fn change_settings(
    st: &AppState,
    change: impl FnOnce(&mut crate::domain::settings::Settings),
) -> crate::server::services::admin::SettingsChanged {
    use crate::server::services::{admin, audit::Actor, settings};
    let mut new = settings::current(st).await.unwrap();
    change(&mut new);
    admin::change_settings(st, &Actor::command_line(), new, true)
        .await
        .unwrap()
}

/// A REST request built up fluently and sent to the app:
/// `Rest::get(&app, "/api/v4/user").token(&secret).send().await`.
#[must_use = "a request does nothing until it is sent"]
pub struct Rest {
    app: Router,
    request: axum::http::request::Builder,
    json: Option<serde_json::Value>,
    raw: Option<String>,
}

impl Rest {
    pub fn method(app: &Router, method: &str, path: impl AsRef<str>) -> Self {
        Self {
            app: app.clone(),
            request: Request::builder()
                .method(method)
                .uri(path.as_ref())
                .header(header::HOST, "localhost"),
            json: None,
            raw: None,
        }
    }

    pub fn get(app: &Router, path: impl AsRef<str>) -> Self {
        Self::method(app, "GET", path)
    }

    pub fn post(app: &Router, path: impl AsRef<str>) -> Self {
        Self::method(app, "POST", path)
    }

    pub fn delete(app: &Router, path: impl AsRef<str>) -> Self {
        Self::method(app, "DELETE", path)
    }

    /// Presents `token` in the `PRIVATE-TOKEN` header.
    pub fn token(self, token: &str) -> Self {
        self.header("PRIVATE-TOKEN", token)
    }

    /// Presents a token when there is one.
    pub fn maybe_token(self, token: Option<&str>) -> Self {
        match token {
            Some(token) => self.token(token),
            None => self,
        }
    }

    pub fn header(mut self, name: &str, value: impl AsRef<str>) -> Self {
        self.request = self.request.header(name, value.as_ref());
        self
    }

    /// Sent from `ip`, as the server sees the connection.
    pub fn sent_from(mut self, ip: [u8; 4]) -> Self {
        let peer = std::net::SocketAddr::from((ip, 40_000));
        self.request = self.request.extension(axum::extract::ConnectInfo(peer));
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.json = Some(body);
        self
    }

    /// Sends `raw` as the body, with whatever content type was set.
    pub fn body(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }

    pub async fn send(self) -> Reply {
        let req = match (self.json, self.raw) {
            (Some(json), _) => self
                .request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.to_string())),
            (None, Some(raw)) => self.request.body(Body::from(raw)),
            (None, None) => self.request.body(Body::empty()),
        }
        .unwrap();
        Client::new(self.app).send(req).await
    }
}

/// One test's world on the backend under test: a clock at [`T0`], the state
/// over the database and the app over the state.
pub struct Scenario {
    pub clock: ManualClock,
    pub st: AppState,
    pub app: Router,
}

impl Scenario {
    pub async fn new(t: &TestDb) -> Self {
        let clock = ManualClock::at(T0);
        let st = state(t, &clock);
        let app = app(t, st.clone()).await;
        Self { clock, st, app }
    }
}

/// Every byte the database holds, as text: the SQLite files, or a JSON dump
/// of every PostgreSQL table.
pub async fn database_contents(t: &TestDb) -> String {
    match t.db.backend {
        crate::server::db::Backend::Sqlite => {
            let path = t.url.trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap();
            let mut all = Vec::new();
            for suffix in ["", "-wal", "-shm"] {
                if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                    all.extend(bytes);
                }
            }
            String::from_utf8_lossy(&all).into_owned()
        }
        crate::server::db::Backend::Postgres => {
            use sqlx::Row;
            let tables = sqlx::query(
                "SELECT table_schema::text AS schema, table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
            )
            .fetch_all(&t.db.pool)
            .await
            .unwrap();
            let mut dump = String::new();
            for row in tables {
                let schema: String = row.try_get("schema").unwrap();
                let table: String = row.try_get("name").unwrap();
                let rows = sqlx::query(&format!(
                    "SELECT row_to_json(t)::text AS j FROM \"{schema}\".\"{table}\" t"
                ))
                .fetch_all(&t.db.pool)
                .await
                .unwrap();
                for r in rows {
                    dump.push_str(&r.try_get::<String, _>("j").unwrap());
                    dump.push('\n');
                }
            }
            dump
        }
    }
}

/// The opening tag of the `element` whose id is `id`, as the page
/// rendered it.
pub fn tag<'a>(body: &'a str, element: &str, id: &str) -> &'a str {
    let start = body
        .find(&format!("<{element} id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {element} {id}"));
    let end = start + body[start..].find('>').unwrap();
    &body[start..=end]
}

pub fn input_tag<'a>(body: &'a str, id: &str) -> &'a str {
    tag(body, "input", id)
}

/// The ids `aria-describedby` names that no element on the page has.
pub fn broken_descriptions(body: &str) -> Vec<String> {
    body.split("aria-describedby=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .flat_map(str::split_whitespace)
        .filter(|id| !body.contains(&format!("id=\"{id}\"")))
        .map(str::to_owned)
        .collect()
}
