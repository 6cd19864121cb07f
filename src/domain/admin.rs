//! Rules of the Admin Area that need no database: admin mode, and which
//! changes an administrator may make to a user (settings: `domain::settings`).

use super::ids::UserId;

/// How long admin mode lasts once an administrator enters it (as GitLab's,
/// six hours).
pub const ADMIN_MODE_SECONDS: i64 = 6 * 3600;

/// Whether an administrator's browser session may do admin work at `now`:
/// always while the instance's admin mode is off; with it on, only within
/// [`ADMIN_MODE_SECONDS`] of re-authenticating (`entered_at`).
pub fn admin_session_allowed(admin_mode_on: bool, entered_at: Option<i64>, now: i64) -> bool {
    !admin_mode_on || entered_at.is_some_and(|at| now >= at && now - at < ADMIN_MODE_SECONDS)
}

/// What an administrator does to a user's account (a form posts its
/// snake_case name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserChange {
    Block,
    Unblock,
    MakeAdmin,
    RemoveAdmin,
}

impl UserChange {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Unblock => "unblock",
            Self::MakeAdmin => "make_admin",
            Self::RemoveAdmin => "remove_admin",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [
            Self::Block,
            Self::Unblock,
            Self::MakeAdmin,
            Self::RemoveAdmin,
        ]
        .into_iter()
        .find(|c| c.as_str() == input)
    }
}

/// The account a change is for, as it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub id: UserId,
    pub is_admin: bool,
    pub blocked: bool,
}

/// Why a change is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// An administrator cannot block themself.
    SelfBlock,
    /// The instance would have no administrator who can sign in.
    LastAdmin,
    /// A blocked user cannot become an administrator.
    Blocked,
    /// The account is already as asked.
    Unchanged,
}

impl Refused {
    pub fn message(self) -> &'static str {
        match self {
            Self::SelfBlock => "You cannot block your own account.",
            Self::LastAdmin => {
                "Forgekey needs at least one administrator who can sign in: make someone else an administrator first."
            }
            Self::Blocked => "Unblock the user before making them an administrator.",
            Self::Unchanged => "The account is already in that state.",
        }
    }
}

/// Checks `change` by administrator `actor_id` (none: the command line)
/// on `target`, given how many
/// *other* unblocked administrators there are. (The database repeats the
/// last-administrator condition in the update itself, so two administrators
/// demoting each other at once cannot both succeed.)
pub fn check_user_change(
    actor_id: Option<UserId>,
    target: Target,
    change: UserChange,
    other_admins: i64,
) -> Result<(), Refused> {
    let removes_an_admin = target.is_admin && !target.blocked;
    match change {
        UserChange::Block if target.blocked => Err(Refused::Unchanged),
        UserChange::Block if Some(target.id) == actor_id => Err(Refused::SelfBlock),
        UserChange::Block if removes_an_admin && other_admins == 0 => Err(Refused::LastAdmin),
        UserChange::Unblock if !target.blocked => Err(Refused::Unchanged),
        UserChange::MakeAdmin if target.is_admin => Err(Refused::Unchanged),
        UserChange::MakeAdmin if target.blocked => Err(Refused::Blocked),
        UserChange::RemoveAdmin if !target.is_admin => Err(Refused::Unchanged),
        UserChange::RemoveAdmin if removes_an_admin && other_admins == 0 => Err(Refused::LastAdmin),
        _ => Ok(()),
    }
}

/// What lowering the token lifetime limit to `max_days` would do now, in
/// words: "A limit of 30 days revokes 2 active tokens of 1 user now, and
/// mails their owners."
pub fn revocation_notice(max_days: i64, tokens: i64, owners: i64) -> String {
    format!(
        "A limit of {max_days} days revokes {tokens} active {} of {owners} {} now, and mails \
         their owners.",
        if tokens == 1 { "token" } else { "tokens" },
        if owners == 1 { "user" } else { "users" },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_notices_count_in_words() {
        assert_eq!(
            revocation_notice(30, 1, 1),
            "A limit of 30 days revokes 1 active token of 1 user now, and mails their owners."
        );
        assert!(revocation_notice(7, 3, 2).contains("revokes 3 active tokens of 2 users now"));
    }

    const ME: i64 = 1;
    const AS_ME: Option<UserId> = Some(UserId(ME));

    fn user(id: i64, is_admin: bool, blocked: bool) -> Target {
        Target {
            id: UserId(id),
            is_admin,
            blocked,
        }
    }

    #[test]
    fn admin_mode_lasts_six_hours_after_re_authentication() {
        let at = 1_000_000;
        assert!(admin_session_allowed(false, None, at));
        assert!(!admin_session_allowed(true, None, at));
        assert!(admin_session_allowed(true, Some(at), at));
        assert!(admin_session_allowed(
            true,
            Some(at),
            at + ADMIN_MODE_SECONDS - 1
        ));
        assert!(!admin_session_allowed(
            true,
            Some(at),
            at + ADMIN_MODE_SECONDS
        ));
        assert!(
            !admin_session_allowed(true, Some(at), at - 1),
            "entered in the future"
        );
    }

    #[test]
    fn changes_parse_from_their_names() {
        for c in [
            UserChange::Block,
            UserChange::Unblock,
            UserChange::MakeAdmin,
            UserChange::RemoveAdmin,
        ] {
            assert_eq!(UserChange::parse(c.as_str()), Some(c));
        }
        assert_eq!(UserChange::parse("delete"), None);
    }

    #[test]
    fn the_last_administrator_stays() {
        let other_admin = user(2, true, false);
        assert_eq!(
            check_user_change(AS_ME, other_admin, UserChange::RemoveAdmin, 0),
            Err(Refused::LastAdmin)
        );
        assert_eq!(
            check_user_change(AS_ME, other_admin, UserChange::Block, 0),
            Err(Refused::LastAdmin)
        );
        assert_eq!(
            check_user_change(AS_ME, user(ME, true, false), UserChange::RemoveAdmin, 0),
            Err(Refused::LastAdmin)
        );
        assert_eq!(
            check_user_change(AS_ME, other_admin, UserChange::RemoveAdmin, 1),
            Ok(())
        );
        assert_eq!(
            check_user_change(AS_ME, user(ME, true, false), UserChange::RemoveAdmin, 1),
            Ok(())
        );
        // A blocked administrator is not one who can sign in: demoting them
        // never leaves the instance without one.
        assert_eq!(
            check_user_change(AS_ME, user(3, true, true), UserChange::RemoveAdmin, 0),
            Ok(())
        );
    }

    #[test]
    fn blocking_rules() {
        assert_eq!(
            check_user_change(AS_ME, user(ME, true, false), UserChange::Block, 5),
            Err(Refused::SelfBlock)
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, false), UserChange::Block, 0),
            Ok(())
        );
        // The command line is nobody: it may block anyone but the last admin.
        assert_eq!(
            check_user_change(None, user(ME, true, false), UserChange::Block, 1),
            Ok(())
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, true), UserChange::Block, 0),
            Err(Refused::Unchanged)
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, true), UserChange::Unblock, 0),
            Ok(())
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, false), UserChange::Unblock, 0),
            Err(Refused::Unchanged)
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, true), UserChange::MakeAdmin, 0),
            Err(Refused::Blocked)
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, false), UserChange::MakeAdmin, 0),
            Ok(())
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, true, false), UserChange::MakeAdmin, 0),
            Err(Refused::Unchanged)
        );
        assert_eq!(
            check_user_change(AS_ME, user(4, false, false), UserChange::RemoveAdmin, 3),
            Err(Refused::Unchanged)
        );
    }
}
