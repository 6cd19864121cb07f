//! The scopes of a personal access token: GitLab's nine, what each grants,
//! and who may choose them.

use super::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Api,
    ReadApi,
    ReadUser,
    ReadRepository,
    WriteRepository,
    ReadRegistry,
    WriteRegistry,
    Sudo,
    AdminMode,
}

impl Scope {
    /// Every scope, in the order the page lists them.
    pub const ALL: [Scope; 9] = [
        Scope::Api,
        Scope::ReadApi,
        Scope::ReadUser,
        Scope::ReadRepository,
        Scope::WriteRepository,
        Scope::ReadRegistry,
        Scope::WriteRegistry,
        Scope::Sudo,
        Scope::AdminMode,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Api => "api",
            Scope::ReadApi => "read_api",
            Scope::ReadUser => "read_user",
            Scope::ReadRepository => "read_repository",
            Scope::WriteRepository => "write_repository",
            Scope::ReadRegistry => "read_registry",
            Scope::WriteRegistry => "write_registry",
            Scope::Sudo => "sudo",
            Scope::AdminMode => "admin_mode",
        }
    }

    /// What the scope grants, in plain words.
    pub const fn description(self) -> &'static str {
        match self {
            Scope::Api => {
                "Full read and write access to the API, including every group and project, the \
                 container registry and the package registry."
            }
            Scope::ReadApi => {
                "Read-only access to the API, including every group and project, the container \
                 registry and the package registry."
            }
            Scope::ReadUser => {
                "Read-only access to your profile through the /user endpoint (username, public \
                 email, full name) and to the read-only /users endpoints."
            }
            Scope::ReadRepository => {
                "Read-only access to repositories of private projects over Git-over-HTTP or the \
                 repository files API."
            }
            Scope::WriteRepository => {
                "Read and write access to repositories of private projects over Git-over-HTTP \
                 (not through the API)."
            }
            Scope::ReadRegistry => {
                "Pull images from the container registry of private projects that need \
                 authorization."
            }
            Scope::WriteRegistry => {
                "Push images to the container registry of private projects that need \
                 authorization."
            }
            Scope::Sudo => {
                "Perform API actions as any user of the instance, when you are an administrator."
            }
            Scope::AdminMode => "Perform API actions as an administrator, when Admin Mode is on.",
        }
    }

    /// Only administrators may give a token this scope.
    pub const fn admin_only(self) -> bool {
        matches!(self, Scope::Sudo | Scope::AdminMode)
    }

    /// Offered only while the instance has a container registry (GitLab
    /// 16: "Available only when the Container Registry is enabled").
    pub const fn registry_only(self) -> bool {
        matches!(self, Scope::ReadRegistry | Scope::WriteRegistry)
    }
}

/// Which scopes a new token may be given: the admin-only ones to
/// administrators, the registry's while a registry is enabled. Tokens
/// that have them keep them when the registry is turned off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offered {
    pub admin: bool,
    pub registry: bool,
}

impl Offered {
    pub const fn includes(self, scope: Scope) -> bool {
        (self.admin || !scope.admin_only()) && (self.registry || !scope.registry_only())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope '{0}'")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// The scopes someone chose for a new token: at least one, each known and
/// `offered`. Returned sorted, without duplicates.
pub fn parse_choice<S: AsRef<str>>(
    chosen: &[S],
    offered: Offered,
) -> Result<Vec<Scope>, DomainError> {
    let mut scopes = Vec::with_capacity(chosen.len());
    for name in chosen {
        let name = name.as_ref().trim();
        let scope = name.parse::<Scope>().map_err(|e| {
            DomainError::field("scopes", format!("{}.", capitalize(&e.to_string())))
        })?;
        if scope.admin_only() && !offered.admin {
            return Err(DomainError::field(
                "scopes",
                format!("Only administrators can choose the '{scope}' scope."),
            ));
        }
        if scope.registry_only() && !offered.registry {
            return Err(DomainError::field(
                "scopes",
                format!(
                    "The '{scope}' scope is available only when the container registry is \
                     enabled."
                ),
            ));
        }
        scopes.push(scope);
    }
    if scopes.is_empty() {
        return Err(DomainError::field("scopes", "Select at least one scope."));
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Scopes as stored: their names, space-separated, in canonical order.
pub fn join(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`join`]; unknown names (from a newer version) are skipped.
pub fn split(stored: &str) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = stored
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: DomainError) -> String {
        let DomainError::Invalid(fields) = e;
        fields[0].message.clone()
    }

    #[test]
    fn names_round_trip_and_there_are_exactly_gitlabs_nine() {
        let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "api",
                "read_api",
                "read_user",
                "read_repository",
                "write_repository",
                "read_registry",
                "write_registry",
                "sudo",
                "admin_mode"
            ]
        );
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
            assert!(!scope.description().is_empty());
            assert_eq!(
                serde_json::to_string(&scope).unwrap(),
                format!("\"{scope}\"")
            );
        }
        assert!("API".parse::<Scope>().is_err());
        assert!("write_api".parse::<Scope>().is_err());
    }

    const USER: Offered = Offered {
        admin: false,
        registry: true,
    };

    #[test]
    fn choices_are_checked_sorted_and_deduplicated() {
        assert_eq!(
            parse_choice(&["read_user", "api", "api"], USER),
            Ok(vec![Scope::Api, Scope::ReadUser])
        );
        assert_eq!(
            message(parse_choice::<&str>(&[], USER).unwrap_err()),
            "Select at least one scope."
        );
        assert_eq!(
            message(parse_choice(&["api", "everything"], USER).unwrap_err()),
            "Unknown scope 'everything'."
        );
    }

    #[test]
    fn sudo_and_admin_mode_are_for_administrators_only() {
        let admin = Offered {
            admin: true,
            ..USER
        };
        for scope in ["sudo", "admin_mode"] {
            let err = parse_choice(&["api", scope], USER).unwrap_err();
            assert!(message(err).contains("Only administrators"), "{scope}");
            assert!(parse_choice(&["api", scope], admin).is_ok());
        }
        let admin_only: Vec<Scope> = Scope::ALL.into_iter().filter(|s| s.admin_only()).collect();
        assert_eq!(admin_only, [Scope::Sudo, Scope::AdminMode]);
    }

    #[test]
    fn registry_scopes_only_while_a_registry_is_enabled() {
        let without = Offered {
            admin: true,
            registry: false,
        };
        for scope in ["read_registry", "write_registry"] {
            assert_eq!(
                message(parse_choice(&["api", scope], without).unwrap_err()),
                format!(
                    "The '{scope}' scope is available only when the container registry is enabled."
                )
            );
            assert!(parse_choice(&[scope], USER).is_ok());
        }
        let offered: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|s| without.includes(*s))
            .collect();
        assert_eq!(offered.len(), 7);
        assert!(!Offered::default().includes(Scope::Sudo));
        assert!(Offered::default().includes(Scope::Api));
    }

    #[test]
    fn stored_form_round_trips_and_tolerates_unknown_names() {
        let scopes = vec![Scope::Api, Scope::ReadRepository];
        assert_eq!(join(&scopes), "api read_repository");
        assert_eq!(split(&join(&scopes)), scopes);
        assert_eq!(split("read_repository future_scope api"), scopes);
    }
}
