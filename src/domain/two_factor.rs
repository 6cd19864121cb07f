//! Two-factor authentication rules: TOTP codes (RFC 6238, what
//! authenticator apps expect), recovery codes, the lock on the second
//! sign-in step, and the gate on password authentication for non-browser
//! clients. The caller passes the time (unix seconds) and random bytes.

use totp_rs::{Algorithm, TOTP};

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per TOTP code.
pub const DIGITS: usize = 6;
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// The issuer authenticator apps show.
pub const ISSUER: &str = "Forgekey";
/// Recovery codes issued at once.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes per recovery code (shown as 16 hexadecimal characters).
pub const RECOVERY_CODE_BYTES: usize = 8;
/// How long a password-verified sign-in waits for its second step.
pub const PENDING_SIGN_IN_SECONDS: i64 = 5 * 60;
/// How long a re-entered password allows sensitive two-factor changes.
pub const REAUTH_SECONDS: i64 = 10 * 60;

/// A user's authenticator: their secret and the name apps show for it.
pub struct Authenticator(TOTP);

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authenticator(..)")
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRejected {
    /// Not six digits.
    Malformed,
    /// No code of the current or the previous step.
    Wrong,
    /// A code of a step already used (or older): replay.
    Replayed,
}

impl Authenticator {
    /// `secret` must be `SECRET_BYTES` long; `account` is the username.
    pub fn new(secret: &[u8], account: &str) -> Option<Self> {
        if secret.len() != SECRET_BYTES {
            return None;
        }
        // The otpauth label separates issuer and account with a colon.
        let account = account.replace(':', "_");
        TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            0,
            STEP_SECONDS as u64,
            secret.to_vec(),
            Some(ISSUER.to_owned()),
            account,
        )
        .ok()
        .map(Self)
    }

    /// The `otpauth://` URI a QR code carries.
    pub fn uri(&self) -> String {
        self.0.get_url()
    }

    /// The secret in base32, in groups of four, for typing into an app.
    pub fn manual_key(&self) -> String {
        let key = self.0.get_secret_base32();
        key.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The code of the step containing `now`.
    pub fn code_at(&self, now: i64) -> String {
        self.0.generate(now.max(0) as u64)
    }

    /// Checks `code` at `now`. Codes of the current step and the one before
    /// it pass (clock drift); a code of a step at or before `last_step`
    /// (the last one accepted) is a replay. Returns the step to store.
    pub fn verify(
        &self,
        code: &str,
        now: i64,
        last_step: Option<i64>,
    ) -> Result<i64, CodeRejected> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeRejected::Malformed);
        }
        let current = now.div_euclid(STEP_SECONDS);
        // Both candidates are always computed and compared in constant time.
        let matched = [current, current - 1]
            .into_iter()
            .filter(|step| *step >= 0)
            .map(|step| {
                (
                    step,
                    constant_time_eq(&self.code_at(step * STEP_SECONDS), &code),
                )
            })
            .fold(None, |found, (step, hit)| found.or(hit.then_some(step)));
        match matched {
            None => Err(CodeRejected::Wrong),
            Some(step) if last_step.is_some_and(|last| step <= last) => Err(CodeRejected::Replayed),
            Some(step) => Ok(step),
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A recovery code as shown to the user: 16 lower-case hex characters.
pub fn recovery_code(bytes: &[u8; RECOVERY_CODE_BYTES]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a typed recovery code is compared as: spaces and dashes dropped,
/// lower case; `None` if it cannot be a recovery code.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == RECOVERY_CODE_BYTES * 2 && code.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(code)
}

/// Whether a typed second-step answer looks like a TOTP code (six digits)
/// rather than a recovery code.
pub fn looks_like_totp(input: &str) -> bool {
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Why a username and password may not authenticate a non-browser client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefused {
    /// The user has two-factor authentication on: only tokens work.
    TwoFactorEnabled,
    /// The instance does not allow passwords for this kind of client.
    PasswordsDisabled,
}

impl PasswordRefused {
    /// What the client shows (git prints it), GitLab's words; `base_url`
    /// is where Forgekey is reached.
    pub fn message(&self, base_url: &str) -> String {
        let reason = match self {
            Self::TwoFactorEnabled => "You have 2FA enabled, so",
            Self::PasswordsDisabled => "Password authentication is disabled on this instance, so",
        };
        format!(
            "HTTP Basic: Access denied. {reason} you must use a personal access token with \
             'read_repository' or 'write_repository' scope for Git over HTTP. You can generate \
             one at {}/-/user_settings/personal_access_tokens",
            base_url.trim_end_matches('/')
        )
    }
}

/// The single rule for a correct password used by a non-browser client
/// (Git over HTTP, anything later): allowed only while the instance allows
/// passwords there and the user has no second factor to skip.
pub fn password_gate(
    two_factor_enabled: bool,
    passwords_allowed: bool,
) -> Result<(), PasswordRefused> {
    if two_factor_enabled {
        Err(PasswordRefused::TwoFactorEnabled)
    } else if !passwords_allowed {
        Err(PasswordRefused::PasswordsDisabled)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8; 20] = b"12345678901234567890";

    fn rfc() -> Authenticator {
        Authenticator::new(RFC_SECRET, "alice").unwrap()
    }

    #[test]
    fn rfc_6238_test_vectors() {
        // The RFC's 8-digit values, of which apps show the last six.
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        for (time, expected) in vectors {
            assert_eq!(rfc().code_at(time), expected[2..], "T = {time}");
        }
    }

    #[test]
    fn current_and_previous_step_pass_others_fail() {
        let a = rfc();
        let now = 1_111_111_111; // step 37_037_037, 1 s into it
        let step = now / STEP_SECONDS;
        let at = |s: i64| a.code_at(s * STEP_SECONDS);
        assert_eq!(a.verify(&at(step), now, None), Ok(step));
        assert_eq!(a.verify(&at(step - 1), now, None), Ok(step - 1));
        assert_eq!(a.verify(&at(step - 2), now, None), Err(CodeRejected::Wrong));
        assert_eq!(a.verify(&at(step + 1), now, None), Err(CodeRejected::Wrong));
        assert_eq!(a.verify(&at(step + 2), now, None), Err(CodeRejected::Wrong));
        // Spaces as apps show them are fine; anything else is malformed.
        let spaced = format!("{} {}", &at(step)[..3], &at(step)[3..]);
        assert_eq!(a.verify(&spaced, now, None), Ok(step));
        assert_eq!(a.verify("12345", now, None), Err(CodeRejected::Malformed));
        assert_eq!(a.verify("12345a", now, None), Err(CodeRejected::Malformed));
        assert_eq!(a.verify("", now, None), Err(CodeRejected::Malformed));
    }

    #[test]
    fn replay_of_an_accepted_step_fails() {
        let a = rfc();
        let now = 1_111_111_111;
        let step = now / STEP_SECONDS;
        let code = a.code_at(now);
        let accepted = a.verify(&code, now, None).unwrap();
        assert_eq!(
            a.verify(&code, now, Some(accepted)),
            Err(CodeRejected::Replayed)
        );
        // Still a replay in the next step, where it counts as the previous.
        assert_eq!(
            a.verify(&code, now + STEP_SECONDS, Some(accepted)),
            Err(CodeRejected::Replayed)
        );
        // After using the current step, the previous step's code is old.
        let previous = a.code_at(now - STEP_SECONDS);
        assert_eq!(
            a.verify(&previous, now, Some(step)),
            Err(CodeRejected::Replayed)
        );
        // The next step's code is fresh.
        let next = a.code_at(now + STEP_SECONDS);
        assert_eq!(
            a.verify(&next, now + STEP_SECONDS, Some(step)),
            Ok(step + 1)
        );
    }

    #[test]
    fn uri_and_manual_key_are_what_apps_expect() {
        let a = Authenticator::new(RFC_SECRET, "alice").unwrap();
        assert_eq!(
            a.uri(),
            "otpauth://totp/Forgekey:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Forgekey"
        );
        assert_eq!(a.manual_key(), "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
        assert!(Authenticator::new(&RFC_SECRET[..16], "alice").is_none());
    }

    #[test]
    fn recovery_codes_are_normalised() {
        let code = recovery_code(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 0xff]);
        assert_eq!(code, "deadbeef000102ff");
        assert_eq!(
            normalize_recovery_code(" DEAD-BEEF 0001-02FF ").as_deref(),
            Some("deadbeef000102ff")
        );
        assert_eq!(normalize_recovery_code("deadbeef000102f"), None);
        assert_eq!(normalize_recovery_code("deadbeef000102fg"), None);
        assert!(looks_like_totp("123 456"));
        assert!(!looks_like_totp("deadbeef000102ff"));
    }

    #[test]
    fn the_password_gate() {
        assert_eq!(password_gate(false, true), Ok(()));
        assert_eq!(
            password_gate(true, true),
            Err(PasswordRefused::TwoFactorEnabled)
        );
        assert_eq!(
            password_gate(true, false),
            Err(PasswordRefused::TwoFactorEnabled)
        );
        assert_eq!(
            password_gate(false, false),
            Err(PasswordRefused::PasswordsDisabled)
        );
        let hint = PasswordRefused::TwoFactorEnabled.message("https://forge.example/");
        assert!(hint.contains("2FA enabled"), "{hint}");
        assert!(hint.ends_with(
            "generate one at https://forge.example/-/user_settings/personal_access_tokens"
        ));
    }
}
