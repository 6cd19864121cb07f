//! What a token's scopes let it do on the REST API, as GitLab decides it:
//! `api` grants everything, `read_api` every read, `read_user` reads of
//! `/user` and `/users…`; the repository and registry scopes grant no REST
//! access, except to the token itself: any token may read and revoke
//! itself (GitLab 15.4+), so a CI job's `read_repository` token can check
//! its own expiry.

use super::ids::UserId;
use super::scope::Scope;

/// Which family of endpoints a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// `/user`, `/users…` and `/version`: readable with `read_user`.
    Users,
    /// Reading or revoking the token presented
    /// (`GET`/`DELETE /personal_access_tokens/self`): any scope.
    OwnToken,
    /// Everything else.
    General,
}

/// A request the token's scopes do not cover, with the scopes that would.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InsufficientScope {
    /// Space-separated, as GitLab's `scope` field.
    pub needed: &'static str,
}

/// Whether a token with `scopes` may make a request that only reads
/// (`read_only`: GET or HEAD) or also writes, in `area`.
pub fn check(scopes: &[Scope], read_only: bool, area: Area) -> Result<(), InsufficientScope> {
    let needed: &[Scope] = match (read_only, area) {
        (_, Area::OwnToken) => return Ok(()),
        (false, _) => &[Scope::Api],
        (true, Area::General) => &[Scope::Api, Scope::ReadApi],
        (true, Area::Users) => &[Scope::Api, Scope::ReadApi, Scope::ReadUser],
    };
    if scopes.iter().any(|s| needed.contains(s)) {
        return Ok(());
    }
    Err(InsufficientScope {
        needed: match (read_only, area) {
            (_, Area::OwnToken) | (false, _) => "api",
            (true, Area::General) => "api read_api",
            (true, Area::Users) => "api read_api read_user",
        },
    })
}

/// What a request does with a token it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenUse {
    Read,
    Rotate,
    Revoke,
}

/// Whether `viewer` (an administrator when `admin`) may read, rotate or
/// revoke a token of `owner` (an impersonation token when
/// `impersonation`), as GitLab decides: an administrator any token; anyone
/// else their own, except revoking an impersonation token, which only an
/// administrator does.
pub fn may_use_token(
    viewer: UserId,
    admin: bool,
    owner: UserId,
    impersonation: bool,
    use_: TokenUse,
) -> bool {
    admin || (owner == viewer && !(impersonation && use_ == TokenUse::Revoke))
}

/// Whether a token of `is_admin`'s user acts as an administrator: with the
/// instance's admin mode on, only if it carries the `admin_mode` scope.
pub fn acts_as_admin(is_admin: bool, admin_mode: bool, scopes: &[Scope]) -> bool {
    is_admin && (!admin_mode || scopes.contains(&Scope::AdminMode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Scope::*;

    #[test]
    fn api_grants_everything() {
        for read_only in [true, false] {
            for area in [Area::Users, Area::General] {
                assert_eq!(check(&[Api], read_only, area), Ok(()));
            }
        }
    }

    #[test]
    fn read_api_grants_reads_only() {
        assert_eq!(check(&[ReadApi], true, Area::General), Ok(()));
        assert_eq!(check(&[ReadApi], true, Area::Users), Ok(()));
        assert_eq!(
            check(&[ReadApi], false, Area::General),
            Err(InsufficientScope { needed: "api" })
        );
    }

    #[test]
    fn read_user_grants_reading_users_only() {
        assert_eq!(check(&[ReadUser], true, Area::Users), Ok(()));
        assert_eq!(
            check(&[ReadUser], true, Area::General),
            Err(InsufficientScope {
                needed: "api read_api"
            })
        );
        assert!(check(&[ReadUser], false, Area::Users).is_err());
    }

    #[test]
    fn repository_registry_and_admin_scopes_grant_no_rest_access() {
        let none = [
            ReadRepository,
            WriteRepository,
            ReadRegistry,
            WriteRegistry,
            Sudo,
            AdminMode,
        ];
        for read_only in [true, false] {
            for area in [Area::Users, Area::General] {
                assert!(
                    check(&none, read_only, area).is_err(),
                    "{read_only} {area:?}"
                );
            }
        }
        assert_eq!(
            check(&none, true, Area::Users),
            Err(InsufficientScope {
                needed: "api read_api read_user"
            })
        );
    }

    #[test]
    fn any_scope_reads_and_revokes_its_own_token() {
        for scope in Scope::ALL {
            for read_only in [true, false] {
                assert_eq!(
                    check(&[scope], read_only, Area::OwnToken),
                    Ok(()),
                    "{scope:?}"
                );
            }
        }
    }

    #[test]
    fn tokens_are_used_by_their_owner_or_an_administrator() {
        let (me, other) = (UserId(1), UserId(2));
        for use_ in [TokenUse::Read, TokenUse::Rotate, TokenUse::Revoke] {
            assert!(may_use_token(me, false, me, false, use_));
            assert!(!may_use_token(me, false, other, false, use_));
            assert!(may_use_token(me, true, other, true, use_));
        }
        // One's own impersonation token: read and rotated, not revoked.
        assert!(may_use_token(me, false, me, true, TokenUse::Read));
        assert!(may_use_token(me, false, me, true, TokenUse::Rotate));
        assert!(!may_use_token(me, false, me, true, TokenUse::Revoke));
    }

    #[test]
    fn admin_mode_needs_the_admin_mode_scope() {
        let api = [Scope::Api];
        let with_mode = [Scope::Api, Scope::AdminMode];
        assert!(acts_as_admin(true, false, &api));
        assert!(!acts_as_admin(true, true, &api));
        assert!(acts_as_admin(true, true, &with_mode));
        assert!(!acts_as_admin(false, false, &with_mode));
        assert!(!acts_as_admin(false, true, &with_mode));
    }
}
