//! The container registry's token server, as Docker Distribution's token
//! specification asks it and GitLab answers it: which scopes a client asks
//! for (`repository:alice/app/web:pull,push`), and which of the actions it
//! asked for it gets. What is not allowed is left out of the grant, not
//! refused: the registry then answers the client 401/403 itself.

use super::project::{ProjectAccess, Visibility};
use super::scope::Scope;
use super::DomainError;
use serde::{Deserialize, Serialize};

/// How long a registry token lives (GitLab: 5 minutes).
pub const TOKEN_SECONDS: i64 = 300;

/// The issuer and service names a Forgekey registry is configured with.
pub const ISSUER: &str = "forgekey";
pub const SERVICE: &str = "container_registry";

/// The longest repository name Distribution accepts.
pub const NAME_MAX: usize = 255;

/// What a client may do on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Pull,
    Push,
}

impl Action {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
        }
    }
}

/// One `scope` parameter of a token request: a repository and the actions
/// asked for on it (unknown actions, such as `delete`, are dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryScope {
    /// The repository's whole name: `namespace/project[/image…]`.
    pub name: String,
    /// The project's namespace and path, the name's first two parts.
    pub namespace: String,
    pub project: String,
    pub actions: Vec<Action>,
}

/// Parses `repository:<name>:<actions>`. `None` for anything else: other
/// resource types (`registry:catalog:*`), a name the registry would not
/// accept, or a name with fewer than two parts (no project).
pub fn parse_scope(text: &str) -> Option<RepositoryScope> {
    let (kind, rest) = text.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    if kind != "repository" || !valid_name(name) {
        return None;
    }
    let mut parts = name.split('/');
    let (namespace, project) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut wanted: Vec<Action> = actions
        .split(',')
        .flat_map(|a| match a.trim() {
            "pull" => &[Action::Pull][..],
            "push" => &[Action::Push][..],
            // Everything, as Distribution reads `*`: of that, pull and push.
            "*" => &[Action::Pull, Action::Push][..],
            _ => &[][..],
        })
        .copied()
        .collect();
    wanted.sort();
    wanted.dedup();
    Some(RepositoryScope {
        name: name.to_owned(),
        namespace,
        project,
        actions: wanted,
    })
}

/// Distribution's grammar for a repository name: lower-case components of
/// letters and digits joined by `.`, `_`, `__` or dashes, separated by
/// `/`, at most 255 characters.
pub fn valid_name(name: &str) -> bool {
    name.len() <= NAME_MAX && !name.is_empty() && name.split('/').all(valid_component)
}

fn valid_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    // Between runs of letters and digits: one `.`, one or two `_`, or any
    // number of `-`.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let run = &part[start..i];
        let ok = run == "." || run == "_" || run == "__" || run.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Who asks for a registry token: as for Git, by what authentication
/// established (anonymous, a password, a token and its scopes).
pub use super::project::GitActor as RegistryActor;

/// The scopes that let a token pull images (push needs `write_registry` or
/// `api`).
pub const PULL_SCOPES: [Scope; 3] = [Scope::ReadRegistry, Scope::WriteRegistry, Scope::Api];
pub const PUSH_SCOPES: [Scope; 2] = [Scope::WriteRegistry, Scope::Api];

/// Whether a token may authenticate to the registry at all: one without a
/// registry scope (or `api`) is refused as GitLab refuses it, as wrong
/// credentials.
pub fn token_may_authenticate(scopes: &[Scope]) -> bool {
    scopes.iter().any(|s| PULL_SCOPES.contains(s))
}

/// The one rule for the registry: of the actions asked for on a project's
/// repository, those the actor gets. Pull: anyone on a public project
/// (a token with a registry scope), the owner and administrators on any
/// other. Push: the owner and administrators, with `write_registry` or
/// `api`. `project` is `None` when none exists: nothing is granted.
pub fn grant(
    project: Option<ProjectAccess>,
    actor: RegistryActor<'_>,
    asked: &[Action],
) -> Vec<Action> {
    let Some(project) = project else {
        return Vec::new();
    };
    let public = project.visibility == Visibility::Public;
    let (member, scopes) = match actor {
        RegistryActor::Anonymous => (false, None),
        RegistryActor::Password { user_id, is_admin } => {
            (is_admin || user_id == project.owner_id, None)
        }
        RegistryActor::Token {
            user_id,
            is_admin,
            scopes,
            projects,
        } => {
            // Another project than the token's: nothing, public or not.
            if !projects.permits(project.id) {
                return Vec::new();
            }
            (is_admin || user_id == project.owner_id, Some(scopes))
        }
    };
    let anonymous = matches!(actor, RegistryActor::Anonymous);
    let has = |wanted: &[Scope]| scopes.is_none_or(|s| s.iter().any(|x| wanted.contains(x)));
    asked
        .iter()
        .copied()
        .filter(|action| match action {
            Action::Pull => (public || member) && (anonymous || has(&PULL_SCOPES)),
            Action::Push => member && has(&PUSH_SCOPES),
        })
        .collect()
}

/// The registry's path of a project, as clients name its images:
/// `host/namespace/project` (lower case, as the registry requires).
pub fn image_path(registry_host: &str, namespace: &str, project: &str) -> String {
    format!(
        "{registry_host}/{}/{}",
        namespace.to_ascii_lowercase(),
        project.to_ascii_lowercase()
    )
}

/// Whether a project's images can be named at all: its namespace and path
/// must read the same in lower case within Distribution's grammar.
pub fn project_has_image_name(namespace: &str, project: &str) -> bool {
    valid_name(&format!(
        "{}/{}",
        namespace.to_ascii_lowercase(),
        project.to_ascii_lowercase()
    ))
}

/// The instance's container registry: off by default; on, Forgekey is its
/// token server and clients name its images by `host`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrySettings {
    pub enabled: bool,
    /// `registry.example.com:5050`, as `docker login` takes it; empty
    /// until first set.
    pub host: String,
}

impl RegistrySettings {
    /// The settings an administrator typed: a host is needed to turn the
    /// registry on, and may be kept while it is off.
    pub fn parse(enabled: bool, host: &str) -> Result<Self, DomainError> {
        let host = host.trim();
        let host = match host {
            "" if enabled => {
                return Err(DomainError::field(
                    "host",
                    "Give the registry's address (host or host:port) to turn it on.",
                ))
            }
            "" => String::new(),
            typed => parse_host(typed)?,
        };
        Ok(Self { enabled, host })
    }

    /// `registry: off → on (registry.example.com:5050)` when it changed.
    pub fn describe_change(&self, new: &Self) -> Option<String> {
        let state = |s: &Self| match (s.enabled, s.host.as_str()) {
            (true, host) => format!("on ({host})"),
            (false, "") => "off".to_owned(),
            (false, host) => format!("off ({host})"),
        };
        (self != new).then(|| format!("container registry: {} → {}", state(self), state(new)))
    }
}

/// A registry address as clients name images by: a lower-case host name
/// or IPv4 address, or an IPv6 address in brackets, and an optional port;
/// a pasted `https://` and trailing `/` are dropped.
pub fn parse_host(input: &str) -> Result<String, DomainError> {
    let invalid = || {
        DomainError::field(
            "host",
            "Enter the registry's address as host or host:port, for example \
             registry.example.com:5050.",
        )
    };
    let text = input.trim();
    let text = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let text = text.strip_suffix('/').unwrap_or(text).to_ascii_lowercase();
    let port = if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or_else(invalid)?;
        let v6 = inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        if !v6 || inside.matches(':').count() < 2 {
            return Err(invalid());
        }
        match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(invalid)?),
        }
    } else {
        let (name, port) = match text.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text.as_str(), None),
        };
        if !host_name(name) {
            return Err(invalid());
        }
        port
    };
    if let Some(port) = port {
        let ok = !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p));
        if !ok {
            return Err(invalid());
        }
    }
    Ok(text)
}

/// Labels of letters, digits and inner dashes joined by dots (which also
/// covers an IPv4 address).
fn host_name(name: &str) -> bool {
    name.len() <= 253
        && !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;
    use Action::{Pull, Push};

    const OWNER: UserId = UserId(1);
    static ANY_PROJECT: crate::domain::project::ProjectSet =
        crate::domain::project::ProjectSet::any();
    const OTHER: UserId = UserId(2);

    fn project(visibility: Visibility) -> Option<ProjectAccess> {
        Some(ProjectAccess {
            id: crate::domain::ids::ProjectId(7),
            owner_id: OWNER,
            visibility,
        })
    }

    fn token(user_id: UserId, scopes: &[Scope]) -> RegistryActor<'_> {
        RegistryActor::Token {
            user_id,
            is_admin: false,
            scopes,
            projects: &ANY_PROJECT,
        }
    }

    #[test]
    fn a_token_for_other_projects_is_granted_nothing() {
        use crate::domain::ids::ProjectId;
        use crate::domain::project::ProjectSet;
        let scopes = [Scope::Api];
        let elsewhere = ProjectSet::new([ProjectId(8)]);
        let here = ProjectSet::new([ProjectId(7)]);
        let with = |projects| RegistryActor::Token {
            user_id: OWNER,
            is_admin: false,
            scopes: &scopes,
            projects,
        };
        for visibility in [Visibility::Private, Visibility::Public] {
            assert!(grant(project(visibility), with(&elsewhere), &[Pull, Push]).is_empty());
        }
        assert_eq!(
            grant(project(Visibility::Private), with(&here), &[Pull, Push]),
            [Pull, Push]
        );
    }

    #[test]
    fn scopes_parse_as_docker_sends_them() {
        let scope = parse_scope("repository:alice/app/web:pull,push").unwrap();
        assert_eq!(scope.name, "alice/app/web");
        assert_eq!(
            (scope.namespace.as_str(), scope.project.as_str()),
            ("alice", "app")
        );
        assert_eq!(scope.actions, vec![Pull, Push]);
        let root = parse_scope("repository:alice/app:push,pull,pull").unwrap();
        assert_eq!(root.name, "alice/app");
        assert_eq!(root.actions, vec![Pull, Push]);
        assert_eq!(
            parse_scope("repository:alice/app:*").unwrap().actions,
            vec![Pull, Push]
        );
        assert_eq!(
            parse_scope("repository:alice/app:delete").unwrap().actions,
            vec![]
        );
    }

    #[test]
    fn other_resources_and_bad_names_are_not_repository_scopes() {
        for text in [
            "registry:catalog:*",
            "repository(plugin):alice/app:pull",
            "repository:alice:pull",
            "repository:Alice/app:pull",
            "repository:alice/app",
            "repository:alice//app:pull",
            "repository:alice/-app:pull",
            "repository:alice/app.:pull",
            "repository:alice/a..b:pull",
            "repository:alice/a___b:pull",
            "repository:localhost:5000/alice/app:pull",
            "",
            "repository::pull",
        ] {
            assert_eq!(parse_scope(text), None, "{text}");
        }
        let long = format!("repository:alice/{}:pull", "a".repeat(NAME_MAX));
        assert_eq!(parse_scope(&long), None);
    }

    #[test]
    fn names_follow_distributions_grammar() {
        for ok in [
            "a/b",
            "alice/my-app",
            "alice/my--app",
            "a_b/c__d",
            "a.b/c.d/e",
            "0/9",
        ] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "", "A/b", "a/b/", "/a", "a/_b", "a/b_", "a/b.-c", "a/b_-c", "a/b c",
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn pull_needs_a_registry_scope_or_api_push_write_registry_or_api() {
        let private = project(Visibility::Private);
        for scopes in [
            &[Scope::ReadRegistry][..],
            &[Scope::WriteRegistry],
            &[Scope::Api],
        ] {
            assert!(
                grant(private, token(OWNER, scopes), &[Pull]).contains(&Pull),
                "{scopes:?}"
            );
        }
        assert_eq!(
            grant(private, token(OWNER, &[Scope::ReadRegistry]), &[Pull, Push]),
            vec![Pull]
        );
        assert_eq!(
            grant(
                private,
                token(OWNER, &[Scope::WriteRegistry]),
                &[Pull, Push]
            ),
            vec![Pull, Push]
        );
        assert_eq!(
            grant(private, token(OWNER, &[Scope::Api]), &[Pull, Push]),
            vec![Pull, Push]
        );
        for scopes in [
            &[Scope::ReadApi][..],
            &[Scope::ReadRepository, Scope::WriteRepository],
            &[],
        ] {
            assert_eq!(
                grant(private, token(OWNER, scopes), &[Pull, Push]),
                vec![],
                "{scopes:?}"
            );
            assert!(!token_may_authenticate(scopes));
        }
        assert!(token_may_authenticate(&[
            Scope::ReadUser,
            Scope::ReadRegistry
        ]));
    }

    #[test]
    fn others_private_projects_grant_nothing_public_ones_pull_only() {
        let all = [Scope::Api];
        assert_eq!(
            grant(
                project(Visibility::Private),
                token(OTHER, &all),
                &[Pull, Push]
            ),
            vec![]
        );
        assert_eq!(
            grant(
                project(Visibility::Public),
                token(OTHER, &all),
                &[Pull, Push]
            ),
            vec![Pull]
        );
        let password = RegistryActor::Password {
            user_id: OTHER,
            is_admin: false,
        };
        assert_eq!(
            grant(project(Visibility::Private), password, &[Pull]),
            vec![]
        );
        assert_eq!(
            grant(project(Visibility::Public), password, &[Pull, Push]),
            vec![Pull]
        );
    }

    #[test]
    fn anonymous_clients_pull_public_projects_only() {
        let anonymous = RegistryActor::Anonymous;
        assert_eq!(
            grant(project(Visibility::Public), anonymous, &[Pull, Push]),
            vec![Pull]
        );
        assert_eq!(
            grant(project(Visibility::Private), anonymous, &[Pull]),
            vec![]
        );
        assert_eq!(grant(None, anonymous, &[Pull]), vec![]);
    }

    #[test]
    fn owners_by_password_and_administrators_pull_and_push() {
        let owner = RegistryActor::Password {
            user_id: OWNER,
            is_admin: false,
        };
        let admin = RegistryActor::Token {
            user_id: OTHER,
            is_admin: true,
            scopes: &[Scope::WriteRegistry],
            projects: &ANY_PROJECT,
        };
        for actor in [owner, admin] {
            assert_eq!(
                grant(project(Visibility::Private), actor, &[Pull, Push]),
                vec![Pull, Push]
            );
        }
        assert_eq!(grant(None, owner, &[Pull, Push]), vec![]);
    }

    #[test]
    fn image_paths_are_lower_case() {
        assert_eq!(
            image_path("reg.example.com:5000", "Alice", "App"),
            "reg.example.com:5000/alice/app"
        );
        assert!(project_has_image_name("Alice", "my-app"));
        assert!(!project_has_image_name("alice", "my_-app"));
    }

    #[test]
    fn registry_hosts_are_host_and_port() {
        for (typed, kept) in [
            ("registry.example.com", "registry.example.com"),
            ("Registry.Example.com:5050", "registry.example.com:5050"),
            (" https://reg.example.com/ ", "reg.example.com"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("localhost:5000", "localhost:5000"),
            ("[::1]:5000", "[::1]:5000"),
            ("[fd00::1]", "[fd00::1]"),
        ] {
            assert_eq!(parse_host(typed).as_deref(), Ok(kept), "{typed}");
        }
        for bad in [
            "",
            "reg example",
            "reg.example.com:0",
            "reg.example.com:65536",
            "reg:50a",
            "reg.example.com/path",
            "-reg.example.com",
            "reg..example",
            "[::1",
            "[nothex]:5000",
            "reg.example.com:",
            "user@reg",
            "[::1]5000",
        ] {
            assert!(parse_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_registry_needs_a_host_to_turn_on() {
        assert!(RegistrySettings::parse(true, " ").is_err());
        assert_eq!(
            RegistrySettings::parse(false, ""),
            Ok(RegistrySettings::default())
        );
        let on = RegistrySettings::parse(true, "127.0.0.1:5000").unwrap();
        assert_eq!(
            RegistrySettings::default().describe_change(&on).as_deref(),
            Some("container registry: off → on (127.0.0.1:5000)")
        );
        assert_eq!(on.describe_change(&on), None);
    }
}
