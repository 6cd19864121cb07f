//! Projects (Git repositories): names, paths, visibility, and who may pull
//! or push over HTTP with what.

use super::ids::{ProjectId, UserId};
use super::scope::Scope;
use super::{DomainError, FieldError};
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Private,
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "private" => Some(Self::Private),
            "public" => Some(Self::Public),
            _ => None,
        }
    }
}

/// A valid new project: its display name and URL path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProject {
    pub name: String,
    pub path: String,
    pub visibility: Visibility,
}

/// The path GitLab derives from a name: lower case, spaces to dashes,
/// only letters, digits, `_`, `-` and `.`.
pub fn path_from_name(name: &str) -> String {
    let mut path = String::new();
    for c in name.trim().chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' | '.' | '-' => path.push(c),
            'A'..='Z' => path.push(c.to_ascii_lowercase()),
            c if c.is_whitespace() => path.push('-'),
            _ => {}
        }
    }
    path
}

fn path_error(path: &str) -> Option<&'static str> {
    if path.is_empty() || path.len() > NAME_MAX {
        return Some("Path must be 1 to 255 characters.");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Some("Path can contain only letters, digits, '_', '-' and '.'.");
    }
    if path.starts_with(['-', '.']) || path.ends_with('.') {
        return Some("Path cannot start with '-' or '.', nor end with '.'.");
    }
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".git") || lower.ends_with(".atom") || lower.contains("..") {
        return Some("Path cannot end in '.git' or '.atom' or contain '..'.");
    }
    None
}

impl NewProject {
    /// `path` may be empty: it is then derived from the name.
    pub fn parse(name: &str, path: &str, visibility: &str) -> Result<Self, DomainError> {
        let name = name.trim();
        let mut errors = Vec::new();
        if name.is_empty() || name.chars().count() > NAME_MAX {
            errors.push(FieldError::new("name", "Name must be 1 to 255 characters."));
        } else if super::text::has_unsafe_chars(name) {
            errors.push(FieldError::new(
                "name",
                "Name cannot contain control or text-direction characters.",
            ));
        }
        let path = match path.trim() {
            "" => path_from_name(name),
            given => given.to_owned(),
        };
        if let Some(message) = path_error(&path) {
            errors.push(FieldError::new("path", message));
        }
        let visibility = Visibility::parse(visibility);
        if visibility.is_none() {
            errors.push(FieldError::new(
                "visibility",
                "Visibility must be private or public.",
            ));
        }
        match (errors.is_empty(), visibility) {
            (true, Some(visibility)) => Ok(Self {
                name: name.to_owned(),
                path,
                visibility,
            }),
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}

/// What a Git client asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitOperation {
    Pull,
    Push,
}

impl GitOperation {
    /// By the smart HTTP service name; `None` for anything else.
    pub fn of_service(service: &str) -> Option<Self> {
        match service {
            "git-upload-pack" => Some(Self::Pull),
            "git-receive-pack" => Some(Self::Push),
            _ => None,
        }
    }
}

/// The projects a token is restricted to (GitHub's fine-grained tokens);
/// empty: every project its owner may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectSet(Vec<ProjectId>);

/// How many projects one token may be restricted to.
pub const TOKEN_PROJECTS_MAX: usize = 50;

impl ProjectSet {
    /// Every project the owner may reach.
    pub const fn any() -> Self {
        Self(Vec::new())
    }

    pub fn new(ids: impl IntoIterator<Item = ProjectId>) -> Self {
        let mut ids: Vec<ProjectId> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Self(ids)
    }

    /// As stored (space-separated ids). An unreadable entry is dropped,
    /// never widening the set to "every project": a set whose every entry
    /// is unreadable permits none (project 0 does not exist).
    pub fn from_stored(stored: &str) -> Self {
        let ids: Vec<ProjectId> = stored
            .split_whitespace()
            .filter_map(|id| id.parse().ok())
            .collect();
        if ids.is_empty() && !stored.trim().is_empty() {
            return Self(vec![ProjectId(0)]);
        }
        Self::new(ids)
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn ids(&self) -> &[ProjectId] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a token with this set may reach project `id`.
    pub fn permits(&self, id: ProjectId) -> bool {
        self.0.is_empty() || self.0.contains(&id)
    }

    /// Whether every project this set permits `wider` permits too (an
    /// edit may narrow a token's projects, never widen them).
    pub fn is_within(&self, wider: &Self) -> bool {
        wider.0.is_empty() || (!self.0.is_empty() && self.0.iter().all(|id| wider.0.contains(id)))
    }
}

/// The projects a person names for a token: `namespace/path` entries
/// separated by commas or spaces (a trailing `.git` is dropped), each once,
/// at most [`TOKEN_PROJECTS_MAX`]. Empty: none named (every project).
pub fn parse_paths(typed: &str) -> Result<Vec<(String, String)>, DomainError> {
    let mut paths: Vec<(String, String)> = Vec::new();
    for entry in typed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
    {
        let entry = entry.strip_suffix(".git").unwrap_or(entry);
        let Some((namespace, path)) = entry
            .split_once('/')
            .filter(|(n, p)| !n.is_empty() && !p.is_empty() && !p.contains('/'))
        else {
            return Err(DomainError::field(
                "projects",
                format!("{entry} is not a project path such as alice/website."),
            ));
        };
        let pair = (namespace.to_owned(), path.to_owned());
        if !paths.contains(&pair) {
            paths.push(pair);
        }
    }
    if paths.len() > TOKEN_PROJECTS_MAX {
        return Err(DomainError::field(
            "projects",
            format!("A token may be limited to at most {TOKEN_PROJECTS_MAX} projects."),
        ));
    }
    Ok(paths)
}

/// Who is asking, as authentication established it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GitActor<'a> {
    Anonymous,
    /// A user by password: their whole account.
    Password {
        user_id: UserId,
        is_admin: bool,
    },
    /// A user by personal access token: limited to its scopes and, if it
    /// is restricted to some, to its projects.
    Token {
        user_id: UserId,
        is_admin: bool,
        scopes: &'a [Scope],
        projects: &'a ProjectSet,
    },
}

/// Why a Git request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitDenied {
    /// Ask for credentials (401): anonymous, and the project is not public
    /// or anonymous clients may not do this.
    Unauthorized,
    /// As if the project did not exist (404): a signed-in user who may not
    /// see it.
    NotFound,
    /// 403 with a message git shows.
    Forbidden(&'static str),
}

/// The project's side of the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectAccess {
    pub id: ProjectId,
    pub owner_id: UserId,
    pub visibility: Visibility,
}

impl ProjectAccess {
    /// Whether `viewer` (an administrator when `admin`; `None` when
    /// anonymous) may see the project at all: a public one anyone, any
    /// other its owner and administrators. The REST and GraphQL APIs ask
    /// this; lists apply the same rule in SQL.
    pub fn visible_to(self, viewer: Option<UserId>, admin: bool) -> bool {
        self.visibility == Visibility::Public || admin || viewer == Some(self.owner_id)
    }

    /// [`Self::visible_to`], through a token restricted to `projects`
    /// (any other project is as if missing, public or not).
    pub fn reachable(self, viewer: Option<UserId>, admin: bool, projects: &ProjectSet) -> bool {
        projects.permits(self.id) && self.visible_to(viewer, admin)
    }
}

pub const READ_SCOPE_MESSAGE: &str = "You are not allowed to download code from this project: \
     the token needs the read_repository, write_repository or api scope.";
pub const WRITE_SCOPE_MESSAGE: &str = "You are not allowed to push code to this project: \
     the token needs the write_repository or api scope.";
pub const PUSH_MESSAGE: &str = "You are not allowed to push code to this project.";

/// The one rule for Git over HTTP. Owners and administrators may pull and
/// push; anyone may pull a public project. A token narrows that to its
/// scopes: pull needs `read_repository`, `write_repository` or `api`, push
/// `write_repository` or `api`. `project` is `None` when none exists.
pub fn authorize_git(
    project: Option<ProjectAccess>,
    actor: GitActor<'_>,
    operation: GitOperation,
) -> Result<(), GitDenied> {
    let (user_id, is_admin, scopes) = match actor {
        GitActor::Anonymous => {
            return match (project, operation) {
                (Some(p), GitOperation::Pull) if p.visibility == Visibility::Public => Ok(()),
                _ => Err(GitDenied::Unauthorized),
            };
        }
        GitActor::Password { user_id, is_admin } => (user_id, is_admin, None),
        GitActor::Token {
            user_id,
            is_admin,
            scopes,
            projects,
        } => {
            // Another project than the token's: as if it did not exist,
            // public or not.
            if project.is_some_and(|p| !projects.permits(p.id)) {
                return Err(GitDenied::NotFound);
            }
            (user_id, is_admin, Some(scopes))
        }
    };
    let project = project.ok_or(GitDenied::NotFound)?;
    let member = project.owner_id == user_id || is_admin;
    if !member && project.visibility != Visibility::Public {
        return Err(GitDenied::NotFound);
    }
    let has = |wanted: &[Scope]| scopes.is_none_or(|s| s.iter().any(|x| wanted.contains(x)));
    match operation {
        GitOperation::Pull => {
            if has(&[Scope::ReadRepository, Scope::WriteRepository, Scope::Api]) {
                Ok(())
            } else {
                Err(GitDenied::Forbidden(READ_SCOPE_MESSAGE))
            }
        }
        GitOperation::Push => {
            if !member {
                Err(GitDenied::Forbidden(PUSH_MESSAGE))
            } else if has(&[Scope::WriteRepository, Scope::Api]) {
                Ok(())
            } else {
                Err(GitDenied::Forbidden(WRITE_SCOPE_MESSAGE))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reaches_only_its_projects() {
        let any = ProjectSet::any();
        let two = ProjectSet::new([ProjectId(3), ProjectId(1), ProjectId(3)]);
        assert_eq!(two.to_stored(), "1 3");
        assert_eq!(ProjectSet::from_stored("1 3"), two);
        assert!(any.permits(ProjectId(9)));
        assert!(two.permits(ProjectId(1)) && !two.permits(ProjectId(2)));
        // Never widened by a broken entry.
        assert!(!ProjectSet::from_stored("x").permits(ProjectId(1)));
        assert!(ProjectSet::from_stored("").is_empty());
        let one = ProjectSet::new([ProjectId(3)]);
        assert!(one.is_within(&two) && two.is_within(&any));
        assert!(!two.is_within(&one) && !any.is_within(&two));
        assert_eq!(
            parse_paths(" alice/site.git, bob/tools alice/site").unwrap(),
            [
                ("alice".to_owned(), "site".to_owned()),
                ("bob".to_owned(), "tools".to_owned())
            ]
        );
        assert!(parse_paths("").unwrap().is_empty());
        for bad in ["site", "alice/", "/site", "a/b/c"] {
            let Err(DomainError::Invalid(fields)) = parse_paths(bad) else {
                panic!("{bad} taken");
            };
            assert_eq!(fields[0].field, "projects");
        }
    }

    #[test]
    fn a_token_for_other_projects_finds_none_over_git() {
        let only_other = ProjectSet::new([ProjectId(8)]);
        let token = GitActor::Token {
            user_id: OWNER,
            is_admin: true,
            scopes: &[Scope::Api],
            projects: &only_other,
        };
        // Its owner's (and a public) project, refused as missing.
        for visibility in [Visibility::Private, Visibility::Public] {
            assert_eq!(
                authorize_git(project(visibility), token, GitOperation::Pull),
                Err(GitDenied::NotFound)
            );
        }
        let mine = ProjectSet::new([ProjectId(7)]);
        let token = GitActor::Token {
            user_id: OWNER,
            is_admin: false,
            scopes: &[Scope::Api],
            projects: &mine,
        };
        assert_eq!(
            authorize_git(project(Visibility::Private), token, GitOperation::Push),
            Ok(())
        );
    }
    use GitOperation::{Pull, Push};

    const OWNER: UserId = UserId(1);
    static ANY_PROJECT: ProjectSet = ProjectSet::any();
    const OTHER: UserId = UserId(2);

    #[test]
    fn public_projects_are_visible_to_anyone_others_to_owner_and_admins() {
        let public = project(Visibility::Public).unwrap();
        let private = project(Visibility::Private).unwrap();
        assert!(public.visible_to(None, false));
        assert!(public.visible_to(Some(OTHER), false));
        assert!(!private.visible_to(None, false));
        assert!(!private.visible_to(Some(OTHER), false));
        assert!(private.visible_to(Some(OWNER), false));
        assert!(private.visible_to(Some(OTHER), true));
    }

    fn project(visibility: Visibility) -> Option<ProjectAccess> {
        Some(ProjectAccess {
            id: ProjectId(7),
            owner_id: OWNER,
            visibility,
        })
    }

    fn token(user_id: UserId, scopes: &[Scope]) -> GitActor<'_> {
        GitActor::Token {
            user_id,
            is_admin: false,
            scopes,
            projects: &ANY_PROJECT,
        }
    }

    #[test]
    fn names_and_paths() {
        let p = NewProject::parse("  My Project ", "", "private").unwrap();
        assert_eq!(
            (p.name.as_str(), p.path.as_str()),
            ("My Project", "my-project")
        );
        assert_eq!(p.visibility, Visibility::Private);
        let p = NewProject::parse("x", "Tools_2.0", "public").unwrap();
        assert_eq!(p.path, "Tools_2.0");
        for bad in ["a.git", "-a", ".a", "a.", "a/b", "a..b", "b.atom"] {
            assert!(NewProject::parse("x", bad, "private").is_err(), "{bad}");
        }
        let DomainError::Invalid(errors) = NewProject::parse("", "", "secret").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "path", "visibility"]);
        assert_eq!(path_from_name("Émile's repo!"), "miles-repo");
        assert!(NewProject::parse("tools\u{2067}evil", "", "private").is_err());
    }

    #[test]
    fn scopes_decide_what_a_token_may_do() {
        let p = project(Visibility::Private);
        let read = [Scope::ReadRepository];
        let write = [Scope::WriteRepository];
        let api = [Scope::Api];
        let user = [Scope::ReadUser];
        assert_eq!(authorize_git(p, token(OWNER, &read), Pull), Ok(()));
        assert_eq!(
            authorize_git(p, token(OWNER, &read), Push),
            Err(GitDenied::Forbidden(WRITE_SCOPE_MESSAGE))
        );
        assert_eq!(authorize_git(p, token(OWNER, &write), Pull), Ok(()));
        assert_eq!(authorize_git(p, token(OWNER, &write), Push), Ok(()));
        assert_eq!(authorize_git(p, token(OWNER, &api), Push), Ok(()));
        assert_eq!(
            authorize_git(p, token(OWNER, &user), Pull),
            Err(GitDenied::Forbidden(READ_SCOPE_MESSAGE))
        );
    }

    #[test]
    fn private_projects_are_invisible_to_others_and_public_ones_read_only() {
        let private = project(Visibility::Private);
        let public = project(Visibility::Public);
        let write = [Scope::WriteRepository];
        assert_eq!(
            authorize_git(private, token(OTHER, &write), Pull),
            Err(GitDenied::NotFound)
        );
        assert_eq!(
            authorize_git(None, token(OTHER, &write), Pull),
            Err(GitDenied::NotFound)
        );
        assert_eq!(authorize_git(public, token(OTHER, &write), Pull), Ok(()));
        assert_eq!(
            authorize_git(public, token(OTHER, &write), Push),
            Err(GitDenied::Forbidden(PUSH_MESSAGE))
        );
        let admin = GitActor::Token {
            user_id: OTHER,
            is_admin: true,
            scopes: &write,
            projects: &ANY_PROJECT,
        };
        assert_eq!(authorize_git(private, admin, Push), Ok(()));
    }

    #[test]
    fn anonymous_clients_may_only_pull_public_projects() {
        let anon = GitActor::Anonymous;
        assert_eq!(
            authorize_git(project(Visibility::Public), anon, Pull),
            Ok(())
        );
        for (p, op) in [
            (project(Visibility::Public), Push),
            (project(Visibility::Private), Pull),
            (None, Pull),
        ] {
            assert_eq!(authorize_git(p, anon, op), Err(GitDenied::Unauthorized));
        }
    }

    #[test]
    fn a_password_acts_with_the_whole_account() {
        let me = GitActor::Password {
            user_id: OWNER,
            is_admin: false,
        };
        assert_eq!(
            authorize_git(project(Visibility::Private), me, Push),
            Ok(())
        );
    }
}
