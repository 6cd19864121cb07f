//! Account rules: what a valid username, email address and password are.

use super::{DomainError, FieldError};

pub const USERNAME_MIN: usize = 2;
pub const USERNAME_MAX: usize = 255;
pub const EMAIL_MAX: usize = 255;
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 1024;

/// Checks a username: 2–255 characters of ASCII letters, digits, `_`, `-`
/// and `.`, not starting with `-`.
pub fn validate_username(username: &str) -> Result<(), FieldError> {
    let len = username.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&len) {
        return Err(FieldError::new(
            "username",
            format!("Username must be {USERNAME_MIN} to {USERNAME_MAX} characters long."),
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(FieldError::new(
            "username",
            "Username can contain only letters, digits, '_', '-' and '.'.",
        ));
    }
    if username.starts_with('-') {
        return Err(FieldError::new(
            "username",
            "Username cannot start with '-'.",
        ));
    }
    let lower = username.to_ascii_lowercase();
    if lower.ends_with(".git") || lower.ends_with(".atom") {
        return Err(FieldError::new(
            "username",
            "Username cannot end in '.git' or '.atom'.",
        ));
    }
    if RESERVED_USERNAMES.contains(&lower.as_str()) {
        return Err(FieldError::new(
            "username",
            format!("'{username}' is reserved. Choose another username."),
        ));
    }
    Ok(())
}

/// Names a user may not take, in any case: GitLab's top-level routes (so
/// that a user's page or projects never hide one, and names stay portable
/// between the two) and Forgekey's own.
pub const RESERVED_USERNAMES: &[&str] = &[
    ".well-known",
    "404.html",
    "422.html",
    "500.html",
    "502.html",
    "503.html",
    "admin",
    "api",
    "apple-touch-icon.png",
    "assets",
    "dashboard",
    "deploy.html",
    "explore",
    "favicon.ico",
    "favicon.png",
    "files",
    "groups",
    "health_check",
    "help",
    "import",
    "jwt",
    "login",
    "oauth",
    "profile",
    "projects",
    "public",
    "robots.txt",
    "s",
    "search",
    "sitemap",
    "sitemap.xml",
    "sitemap.xml.gz",
    "slash-command-logo.png",
    "snippets",
    "unsubscribes",
    "uploads",
    "users",
    "v2",
    "_fn",
    "pkg",
    "..",
];

/// Checks that an email address looks like one.
pub fn validate_email(email: &str) -> Result<(), FieldError> {
    if email.is_empty() {
        return Err(FieldError::new("email", "Email can't be blank."));
    }
    if email.chars().count() > EMAIL_MAX {
        return Err(FieldError::new(
            "email",
            format!("Email must be at most {EMAIL_MAX} characters long."),
        ));
    }
    // A dot in the domain keeps out addresses like `a@localhost` that no
    // mail server of a self-hosted forge's users would accept.
    let looks_valid = email_address::EmailAddress::is_valid(email)
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'));
    if !looks_valid {
        return Err(FieldError::new(
            "email",
            "Email is not a valid email address.",
        ));
    }
    Ok(())
}

/// Checks a new password's length (in characters, as a person counts).
pub fn validate_password(password: &str, field: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(FieldError::new(
            field,
            format!("Password is too short (minimum is {PASSWORD_MIN} characters)."),
        ));
    }
    if len > PASSWORD_MAX {
        return Err(FieldError::new(
            field,
            format!("Password is too long (maximum is {PASSWORD_MAX} characters)."),
        ));
    }
    Ok(())
}

/// How long a "Forgot your password?" link works: an hour.
pub const RESET_LINK_SECONDS: i64 = 3600;
/// One account is mailed a new link at most this often: a flood of
/// requests for it sends one mail.
pub const RESET_RESEND_SECONDS: i64 = 60;
/// Reset requests one client address may make an hour.
pub const RESET_REQUESTS_PER_HOUR: u32 = 5;
/// What starts a reset link's secret (its own, so that a reset link is
/// never mistaken for a token).
pub const RESET_PREFIX: &str = "fkrst-";

/// What a reset link that does not work (any more) says.
pub const RESET_LINK_REFUSED: &str =
    "This link to reset your password is not valid: it was used already, or it expired. Ask for a new one.";

/// Whether a reset link made before `latest` (if any) leaves room for a
/// new one at `now`.
pub fn may_mail_reset_link(latest: Option<i64>, now: i64) -> bool {
    latest.is_none_or(|at| now - at >= RESET_RESEND_SECONDS)
}

/// Whether a reset link that expires at `expires_at` and was used at
/// `used_at` (if ever) still works at `now`.
pub fn reset_link_works(expires_at: i64, used_at: Option<i64>, now: i64) -> bool {
    used_at.is_none() && now < expires_at
}

/// A new password and its confirmation, as every form that sets one asks
/// for them: all problems at once.
pub fn check_new_password(
    password: &str,
    password_field: &str,
    confirmation: &str,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(e) = validate_password(password, password_field) {
        errors.push(e);
    }
    if password != confirmation {
        errors.push(FieldError::new(
            "password_confirmation",
            "Password confirmation doesn't match the new password.",
        ));
    }
    errors
}

/// A sign-up request whose fields all passed their rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
}

impl NewAccount {
    /// Validates every field at once, so a form shows all its errors together.
    /// Surrounding white space of username and email is dropped; the password
    /// is taken exactly as typed.
    pub fn parse(username: &str, email: &str, password: &str) -> Result<Self, DomainError> {
        let username = username.trim();
        let email = email.trim();
        let errors: Vec<FieldError> = [
            validate_username(username),
            validate_email(email),
            validate_password(password, "password"),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        if errors.is_empty() {
            Ok(Self {
                username: username.to_owned(),
                email: email.to_owned(),
            })
        } else {
            Err(DomainError::Invalid(errors))
        }
    }
}

/// The key under which usernames and emails are unique: case-insensitive.
pub fn unique_key(value: &str) -> String {
    value.trim().to_lowercase()
}

#[cfg(test)]
mod reset_tests {
    use super::*;

    #[test]
    fn a_reset_link_works_once_for_an_hour() {
        let made = 1_000_000;
        let expires = made + RESET_LINK_SECONDS;
        assert!(reset_link_works(expires, None, made));
        assert!(reset_link_works(expires, None, expires - 1));
        assert!(!reset_link_works(expires, None, expires));
        assert!(!reset_link_works(expires, Some(made + 5), made + 6));
    }

    #[test]
    fn an_account_gets_one_link_a_minute() {
        assert!(may_mail_reset_link(None, 100));
        assert!(!may_mail_reset_link(
            Some(100),
            100 + RESET_RESEND_SECONDS - 1
        ));
        assert!(may_mail_reset_link(Some(100), 100 + RESET_RESEND_SECONDS));
    }

    #[test]
    fn a_new_password_is_checked_with_its_confirmation() {
        assert!(check_new_password("long enough", "password", "long enough").is_empty());
        let fields: Vec<String> = check_new_password("short", "password", "other")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["password", "password_confirmation"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["ab", "alice", "a.b-c_d", "A1", "x".repeat(255).as_str()] {
            assert_eq!(validate_username(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a",
            "-ab",
            "a b",
            "admin",
            "API",
            "Users",
            "help",
            "..",
            "tools.git",
            "feed.ATOM",
            "al/ce",
            "ümlaut",
            "x".repeat(256).as_str(),
        ] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@example.com", "first.last+tag@sub.example.org"] {
            assert_eq!(validate_email(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "a@",
            "@example.com",
            "a@localhost",
            "a b@example.com",
            "a@example.",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(validate_email(&long).is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(validate_password("1234567", "password").is_err());
        assert_eq!(validate_password("12345678", "password"), Ok(()));
        assert_eq!(validate_password(&"é".repeat(1024), "password"), Ok(()));
        assert!(validate_password(&"é".repeat(1025), "password").is_err());
    }

    #[test]
    fn new_account_reports_every_field() {
        let Err(DomainError::Invalid(errors)) = NewAccount::parse("-x", "nope", "short") else {
            panic!("expected errors");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "password"]);
    }

    #[test]
    fn new_account_trims_but_keeps_password() {
        let account = NewAccount::parse("  alice ", " alice@example.com ", " pass word ").unwrap();
        assert_eq!(account.username, "alice");
        assert_eq!(account.email, "alice@example.com");
    }

    #[test]
    fn unique_key_is_case_insensitive() {
        assert_eq!(unique_key("Alice"), unique_key("aLICE"));
        assert_eq!(unique_key(" Bob@Example.COM "), "bob@example.com");
    }
}
