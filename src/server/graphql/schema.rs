//! The GraphQL schema: GitLab's names for the queries, types and fields
//! Forgekey has data for (`currentUser`, `user`, `users`, `project`,
//! `projects`, `metadata`, `echo`), global IDs as GitLab writes them
//! (`gid://gitlab/User/1`). Resolvers go through the services, as every
//! other door to the data does.

use crate::domain::ids::UserId;
use crate::domain::instant::Rfc3339;
use crate::domain::paging::{Window, MAX_PAGE_SIZE};
use crate::server::api::json::{AvatarUrl, WebUrl};
use crate::server::api::projects as rest;
use crate::server::db::projects::Project;
use crate::server::db::users::{User, UserFilter, UserOrder};
use crate::server::services::{accounts, projects, ServiceError};
use crate::server::state::AppState;
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{
    Context, Enum, Error, InputValueError, InputValueResult, Object, Result, Scalar, ScalarType,
    SimpleObject, Value, ID,
};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Who asks: nobody (anonymous), or a token's user.
pub struct Viewer {
    pub user: Option<Arc<User>>,
    /// The request acts as an administrator.
    pub admin: bool,
    /// The projects its token is restricted to (empty: any).
    pub projects: crate::domain::project::ProjectSet,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Self {
            user: None,
            admin: false,
            projects: crate::domain::project::ProjectSet::any(),
        }
    }

    fn id(&self) -> Option<UserId> {
        self.user.as_ref().map(|u| u.id)
    }
}

/// What every resolver of one request shares.
pub struct RequestData {
    state: AppState,
    pub viewer: Viewer,
    base_url: String,
    /// Set when the database could not answer: the request is then a 503.
    pub outage: AtomicBool,
}

impl RequestData {
    pub fn new(state: AppState, viewer: Viewer, base_url: String) -> Self {
        Self {
            state,
            viewer,
            base_url,
            outage: AtomicBool::new(false),
        }
    }

    /// A service's failure as a GraphQL error that says nothing of the
    /// server's insides.
    fn fail(&self, e: ServiceError) -> Error {
        if matches!(e, ServiceError::Unavailable) {
            self.outage.store(true, Ordering::Relaxed);
        } else {
            tracing::error!(error = %e, "a GraphQL resolver failed");
        }
        Error::new("Internal server error")
    }
}

fn context<'a>(gql: &Context<'a>) -> &'a RequestData {
    gql.data_unchecked::<Arc<RequestData>>()
}

const USER_GID: &str = "gid://gitlab/User/";
const PROJECT_GID: &str = "gid://gitlab/Project/";
const NAMESPACE_GID: &str = "gid://gitlab/Namespaces::UserNamespace/";

fn gid(prefix: &str, id: i64) -> ID {
    ID(format!("{prefix}{id}"))
}

/// The number in a global ID of the model `prefix` names.
fn parse_gid(prefix: &str, raw: &str) -> Option<i64> {
    raw.strip_prefix(prefix)?.parse().ok().filter(|id| *id > 0)
}

/// GitLab's `Time`: an instant in ISO 8601 (`2026-12-01T10:00:00Z`).
pub struct Time(i64);

#[Scalar(name = "Time")]
impl ScalarType for Time {
    fn parse(value: Value) -> InputValueResult<Self> {
        use time::format_description::well_known::Rfc3339 as Format;
        match &value {
            Value::String(s) => time::OffsetDateTime::parse(s, &Format)
                .map(|t| Self(t.unix_timestamp()))
                .map_err(|_| InputValueError::custom(format!("{s:?} is not an ISO 8601 time"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(Rfc3339::seconds(self.0).to_string())
    }
}

/// GitLab's `UserID`: `gid://gitlab/User/<id>`.
pub struct UserGid(UserId);

#[Scalar(name = "UserID")]
impl ScalarType for UserGid {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_gid(USER_GID, s)
                .map(|id| Self(UserId(id)))
                .ok_or_else(|| {
                    InputValueError::custom(format!("{s:?} is not a valid Global ID of a User"))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format!("{USER_GID}{}", self.0.get()))
    }
}

/// GitLab's `UserState`.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "UserState", rename_items = "lowercase")]
pub enum UserState {
    /// User is active and can use the system.
    Active,
    /// User has been blocked by an administrator and cannot use the system.
    Blocked,
}

/// GitLab's `Sort` for lists of users (the upper-case spellings GitLab
/// deprecated are not served).
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "Sort", rename_items = "snake_case")]
pub enum UserSort {
    /// Updated at descending order (Forgekey: by id).
    UpdatedDesc,
    /// Updated at ascending order (Forgekey: by id).
    UpdatedAsc,
    /// Created at descending order.
    #[default]
    CreatedDesc,
    /// Created at ascending order.
    CreatedAsc,
}

/// The two user types GitLab has: `UserCore` for anyone, `CurrentUser`
/// for the viewer themselves. Same fields, as Forgekey keeps no more.
pub struct AnyUser;
pub struct Me;

pub struct UserNode<Kind> {
    user: Arc<User>,
    kind: PhantomData<Kind>,
}

impl<Kind> UserNode<Kind> {
    fn new(user: Arc<User>) -> Self {
        Self {
            user,
            kind: PhantomData,
        }
    }
}

#[Object(
    concrete(name = "UserCore", params(AnyUser)),
    concrete(name = "CurrentUser", params(Me))
)]
impl<Kind: Send + Sync + 'static> UserNode<Kind> {
    /// Global ID of the user.
    async fn id(&self) -> ID {
        gid(USER_GID, self.user.id.get())
    }

    /// Username of the user. Unique within the instance.
    async fn username(&self) -> &str {
        &self.user.username
    }

    /// Human-readable name of the user (Forgekey: the username).
    async fn name(&self) -> &str {
        &self.user.username
    }

    /// State of the user.
    async fn state(&self) -> UserState {
        if self.user.is_blocked() {
            UserState::Blocked
        } else {
            UserState::Active
        }
    }

    /// Indicates if the user is active.
    async fn active(&self) -> bool {
        !self.user.is_blocked()
    }

    /// URL of the user's avatar.
    async fn avatar_url(&self, gql: &Context<'_>) -> String {
        AvatarUrl::new(&context(gql).base_url).to_string()
    }

    /// Web URL of the user.
    async fn web_url(&self, gql: &Context<'_>) -> String {
        WebUrl::new(&context(gql).base_url, &self.user.username).to_string()
    }

    /// Web path of the user.
    async fn web_path(&self) -> String {
        format!("/{}", self.user.username)
    }

    /// User's public email (Forgekey keeps none).
    async fn public_email(&self) -> Option<String> {
        None
    }

    /// Indicates if the user is a bot.
    async fn bot(&self) -> bool {
        false
    }

    /// Indicates if the user is a regular user.
    async fn human(&self) -> bool {
        true
    }

    /// Timestamp of when the user was created.
    async fn created_at(&self) -> Time {
        Time(self.user.created_at)
    }
}

/// A project's namespace (in Forgekey, always its owner's).
pub struct Namespace {
    owner_id: UserId,
    path: String,
}

#[Object]
impl Namespace {
    /// ID of the namespace.
    async fn id(&self) -> ID {
        gid(NAMESPACE_GID, self.owner_id.get())
    }

    /// Full path of the namespace.
    async fn full_path(&self) -> ID {
        ID(self.path.clone())
    }

    /// Name of the namespace.
    async fn name(&self) -> &str {
        &self.path
    }

    /// Path of the namespace.
    async fn path(&self) -> &str {
        &self.path
    }
}

pub struct ProjectNode(Project);

#[Object(name = "Project")]
impl ProjectNode {
    /// ID of the project.
    async fn id(&self) -> ID {
        gid(PROJECT_GID, self.0.id.get())
    }

    /// Name of the project (without namespace).
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Path of the project.
    async fn path(&self) -> &str {
        &self.0.path
    }

    /// Full path of the project.
    async fn full_path(&self) -> ID {
        ID(rest::full_path(&self.0))
    }

    /// Full name of the project with its namespace.
    async fn name_with_namespace(&self) -> String {
        format!("{} / {}", self.0.namespace, self.0.name)
    }

    /// Short description of the project (Forgekey keeps none).
    async fn description(&self) -> Option<String> {
        None
    }

    /// Visibility of the project.
    async fn visibility(&self) -> &'static str {
        self.0.visibility.as_str()
    }

    /// Indicates the archived status of the project.
    async fn archived(&self) -> bool {
        false
    }

    /// Timestamp of the project creation.
    async fn created_at(&self) -> Time {
        Time(self.0.created_at)
    }

    /// Web URL of the project.
    async fn web_url(&self, gql: &Context<'_>) -> String {
        rest::web_url(&self.0, &context(gql).base_url)
    }

    /// URL to connect to the project via HTTPS.
    async fn http_url_to_repo(&self, gql: &Context<'_>) -> String {
        rest::http_url_to_repo(&self.0, &context(gql).base_url)
    }

    /// URL to connect to the project via SSH (Forgekey serves Git over
    /// HTTP only).
    async fn ssh_url_to_repo(&self) -> Option<String> {
        None
    }

    /// Namespace of the project.
    async fn namespace(&self) -> Namespace {
        Namespace {
            owner_id: self.0.owner_id,
            path: self.0.namespace.clone(),
        }
    }
}

/// GitLab's `Metadata`.
pub struct Metadata;

#[Object]
impl Metadata {
    /// Version.
    async fn version(&self) -> &'static str {
        crate::server::api::GITLAB_VERSION
    }

    /// Revision.
    async fn revision(&self) -> &'static str {
        concat!("forgekey-", env!("CARGO_PKG_VERSION"))
    }

    /// Enterprise edition.
    async fn enterprise(&self) -> bool {
        false
    }

    /// Metadata about KAS (Forgekey has no agent server).
    async fn kas(&self) -> Kas {
        Kas
    }
}

pub struct Kas;

#[Object]
impl Kas {
    /// Indicates whether KAS is enabled.
    async fn enabled(&self) -> bool {
        false
    }

    /// URL used by the agents to communicate with KAS.
    async fn external_url(&self) -> Option<String> {
        None
    }

    /// KAS version.
    async fn version(&self) -> Option<String> {
        None
    }
}

/// A connection's extra field, as GitLab's countable connections have.
#[derive(SimpleObject)]
pub struct Counted {
    /// Total count of collection.
    count: i64,
}

type Cursor = OpaqueCursor<usize>;
type Page<Node> = Connection<Cursor, Node, Counted>;

/// A connection holding `nodes`, the list's `window`, of `total` in all.
fn page<T, Node: async_graphql::OutputType>(
    nodes: impl IntoIterator<Item = T>,
    window: Window,
    total: usize,
    node: impl Fn(T) -> Node,
) -> Page<Node> {
    let mut connection = Connection::with_additional_fields(
        window.start > 0,
        window.end < total,
        Counted {
            count: i64::try_from(total).unwrap_or(i64::MAX),
        },
    );
    connection.edges.extend(
        nodes
            .into_iter()
            .zip(window.start..)
            .map(|(item, at)| Edge::new(OpaqueCursor(at), node(item))),
    );
    connection
}

/// The positions a connection's arguments name.
struct Slice {
    after: Option<usize>,
    before: Option<usize>,
    first: Option<usize>,
    last: Option<usize>,
}

impl Slice {
    fn of(
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Self> {
        use async_graphql::connection::CursorType;
        let cursor = |c: Option<String>| -> Result<Option<usize>> {
            c.map(|c| {
                Cursor::decode_cursor(&c)
                    .map(|c| c.0)
                    .map_err(|_| Error::new(format!("{c:?} is not a valid cursor")))
            })
            .transpose()
        };
        let count = |name: &str, n: Option<i32>| -> Result<Option<usize>> {
            n.map(|n| {
                usize::try_from(n).map_err(|_| Error::new(format!("`{name}` must not be negative")))
            })
            .transpose()
        };
        Ok(Self {
            after: cursor(after)?,
            before: cursor(before)?,
            first: count("first", first)?,
            last: count("last", last)?,
        })
    }

    fn window(&self, total: usize) -> Window {
        Window::of(self.after, self.before, self.first, self.last, total)
    }
}

/// What a connection field costs: its own lookup, and its nodes' fields
/// for every 20 nodes it may return.
fn connection_cost(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let page = first
        .or(last)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(MAX_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    2 + child * page.div_ceil(20).max(1)
}

/// At most this many ids, usernames or paths in one filter.
const MAX_FILTER_VALUES: usize = 100;

fn check_filter_len<T>(name: &str, values: &Option<Vec<T>>) -> Result<()> {
    match values {
        Some(v) if v.len() > MAX_FILTER_VALUES => Err(Error::new(format!(
            "`{name}` takes at most {MAX_FILTER_VALUES} values"
        ))),
        _ => Ok(()),
    }
}

pub struct Query;

#[Object]
impl Query {
    /// Get information about current user.
    async fn current_user(&self, gql: &Context<'_>) -> Option<UserNode<Me>> {
        context(gql).viewer.user.clone().map(UserNode::new)
    }

    /// Find a user, by global ID or by username (one of the two).
    async fn user(
        &self,
        gql: &Context<'_>,
        #[graphql(desc = "ID of the User.")] id: Option<UserGid>,
        #[graphql(desc = "Username of the User.")] username: Option<String>,
    ) -> Result<Option<UserNode<AnyUser>>> {
        let c = context(gql);
        let found = match (id, username) {
            (Some(id), None) => accounts::find(&c.state, id.0).await,
            (None, Some(username)) => accounts::find_by_username(&c.state, &username).await,
            _ => return Err(Error::new("Provide either a single username or id")),
        };
        Ok(found
            .map_err(|e| c.fail(e))?
            .map(|u| UserNode::new(Arc::new(u))))
    }

    /// Find users. Without a token, only by `usernames` (as the REST API's
    /// `GET /users?username=`).
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn users(
        &self,
        gql: &Context<'_>,
        #[graphql(desc = "List of user Global IDs.")] ids: Option<Vec<ID>>,
        #[graphql(desc = "List of usernames.")] usernames: Option<Vec<String>>,
        #[graphql(
            desc = "Sort users by the criteria.",
            default_with = "Some(UserSort::CreatedDesc)"
        )]
        sort: Option<UserSort>,
        #[graphql(desc = "Query to search users by username.")] search: Option<String>,
        #[graphql(desc = "Return only admin users.", default_with = "Some(false)")] admins: Option<
            bool,
        >,
        #[graphql(desc = "Return only active users (not blocked).")] active: Option<bool>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Page<UserNode<AnyUser>>> {
        let c = context(gql);
        check_filter_len("ids", &ids)?;
        check_filter_len("usernames", &usernames)?;
        if c.viewer.user.is_none() && usernames.is_none() {
            return Err(Error::new(
                "Listing users needs a token; without one, look users up by `usernames`",
            ));
        }
        let slice = Slice::of(after, before, first, last)?;
        let (order, descending) = match sort.unwrap_or_default() {
            UserSort::UpdatedDesc => (UserOrder::Id, true),
            UserSort::UpdatedAsc => (UserOrder::Id, false),
            UserSort::CreatedDesc => (UserOrder::CreatedAt, true),
            UserSort::CreatedAsc => (UserOrder::CreatedAt, false),
        };
        let filter = UserFilter {
            search,
            blocked: active.map(|active| !active),
            admin: (admins == Some(true)).then_some(true),
            order,
            descending,
            ..UserFilter::default()
        };
        if ids.is_some() || usernames.is_some() {
            let mut users = named_users(c, ids.as_deref(), usernames.as_deref()).await?;
            users.retain(|u| matches_filter(u, &filter));
            users.sort_by_key(|u| (u.created_at, u.id.get()));
            if descending {
                users.reverse();
            }
            let window = slice.window(users.len());
            let total = users.len();
            let nodes = users.drain(window.start..window.end);
            return Ok(page(nodes, window, total, |u| UserNode::new(Arc::new(u))));
        }
        // `last` without `before` counts from the end: the total first.
        let known_total = if slice.last.is_some() && slice.before.is_none() {
            let (_, total) = accounts::users_page(&c.state, &filter, 0, 1)
                .await
                .map_err(|e| c.fail(e))?;
            usize::try_from(total).unwrap_or(0)
        } else {
            usize::MAX
        };
        let window = slice.window(known_total);
        let (users, total) = accounts::users_page(
            &c.state,
            &filter,
            i64::try_from(window.start).unwrap_or(i64::MAX),
            i64::try_from(window.len()).unwrap_or(0),
        )
        .await
        .map_err(|e| c.fail(e))?;
        let total = usize::try_from(total).unwrap_or(0);
        let window = Window {
            start: window.start,
            end: window.start + users.len(),
        };
        Ok(page(users, window, total, |u| UserNode::new(Arc::new(u))))
    }

    /// Find a project by its full path (`namespace/path`).
    async fn project(
        &self,
        gql: &Context<'_>,
        #[graphql(desc = "Full path of the project. For example, `alice/demo`.")] full_path: ID,
    ) -> Result<Option<ProjectNode>> {
        let c = context(gql);
        let Some((namespace, path)) = full_path.split_once('/') else {
            return Ok(None);
        };
        let found = projects::find_by_path(&c.state, namespace, path)
            .await
            .map_err(|e| c.fail(e))?;
        Ok(found
            .filter(|p| {
                p.access()
                    .reachable(c.viewer.id(), c.viewer.admin, &c.viewer.projects)
            })
            .map(ProjectNode))
    }

    /// Find projects visible to the current user.
    #[graphql(complexity = "connection_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        gql: &Context<'_>,
        #[graphql(desc = "Return only projects that the current user is a member of.")]
        membership: Option<bool>,
        #[graphql(desc = "Search query, which can be for the project name or path.")]
        search: Option<String>,
        #[graphql(desc = "Filter projects by IDs.")] ids: Option<Vec<ID>>,
        #[graphql(desc = "Filter projects by full paths.")] full_paths: Option<Vec<String>>,
        #[graphql(
            desc = "Sort order of results: `id_desc` (the default), `id_asc`, `name_asc`, \
                    `name_desc`, `path_asc`, `path_desc`, `created_asc` or `created_desc`.",
            default_with = "Some(String::from(\"id_desc\"))"
        )]
        sort: Option<String>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<Page<ProjectNode>> {
        let c = context(gql);
        check_filter_len("ids", &ids)?;
        check_filter_len("fullPaths", &full_paths)?;
        let slice = Slice::of(after, before, first, last)?;
        let viewer = c.viewer.id();
        let mut list = projects::list_visible(&c.state, viewer, c.viewer.admin)
            .await
            .map_err(|e| c.fail(e))?;
        list.retain(|p| c.viewer.projects.permits(p.id));
        if membership == Some(true) {
            list.retain(|p| Some(p.owner_id) == viewer);
        }
        if let Some(search) = search.map(|s| s.to_lowercase()) {
            list.retain(|p| {
                p.name.to_lowercase().contains(&search) || p.path.to_lowercase().contains(&search)
            });
        }
        if let Some(ids) = ids {
            let wanted: Vec<i64> = ids
                .iter()
                .filter_map(|id| parse_gid(PROJECT_GID, id))
                .collect();
            list.retain(|p| wanted.contains(&p.id.get()));
        }
        if let Some(paths) = full_paths {
            let wanted: Vec<String> = paths.iter().map(|p| p.to_lowercase()).collect();
            list.retain(|p| wanted.contains(&rest::full_path(p).to_lowercase()));
        }
        // GitLab ignores a sort it does not know, as this does.
        match sort.as_deref().unwrap_or("id_desc") {
            "id_asc" => list.sort_by_key(|p| p.id.get()),
            "name_asc" => list.sort_by_key(|p| (p.name.to_lowercase(), p.id.get())),
            "name_desc" => {
                list.sort_by_key(|p| std::cmp::Reverse((p.name.to_lowercase(), p.id.get())))
            }
            "path_asc" => list.sort_by_key(|p| (p.path.clone(), p.id.get())),
            "path_desc" => list.sort_by_key(|p| std::cmp::Reverse((p.path.clone(), p.id.get()))),
            "created_asc" => list.sort_by_key(|p| (p.created_at, p.id.get())),
            "created_desc" => list.sort_by_key(|p| std::cmp::Reverse((p.created_at, p.id.get()))),
            _ => list.sort_by_key(|p| std::cmp::Reverse(p.id.get())),
        }
        let total = list.len();
        let window = slice.window(total);
        let nodes = list.drain(window.start..window.end);
        Ok(page(nodes, window, total, ProjectNode))
    }

    /// Metadata about GitLab (for signed-in users).
    async fn metadata(&self, gql: &Context<'_>) -> Option<Metadata> {
        context(gql).viewer.user.as_ref().map(|_| Metadata)
    }

    /// Testing endpoint to validate the API with: `"alice" says: hello`.
    async fn echo(
        &self,
        gql: &Context<'_>,
        #[graphql(desc = "Text to echo back.")] text: String,
    ) -> String {
        match &context(gql).viewer.user {
            Some(u) => format!("{:?} says: {text}", u.username),
            None => format!("nil says: {text}"),
        }
    }
}

/// The users named by global ID or username (unknown ones left out), each
/// once.
async fn named_users(
    c: &RequestData,
    ids: Option<&[ID]>,
    usernames: Option<&[String]>,
) -> Result<Vec<User>> {
    let mut found: Vec<User> = Vec::new();
    for id in ids.unwrap_or_default() {
        let Some(id) = parse_gid(USER_GID, id) else {
            return Err(Error::new(format!(
                "{:?} is not a valid Global ID of a User",
                id.0
            )));
        };
        if let Some(u) = accounts::find(&c.state, UserId(id))
            .await
            .map_err(|e| c.fail(e))?
        {
            found.push(u);
        }
    }
    for username in usernames.unwrap_or_default() {
        if let Some(u) = accounts::find_by_username(&c.state, username)
            .await
            .map_err(|e| c.fail(e))?
        {
            found.push(u);
        }
    }
    found.sort_by_key(|u| u.id.get());
    found.dedup_by_key(|u| u.id.get());
    // Both filters given: the users both name.
    if let (Some(ids), Some(names)) = (ids, usernames) {
        let keys: Vec<String> = names
            .iter()
            .map(|n| crate::domain::account::unique_key(n))
            .collect();
        let ids: Vec<i64> = ids
            .iter()
            .filter_map(|id| parse_gid(USER_GID, id))
            .collect();
        found.retain(|u| {
            ids.contains(&u.id.get())
                && keys.contains(&crate::domain::account::unique_key(&u.username))
        });
    }
    Ok(found)
}

/// `filter`'s conditions, for users fetched by name or id.
fn matches_filter(u: &User, filter: &UserFilter) -> bool {
    let search = filter.search.as_ref().is_none_or(|s| {
        crate::domain::account::unique_key(&u.username)
            .contains(&crate::domain::account::unique_key(s))
    });
    search
        && filter.blocked.is_none_or(|b| u.is_blocked() == b)
        && filter.admin.is_none_or(|a| u.is_admin == a)
}
