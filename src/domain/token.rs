//! Personal access tokens: the secret's format, its digest, and the rules
//! for a new token's name, scopes and expiry date.
//!
//! A secret is `<prefix><random><checksum>`: the prefix (`fkpat-` by
//! default) lets people and secret scanners recognise a Forgekey token; the
//! random part is 256 bits from the caller's CSPRNG as 43 base62
//! characters; the checksum is the CRC32 of everything before it, as 6
//! base62 characters, so a mistyped or invented string is refused by its
//! shape alone, before any database lookup.

use super::lifetime::LifetimePolicy;
use super::network::AllowList;
use super::project::ProjectSet;
use super::scope::{self, Scope};
use super::{DomainError, FieldError};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use time::{Date, OffsetDateTime};

pub const DEFAULT_PREFIX: &str = "fkpat-";
/// Random bytes behind one secret.
pub const RANDOM_BYTES: usize = 32;
/// 62^43 > 2^256, so 43 base62 digits hold any 32 bytes.
const RANDOM_LEN: usize = 43;
/// 62^6 > 2^32, so 6 digits hold any CRC32.
const CHECKSUM_LEN: usize = 6;
const PREFIX_MAX: usize = 20;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub const NAME_MAX: usize = 255;

/// The longest description a token may carry (GitLab 17.7's limit).
pub const DESCRIPTION_MAX: usize = 255;

/// Is this a prefix a secret may start with? Lowercase letters, digits,
/// `-` and `_`, at most 20 characters.
pub fn valid_prefix(prefix: &str) -> bool {
    prefix.len() <= PREFIX_MAX
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Writes `bytes` (a big-endian number) as exactly `len` base62 digits.
fn base62(bytes: &[u8], len: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = vec![b'0'; len];
    for slot in digits.iter_mut().rev() {
        // Long division of `number` by 62; the remainder is the next digit.
        let mut rem: u32 = 0;
        for byte in number.iter_mut() {
            let acc = (rem << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            rem = acc % 62;
        }
        *slot = ALPHABET[rem as usize];
    }
    debug_assert!(number.iter().all(|&b| b == 0), "{len} digits are too few");
    digits.into_iter().map(char::from).collect()
}

/// The CRC32 of `body` as 6 base62 digits (no allocation: every API
/// request checks one).
fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body.as_bytes());
    let mut digits = [b'0'; CHECKSUM_LEN];
    for slot in digits.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    digits
}

/// A new secret from `random` (which must come from a CSPRNG).
pub fn format_secret(prefix: &str, random: &[u8; RANDOM_BYTES]) -> String {
    debug_assert!(valid_prefix(prefix));
    let mut secret = String::with_capacity(prefix.len() + RANDOM_LEN + CHECKSUM_LEN);
    secret.push_str(prefix);
    secret.push_str(&base62(random, RANDOM_LEN));
    let sum = checksum(&secret);
    secret.extend(sum.iter().map(|&b| char::from(b)));
    secret
}

/// Why a string cannot be a token. Deliberately vague towards callers: all
/// of them mean "not a valid token".
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("wrong length")]
    Length,
    #[error("bad prefix")]
    Prefix,
    #[error("not base62")]
    Alphabet,
    #[error("checksum mismatch")]
    Checksum,
}

/// Checks a presented secret's shape and checksum, whatever prefix it was
/// issued with (the prefix may be changed later; old tokens keep working).
pub fn check_shape(secret: &str) -> Result<(), Malformed> {
    let tail = RANDOM_LEN + CHECKSUM_LEN;
    if !secret.is_ascii() || secret.len() < tail || secret.len() > tail + PREFIX_MAX {
        return Err(Malformed::Length);
    }
    let (prefix, rest) = secret.split_at(secret.len() - tail);
    if !valid_prefix(prefix) {
        return Err(Malformed::Prefix);
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Malformed::Alphabet);
    }
    let (body, sum) = secret.split_at(secret.len() - CHECKSUM_LEN);
    if checksum(body) != sum.as_bytes() {
        return Err(Malformed::Checksum);
    }
    Ok(())
}

/// What a string presented as somebody's token is, before any lookup (the
/// administrators' token information API answers each differently, as
/// GitLab's does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recognized {
    /// Shaped like a secret, checksum and all: worth looking up.
    Secret,
    /// Claims to be ours (our prefix) but cannot be one: no such token.
    Impossible,
    /// Not a kind of token Forgekey issues.
    Foreign,
}

/// Sorts a presented string (see [`Recognized`]).
pub fn recognize(presented: &str) -> Recognized {
    if check_shape(presented).is_ok() {
        Recognized::Secret
    } else if presented.starts_with(DEFAULT_PREFIX) {
        Recognized::Impossible
    } else {
        Recognized::Foreign
    }
}

/// The keyed digest stored in place of a secret: HMAC-SHA-256 under the
/// server secret. Deliberately not `Serialize`, and `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

/// The HMAC key of token digests, set up once (keying HMAC costs as much
/// as hashing a short secret, and every API request digests one).
#[derive(Clone)]
pub struct DigestKey(Hmac<Sha256>);

impl DigestKey {
    pub fn new(key: &[u8]) -> Self {
        // HMAC takes keys of any length.
        Self(<Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
    }

    pub fn digest(&self, secret: &str) -> TokenDigest {
        let mut mac = self.0.clone();
        mac.update(secret.as_bytes());
        TokenDigest(mac.finalize().into_bytes().into())
    }
}

impl fmt::Debug for DigestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DigestKey(..)")
    }
}

impl TokenDigest {
    pub fn of(key: &[u8], secret: &str) -> Self {
        DigestKey::new(key).digest(secret)
    }

    /// Lower-case hex, as stored.
    pub fn to_hex(&self) -> String {
        use fmt::Write;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// A token stops working at 00:00 UTC on its expiry date.
pub fn expires_at(expires_on: Date) -> OffsetDateTime {
    expires_on.midnight().assume_utc()
}

/// Where a token stands at an instant. Decided here alone: the pages, the
/// API, the command line, the cache and the jobs all ask this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Active,
    /// Past 00:00 UTC of its expiry date (the instant is that midnight).
    Expired {
        at: i64,
    },
    /// Revoked (also once a rotation replaced it), whatever its expiry.
    Revoked {
        at: i64,
    },
}

impl TokenState {
    /// The state at `now` (unix seconds) of a token that expires at
    /// `expires_at` (00:00 UTC of its expiry date; `None`: never) and was
    /// revoked at `revoked_at`.
    pub fn at(now: i64, expires_at: Option<i64>, revoked_at: Option<i64>) -> Self {
        match (revoked_at, expires_at) {
            (Some(at), _) => Self::Revoked { at },
            (None, Some(at)) if now >= at => Self::Expired { at },
            _ => Self::Active,
        }
    }

    /// The state that decides whether a request may authenticate with a
    /// token: [`TokenState::at`], except that a token rotated away (at
    /// `rotated_at`) is not revoked yet inside its overlap window
    /// ([`in_rotation_overlap`]); its expiry still counts.
    pub fn for_authentication(
        now: i64,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
        rotated_at: Option<i64>,
    ) -> Self {
        let revoked_at = revoked_at.filter(|_| !in_rotation_overlap(now, rotated_at, revoked_at));
        Self::at(now, expires_at, revoked_at)
    }

    pub fn is_active(self) -> bool {
        self == Self::Active
    }

    pub fn is_revoked(self) -> bool {
        matches!(self, Self::Revoked { .. })
    }

    /// Whether a request may authenticate with it: never once revoked; past
    /// its expiry only while administrators do not enforce expiry (GitLab's
    /// "expiry enforcement" setting).
    pub fn authenticates(self, expiry_enforced: bool) -> bool {
        match self {
            Self::Active => true,
            Self::Expired { .. } => !expiry_enforced,
            Self::Revoked { .. } => false,
        }
    }

    /// `active`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired { .. } => "expired",
            Self::Revoked { .. } => "revoked",
        }
    }
}

/// Whether a request to `path` rotates a token (`…access_tokens/<id or
/// self>/rotate`, as GitLab's reuse detection matches it). Only there does
/// presenting a token that was rotated away revoke its whole family: a
/// stale copy used anywhere else is a plain 401 and the newest token of
/// the family keeps working.
pub fn is_rotation_path(path: &str) -> bool {
    let Some(rest) = path.strip_suffix("/rotate") else {
        return false;
    };
    let Some((before, target)) = rest.rsplit_once('/') else {
        return false;
    };
    let target_ok =
        target == "self" || (!target.is_empty() && target.bytes().all(|b| b.is_ascii_digit()));
    target_ok && before.ends_with("access_tokens")
}

/// The longest a rotated-away secret may keep working beside its
/// successor: a day.
pub const ROTATION_OVERLAP_MAX_MINUTES: i64 = 24 * 60;

/// The overlaps a person picks from on the Access Tokens page, in minutes
/// (the API takes any number of minutes up to a day).
pub const ROTATION_OVERLAP_CHOICES: [(i64, &str); 6] = [
    (0, "None: the old secret stops at once"),
    (15, "15 minutes"),
    (60, "1 hour"),
    (4 * 60, "4 hours"),
    (12 * 60, "12 hours"),
    (24 * 60, "24 hours"),
];

/// How long, in seconds, a rotated-away secret keeps working (Forgekey's
/// overlap window, so a fleet can roll over without an outage): `minutes`
/// as typed, empty meaning 0 (GitLab's behaviour: at once), at most a day.
pub fn parse_rotation_overlap(minutes: &str) -> Result<i64, DomainError> {
    let minutes = minutes.trim();
    if minutes.is_empty() {
        return Ok(0);
    }
    match minutes.parse::<i64>() {
        Ok(m) if (0..=ROTATION_OVERLAP_MAX_MINUTES).contains(&m) => Ok(m * 60),
        _ => Err(DomainError::field(
            "overlap_minutes",
            format!(
                "The overlap must be a whole number of minutes from 0 to \
                 {ROTATION_OVERLAP_MAX_MINUTES} (24 hours)."
            ),
        )),
    }
}

/// Whether a token rotated away at `rotated_at` still authenticates at
/// `now`: rotation marks it revoked at the end of its overlap window, so
/// it works until then (and never past its own expiry, which is checked as
/// for any token). Outside the window a rotated-away token is refused, and
/// presenting it to rotate revokes its family (reuse detection).
pub fn in_rotation_overlap(now: i64, rotated_at: Option<i64>, revoked_at: Option<i64>) -> bool {
    rotated_at.is_some() && revoked_at.is_some_and(|end| now < end)
}

/// What a new token is asked for with, as typed ([`NewToken::parse`]
/// checks it).
#[derive(Clone, Copy, Debug)]
pub struct Request<'a, S> {
    pub name: &'a str,
    /// Empty: none.
    pub description: &'a str,
    /// `YYYY-MM-DD`; empty: what the policy gives (`LifetimePolicy`).
    pub expires_on: &'a str,
    pub scopes: &'a [S],
    /// Addresses and ranges ([`AllowList::parse`]); empty: anywhere.
    pub allowed_ips: &'a str,
    /// Projects as `namespace/path` (`project::parse_paths`; which exist
    /// is the service's to say); empty: every project.
    pub projects: &'a str,
}

/// What a person asked for, checked: the only way to make a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    /// What it is for, in the owner's words (GitLab 17.7).
    pub description: Option<String>,
    pub scopes: Vec<Scope>,
    /// `None`: never expires (only where the policy allows it).
    pub expires_on: Option<Date>,
    /// Where it may be used from; empty: anywhere.
    pub allowed_ips: AllowList,
}

impl NewToken {
    /// Checks every field and reports all problems at once.
    pub fn parse<S: AsRef<str>>(
        request: Request<'_, S>,
        offered: scope::Offered,
        today: Date,
        policy: &LifetimePolicy,
    ) -> Result<Self, DomainError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let name = parse_name(request.name)
            .map_err(|e| errors.extend(fields(e)))
            .ok();
        let description = parse_description(request.description)
            .map_err(|e| errors.extend(fields(e)))
            .ok();
        let expires_on = policy
            .parse_optional_expiry(request.expires_on, today)
            .map_err(|e| errors.extend(fields(e)))
            .ok();
        let scopes = scope::parse_choice(request.scopes, offered)
            .map_err(|e| errors.extend(fields(e)))
            .ok();
        let allowed_ips = AllowList::parse(request.allowed_ips)
            .map_err(|e| errors.extend(fields(e)))
            .ok();
        match (name, description, expires_on, scopes, allowed_ips) {
            (Some(name), Some(description), Some(expires_on), Some(scopes), Some(allowed_ips))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    description,
                    scopes,
                    expires_on,
                    allowed_ips,
                })
            }
            _ => Err(DomainError::Invalid(errors)),
        }
    }
}

/// A change to a token, as typed; each `None` keeps what it has.
#[derive(Clone, Copy, Debug, Default)]
pub struct Edit<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `YYYY-MM-DD`; empty: what a new token's empty date means.
    pub expires_on: Option<&'a str>,
    pub scopes: Option<&'a [String]>,
    pub allowed_ips: Option<&'a str>,
    /// Resolved by the service from what was typed.
    pub projects: Option<&'a ProjectSet>,
}

/// What a token is now, the part an edit may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Editable {
    pub name: String,
    pub description: Option<String>,
    pub expires_on: Option<Date>,
    pub scopes: Vec<Scope>,
    pub allowed_ips: AllowList,
    pub projects: ProjectSet,
}

impl Editable {
    /// `self` changed by `edit`, checked (every problem at once). Name and
    /// description change freely, and the expiry within the instance's
    /// limit (as a new token's); scopes and allowed addresses only narrow:
    /// more access needs a new token, so whoever holds the secret never
    /// gains by an edit.
    pub fn edit(
        &self,
        edit: Edit<'_>,
        today: Date,
        policy: &LifetimePolicy,
    ) -> Result<Self, DomainError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut check = |r: Result<(), DomainError>| {
            if let Err(e) = r {
                errors.extend(fields(e));
            }
        };
        let mut next = self.clone();
        if let Some(name) = edit.name {
            check(parse_name(name).map(|n| next.name = n));
        }
        if let Some(description) = edit.description {
            check(parse_description(description).map(|d| next.description = d));
        }
        if let Some(date) = edit.expires_on {
            check(
                policy
                    .parse_optional_expiry(date, today)
                    .map(|d| next.expires_on = d),
            );
        }
        if let Some(typed) = edit.scopes {
            check(narrower_scopes(&self.scopes, typed).map(|s| next.scopes = s));
        }
        if let Some(typed) = edit.allowed_ips {
            check(AllowList::parse(typed).and_then(|list| {
                if list.is_within(&self.allowed_ips) {
                    next.allowed_ips = list;
                    Ok(())
                } else {
                    Err(DomainError::field(
                        "allowed_ips",
                        format!(
                            "Allowed addresses can only be narrowed (now: {}). Create a new token \
                             to allow more.",
                            self.allowed_ips.entries().join(", ")
                        ),
                    ))
                }
            }));
        }
        if let Some(projects) = edit.projects {
            if projects.is_within(&self.projects) {
                next.projects = projects.clone();
            } else {
                errors.push(FieldError::new(
                    "projects",
                    "Projects can only be removed. Create a new token to reach others.",
                ));
            }
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(DomainError::Invalid(errors))
        }
    }
}

/// `field: old → new` for each part an edit changed, for the audit log.
pub fn describe_edit(old: &Editable, new: &Editable) -> String {
    let mut changes = Vec::new();
    if old.name != new.name {
        changes.push(format!("name: {} → {}", old.name, new.name));
    }
    if old.description != new.description {
        changes.push("description changed".to_owned());
    }
    let date = |d: Option<Date>| d.map_or("never".to_owned(), super::lifetime::iso);
    if old.expires_on != new.expires_on {
        changes.push(format!(
            "expires: {} → {}",
            date(old.expires_on),
            date(new.expires_on)
        ));
    }
    if old.scopes != new.scopes {
        changes.push(format!(
            "scopes: {} → {}",
            scope::join(&old.scopes),
            scope::join(&new.scopes)
        ));
    }
    if old.allowed_ips != new.allowed_ips {
        let list = |l: &AllowList| {
            if l.is_empty() {
                "anywhere".to_owned()
            } else {
                l.to_string()
            }
        };
        changes.push(format!(
            "allowed addresses: {} → {}",
            list(&old.allowed_ips),
            list(&new.allowed_ips)
        ));
    }
    if old.projects != new.projects {
        changes.push("projects narrowed".to_owned());
    }
    if changes.is_empty() {
        "nothing changed".to_owned()
    } else {
        changes.join("; ")
    }
}

/// `typed`, a choice among the scopes a token has: at least one, none it
/// lacks.
fn narrower_scopes(current: &[Scope], typed: &[String]) -> Result<Vec<Scope>, DomainError> {
    let invalid = |message: String| DomainError::field("scopes", message);
    let mut chosen = Vec::new();
    for name in typed {
        let scope: Scope = name
            .trim()
            .parse()
            .map_err(|_| invalid(format!("Unknown scope '{}'.", name.trim())))?;
        if !current.contains(&scope) {
            return Err(invalid(format!(
                "Scopes can only be removed: the token does not have {scope}. Create a new token \
                 for more access."
            )));
        }
        if !chosen.contains(&scope) {
            chosen.push(scope);
        }
    }
    if chosen.is_empty() {
        return Err(invalid("Select at least one scope.".to_owned()));
    }
    // In the order the token lists them.
    Ok(current
        .iter()
        .copied()
        .filter(|s| chosen.contains(s))
        .collect())
}

fn fields(e: DomainError) -> Vec<FieldError> {
    match e {
        DomainError::Invalid(fields) => fields,
    }
}

/// A token's name: required, at most 255 characters, trimmed.
pub fn parse_name(name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::field("name", "Enter a name for the token."));
    }
    if name.chars().count() > NAME_MAX {
        return Err(DomainError::field(
            "name",
            format!("The name is too long (at most {NAME_MAX} characters)."),
        ));
    }
    if super::text::has_unsafe_chars(name) {
        return Err(DomainError::field(
            "name",
            "The name cannot contain control or text-direction characters.",
        ));
    }
    Ok(name.to_owned())
}

/// A token's description: optional (empty is none), at most
/// [`DESCRIPTION_MAX`] characters, trimmed; lines may break, but no other
/// control or text-direction character is allowed.
pub fn parse_description(description: &str) -> Result<Option<String>, DomainError> {
    let description = description.trim().replace("\r\n", "\n");
    if description.is_empty() {
        return Ok(None);
    }
    if description.chars().count() > DESCRIPTION_MAX {
        return Err(DomainError::field(
            "description",
            format!("The description is too long (at most {DESCRIPTION_MAX} characters)."),
        ));
    }
    if description.split('\n').any(super::text::has_unsafe_chars) {
        return Err(DomainError::field(
            "description",
            "The description cannot contain control or text-direction characters.",
        ));
    }
    Ok(Some(description))
}

/// How many days before its expiry a token is said to expire soon (GitLab's
/// `PersonalAccessToken::DAYS_TO_EXPIRE`): the list marks it, and its
/// "expiring soon" filter finds it.
pub const EXPIRES_SOON_DAYS: i64 = 7;

/// Whether a token still active at `now` expires within
/// [`EXPIRES_SOON_DAYS`].
pub fn expires_soon(now: i64, expires_at: Option<i64>) -> bool {
    expires_at.is_some_and(|at| at > now && at - now < EXPIRES_SOON_DAYS * 86_400)
}

/// The one of `all` whose name is `value`, else the default.
fn named<T: Copy + Default>(all: &[T], name: fn(T) -> &'static str, value: Option<&str>) -> T {
    all.iter()
        .copied()
        .find(|&t| Some(name(t)) == value)
        .unwrap_or_default()
}

/// Which tokens the Access Tokens page lists (its filter, GitLab 17's
/// states and "expiring soon").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    #[default]
    All,
    Active,
    /// Active, and expiring within [`EXPIRES_SOON_DAYS`].
    ExpiringSoon,
    /// Past its expiry date, never revoked.
    Expired,
    Revoked,
}

impl StateFilter {
    pub const ALL: [Self; 5] = [
        Self::All,
        Self::Active,
        Self::ExpiringSoon,
        Self::Expired,
        Self::Revoked,
    ];

    /// Its value in the page's address (`?state=`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Active => "active",
            Self::ExpiringSoon => "expiring_soon",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }

    /// The filter an address names (unknown or none: all).
    pub fn parse(value: Option<&str>) -> Self {
        named(&Self::ALL, Self::as_str, value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::All => "All tokens",
            Self::Active => "Active",
            Self::ExpiringSoon => "Expiring soon",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
        }
    }
}

/// How the Access Tokens page orders its list (GitLab's `sort` values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListSort {
    #[default]
    Newest,
    Oldest,
    Name,
    ExpiresSoonest,
    RecentlyUsed,
}

impl ListSort {
    pub const ALL: [Self; 5] = [
        Self::Newest,
        Self::Oldest,
        Self::Name,
        Self::ExpiresSoonest,
        Self::RecentlyUsed,
    ];

    /// Its value in the page's address (`?sort=`), GitLab's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Newest => "created_desc",
            Self::Oldest => "created_asc",
            Self::Name => "name_asc",
            Self::ExpiresSoonest => "expires_asc",
            Self::RecentlyUsed => "last_used_desc",
        }
    }

    /// The order an address names (unknown or none: newest first).
    pub fn parse(value: Option<&str>) -> Self {
        named(&Self::ALL, Self::as_str, value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "Newest first",
            Self::Oldest => "Oldest first",
            Self::Name => "Name",
            Self::ExpiresSoonest => "Expires soonest",
            Self::RecentlyUsed => "Recently used",
        }
    }

    /// The order it stands for.
    pub fn order(self) -> TokenSort {
        TokenSort::parse(self.as_str()).unwrap_or(TokenSort {
            field: None,
            id_descending: true,
        })
    }
}

/// The Access Tokens page's list, as its address asks
/// (`?search=&state=&sort=`). Unknown values read as the defaults: an old
/// or hand-edited link still shows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub search: Option<super::search::NameSearch>,
    pub state: StateFilter,
    pub sort: ListSort,
}

impl ListQuery {
    pub fn parse(search: Option<&str>, state: Option<&str>, sort: Option<&str>) -> Self {
        Self {
            search: search.and_then(super::search::NameSearch::parse),
            state: StateFilter::parse(state),
            sort: ListSort::parse(sort),
        }
    }

    /// Whether it lists everything in the default order.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What a query value keeps unescaped: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The longest span (in days) the credentials inventory's "expiring
/// within" and "unused for" filters take: ten years.
pub const INVENTORY_DAYS_MAX: i64 = 3_650;

/// The Admin Area's credentials inventory, as its address asks
/// (`?owner=&scope=&state=&expiring_within=&unused_for=`): every user's
/// tokens, personal and impersonation. As with [`ListQuery`], values that
/// cannot be read are left out rather than refused, so an old link still
/// lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryQuery {
    /// The owner's username (case-insensitive, whole).
    pub owner: Option<String>,
    pub scope: Option<Scope>,
    pub state: StateFilter,
    /// Active tokens expiring within this many days.
    pub expiring_within_days: Option<i64>,
    /// Tokens not used for this many days (never used: counted from their
    /// creation).
    pub unused_for_days: Option<i64>,
}

impl InventoryQuery {
    pub fn parse(
        owner: Option<&str>,
        scope: Option<&str>,
        state: Option<&str>,
        expiring_within: Option<&str>,
        unused_for: Option<&str>,
    ) -> Self {
        let days = |value: Option<&str>| {
            value
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|d| (1..=INVENTORY_DAYS_MAX).contains(d))
        };
        Self {
            owner: owner
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| o.trim_start_matches('@').to_owned()),
            scope: scope.and_then(|s| s.trim().parse().ok()),
            state: StateFilter::parse(state),
            expiring_within_days: days(expiring_within),
            unused_for_days: days(unused_for),
        }
    }

    /// Its address's query string, for links that keep the filter.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(owner) = &self.owner {
            pairs.push(("owner", owner.clone()));
        }
        if let Some(scope) = self.scope {
            pairs.push(("scope", scope.to_string()));
        }
        if self.state != StateFilter::All {
            pairs.push(("state", self.state.as_str().to_owned()));
        }
        if let Some(days) = self.expiring_within_days {
            pairs.push(("expiring_within", days.to_string()));
        }
        if let Some(days) = self.unused_for_days {
            pairs.push(("unused_for", days.to_string()));
        }
        pairs
            .iter()
            .map(|(k, v)| {
                let v: String = percent_encoding::utf8_percent_encode(v, QUERY_VALUE).collect();
                format!("{k}={v}")
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What a list of tokens can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenField {
    Created,
    Expires,
    LastUsed,
    Name,
}

/// An order of a token list, as GitLab names them (`Sortable`'s simple
/// sorts and `PersonalAccessToken`'s own): a field first (`None`: by id
/// alone), then the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenSort {
    pub field: Option<(TokenField, bool)>,
    /// The id's direction (and the field's where it has none of its own).
    pub id_descending: bool,
}

impl TokenSort {
    /// GitLab's `sort` values; `None` for any other (GitLab's finder then
    /// keeps its default order). Forgekey keeps no update time:
    /// `updated_*` orders by id.
    pub fn parse(value: &str) -> Option<Self> {
        use TokenField::{Created, Expires, LastUsed, Name};
        let (field, id_descending) = match value {
            "id_asc" | "updated_asc" => (None, false),
            "id_desc" | "updated_desc" => (None, true),
            "created_asc" | "created_date" => (Some((Created, false)), false),
            "created_desc" => (Some((Created, true)), true),
            "expires_at_asc_id_desc" | "expires_asc" => (Some((Expires, false)), true),
            "expires_desc" => (Some((Expires, true)), true),
            "last_used_asc" => (Some((LastUsed, false)), true),
            "last_used_desc" => (Some((LastUsed, true)), true),
            "name_asc" => (Some((Name, false)), false),
            "name_desc" => (Some((Name, true)), true),
            _ => return None,
        };
        Some(Self {
            field,
            id_descending,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_sorts_are_gitlabs() {
        let s = |v| TokenSort::parse(v).map(|s| (s.field, s.id_descending));
        assert_eq!(s("id_asc"), Some((None, false)));
        assert_eq!(s("updated_desc"), Some((None, true)));
        assert_eq!(
            s("expires_at_asc_id_desc"),
            Some((Some((TokenField::Expires, false)), true))
        );
        assert_eq!(
            s("last_used_desc"),
            Some((Some((TokenField::LastUsed, true)), true))
        );
        assert_eq!(
            s("name_asc"),
            Some((Some((TokenField::Name, false)), false))
        );
        assert_eq!(s("sideways"), None);
        assert_eq!(s("NAME_ASC"), None);
    }

    #[test]
    fn an_edit_renames_and_extends_freely_but_only_narrows_access() {
        let policy = LifetimePolicy::default();
        let today = date!(2026 - 11 - 22);
        let token = Editable {
            name: "ci".to_owned(),
            description: None,
            expires_on: Some(date!(2026 - 12 - 01)),
            scopes: vec![Scope::Api, Scope::ReadUser],
            allowed_ips: AllowList::parse("10.0.0.0/8").unwrap(),
            projects: ProjectSet::any(),
        };
        // Nothing asked: nothing changes.
        assert_eq!(
            token.edit(Edit::default(), today, &policy),
            Ok(token.clone())
        );
        let scopes = ["read_user".to_owned()];
        let edited = token
            .edit(
                Edit {
                    name: Some(" deploy "),
                    description: Some("Ships it"),
                    expires_on: Some("2027-06-01"),
                    scopes: Some(&scopes),
                    allowed_ips: Some("10.1.0.0/16"),
                    projects: None,
                },
                today,
                &policy,
            )
            .unwrap();
        assert_eq!(edited.name, "deploy");
        assert_eq!(edited.description.as_deref(), Some("Ships it"));
        assert_eq!(edited.expires_on, Some(date!(2027 - 06 - 01)));
        assert_eq!(edited.scopes, [Scope::ReadUser]);
        assert_eq!(edited.allowed_ips.entries(), ["10.1.0.0/16"]);

        // Wider: refused, each field saying why, all at once.
        let wider = ["api".to_owned(), "sudo".to_owned()];
        let DomainError::Invalid(errors) = token
            .edit(
                Edit {
                    expires_on: Some("2028-01-01"),
                    scopes: Some(&wider),
                    allowed_ips: Some(""),
                    ..Edit::default()
                },
                today,
                &policy,
            )
            .unwrap_err();
        let by_field: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(by_field[0].0, "expires_at");
        assert_eq!(
            by_field[1],
            (
                "scopes",
                "Scopes can only be removed: the token does not have sudo. Create a new token \
                 for more access."
            )
        );
        assert_eq!(
            by_field[2],
            (
                "allowed_ips",
                "Allowed addresses can only be narrowed (now: 10.0.0.0/8). Create a new token to \
                 allow more."
            )
        );
        let none: [String; 0] = [];
        assert!(token
            .edit(
                Edit {
                    scopes: Some(&none),
                    ..Edit::default()
                },
                today,
                &policy
            )
            .is_err());
        // A token usable anywhere may be limited to some addresses.
        let anywhere = Editable {
            allowed_ips: AllowList::default(),
            ..token
        };
        let limited = anywhere
            .edit(
                Edit {
                    allowed_ips: Some("192.0.2.1"),
                    ..Edit::default()
                },
                today,
                &policy,
            )
            .unwrap();
        assert_eq!(limited.allowed_ips.entries(), ["192.0.2.1"]);
    }

    #[test]
    fn a_rotation_overlap_is_minutes_up_to_a_day() {
        assert_eq!(parse_rotation_overlap(""), Ok(0));
        assert_eq!(parse_rotation_overlap(" 0 "), Ok(0));
        assert_eq!(parse_rotation_overlap("15"), Ok(900));
        assert_eq!(parse_rotation_overlap("1440"), Ok(86_400));
        for bad in ["1441", "-1", "1.5", "an hour"] {
            let Err(DomainError::Invalid(fields)) = parse_rotation_overlap(bad) else {
                panic!("{bad} was taken");
            };
            assert_eq!(fields[0].field, "overlap_minutes");
        }
        for (minutes, _) in ROTATION_OVERLAP_CHOICES {
            assert_eq!(
                parse_rotation_overlap(&minutes.to_string()),
                Ok(minutes * 60)
            );
        }
    }

    #[test]
    fn a_rotated_token_works_only_inside_its_overlap() {
        let rotated = Some(1_000);
        // Rotated with a one-hour overlap: revoked at its end.
        assert!(in_rotation_overlap(1_000, rotated, Some(4_600)));
        assert!(in_rotation_overlap(4_599, rotated, Some(4_600)));
        assert!(!in_rotation_overlap(4_600, rotated, Some(4_600)));
        // Without one (GitLab's behaviour), never.
        assert!(!in_rotation_overlap(1_000, rotated, Some(1_000)));
        // Revoked, not rotated: never, whatever the instant.
        assert!(!in_rotation_overlap(1_000, None, Some(4_600)));
        assert!(!in_rotation_overlap(1_000, None, None));
        // Inside the window it authenticates, unless expired meanwhile.
        let at = |now, expires| TokenState::for_authentication(now, expires, Some(4_600), rotated);
        assert_eq!(at(2_000, None), TokenState::Active);
        assert_eq!(at(2_000, Some(1_500)), TokenState::Expired { at: 1_500 });
        assert_eq!(at(4_600, None), TokenState::Revoked { at: 4_600 });
        // The list still says what happened: revoked (by its rotation).
        assert!(TokenState::at(2_000, None, Some(4_600)).is_revoked());
    }

    #[test]
    fn rotation_endpoints_are_recognised_as_gitlab_matches_them() {
        for path in [
            "/api/v4/personal_access_tokens/self/rotate",
            "/api/v4/personal_access_tokens/42/rotate",
            "/personal_access_tokens/7/rotate",
        ] {
            assert!(is_rotation_path(path), "{path}");
        }
        for path in [
            "/api/v4/personal_access_tokens/self",
            "/api/v4/personal_access_tokens/42",
            "/api/v4/personal_access_tokens/4a/rotate",
            "/api/v4/personal_access_tokens//rotate",
            "/api/v4/personal_access_tokens/self/rotate/",
            "/api/v4/user",
            "/rotate",
        ] {
            assert!(!is_rotation_path(path), "{path}");
        }
    }
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    fn secret(seed: u8) -> String {
        format_secret(DEFAULT_PREFIX, &[seed; RANDOM_BYTES])
    }

    #[test]
    fn secrets_have_the_documented_shape() {
        let s = format_secret(DEFAULT_PREFIX, &[0xff; RANDOM_BYTES]);
        assert!(s.starts_with("fkpat-"));
        assert_eq!(s.len(), 6 + 43 + 6);
        assert_eq!(check_shape(&s), Ok(()));
        // The smallest and largest random parts still take all 43 digits.
        let zero = format_secret(DEFAULT_PREFIX, &[0; RANDOM_BYTES]);
        assert_eq!(&zero[6..49], "0".repeat(43));
        assert_eq!(check_shape(&zero), Ok(()));
    }

    #[test]
    fn presented_strings_are_sorted_before_any_lookup() {
        let real = secret(3);
        assert_eq!(recognize(&real), Recognized::Secret);
        // GitLab's spec: a real token with something appended is a token
        // of a supported kind that does not exist (404), not an unknown kind.
        assert_eq!(
            recognize(&format!("{real}-non-existing")),
            Recognized::Impossible
        );
        let mut typo = real.clone();
        typo.replace_range(10..11, if &real[10..11] == "A" { "B" } else { "A" });
        assert_eq!(recognize(&typo), Recognized::Impossible);
        assert_eq!(recognize("fkpat-"), Recognized::Impossible);
        // Another prefix with a valid checksum is still ours to look up.
        let other = format_secret("glpat-", &[3; RANDOM_BYTES]);
        assert_eq!(recognize(&other), Recognized::Secret);
        for foreign in ["unsupported", "", "glpat-abc", "_gitlab_session=x"] {
            assert_eq!(recognize(foreign), Recognized::Foreign, "{foreign}");
        }
    }

    #[test]
    fn inventory_filters_read_what_they_can_from_the_address() {
        let q = InventoryQuery::parse(
            Some(" @Alice "),
            Some("read_api"),
            Some("active"),
            Some("30"),
            Some("90"),
        );
        assert_eq!(q.owner.as_deref(), Some("Alice"));
        assert_eq!(q.scope, Some(Scope::ReadApi));
        assert_eq!(q.state, StateFilter::Active);
        assert_eq!(q.expiring_within_days, Some(30));
        assert_eq!(q.unused_for_days, Some(90));
        assert_eq!(
            q.to_query(),
            "owner=Alice&scope=read_api&state=active&expiring_within=30&unused_for=90"
        );
        let lenient = InventoryQuery::parse(
            Some(" "),
            Some("root"),
            Some("x"),
            Some("0"),
            Some("9999999"),
        );
        assert_eq!(lenient, InventoryQuery::default());
        assert_eq!(lenient.to_query(), "");
        assert_eq!(
            InventoryQuery::parse(None, None, None, Some("3650"), Some("-1")).expiring_within_days,
            Some(INVENTORY_DAYS_MAX)
        );
    }

    #[test]
    fn base62_is_positional_big_endian() {
        assert_eq!(base62(&[0, 61], 2), "0z");
        assert_eq!(base62(&[0, 62], 2), "10");
        assert_eq!(base62(&255u32.to_be_bytes(), 3), "047");
    }

    #[test]
    fn the_checksum_is_the_crc32_in_six_base62_digits() {
        for body in ["", "fkpat-abc", "x"] {
            let crc = crc32fast::hash(body.as_bytes());
            assert_eq!(
                checksum(body).to_vec(),
                base62(&crc.to_be_bytes(), 6).into_bytes()
            );
        }
    }

    #[test]
    fn any_prefix_that_could_have_been_configured_is_accepted() {
        let s = format_secret("glpat-", &[9; RANDOM_BYTES]);
        assert_eq!(check_shape(&s), Ok(()));
        let bare = format_secret("", &[9; RANDOM_BYTES]);
        assert_eq!(check_shape(&bare), Ok(()));
        assert!(!valid_prefix("Bad Prefix"));
        assert!(!valid_prefix(&"x".repeat(21)));
    }

    #[test]
    fn obvious_non_tokens_are_refused_by_shape() {
        assert_eq!(check_shape(""), Err(Malformed::Length));
        assert_eq!(check_shape("password"), Err(Malformed::Length));
        let s = secret(1);
        assert_eq!(
            check_shape(&s.replace("fkpat-", "FKPAT-")),
            Err(Malformed::Prefix)
        );
        let mut bad = s.clone();
        bad.replace_range(10..11, "+");
        assert_eq!(check_shape(&bad), Err(Malformed::Alphabet));
        assert_eq!(check_shape(&format!("{s}é")), Err(Malformed::Length));
    }

    #[test]
    fn digest_is_keyed_and_hidden_from_debug() {
        let s = secret(3);
        let a = TokenDigest::of(b"key one", &s);
        assert_eq!(a, TokenDigest::of(b"key one", &s));
        assert_ne!(a, TokenDigest::of(b"key two", &s));
        assert_ne!(a, TokenDigest::of(b"key one", &secret(4)));
        assert_eq!(a.to_hex().len(), 64);
        assert!(!a.to_hex().contains(&s[6..20]));
        assert_eq!(format!("{a:?}"), "TokenDigest(..)");
    }

    #[test]
    fn a_token_expires_at_midnight_utc_on_its_date() {
        let on = date!(2026 - 03 - 10);
        let expired = |now: OffsetDateTime| {
            let state = TokenState::at(
                now.unix_timestamp(),
                Some(expires_at(on).unix_timestamp()),
                None,
            );
            !state.is_active()
        };
        assert!(!expired(datetime!(2026-03-09 23:59:59 UTC)));
        assert!(!expired(datetime!(2026-03-09 23:59:59.999 UTC)));
        assert!(expired(datetime!(2026-03-10 00:00:00 UTC)));
        assert!(expired(datetime!(2026-03-11 12:00:00 UTC)));
        // Midnight UTC, whatever the caller's offset.
        assert!(!expired(datetime!(2026-03-10 00:30:00 +01:00)));
        assert!(expired(datetime!(2026-03-09 20:00:00 -04:00)));
    }

    #[test]
    fn revocation_outranks_expiry_and_enforcement_decides_expired_tokens() {
        const MIDNIGHT: i64 = 1_773_100_800; // 2026-03-10T00:00:00Z
        let never = TokenState::at(MIDNIGHT, None, None);
        let before = TokenState::at(MIDNIGHT - 1, Some(MIDNIGHT), None);
        let after = TokenState::at(MIDNIGHT, Some(MIDNIGHT), None);
        let revoked = TokenState::at(MIDNIGHT, Some(MIDNIGHT), Some(MIDNIGHT - 5));
        assert_eq!((never, before), (TokenState::Active, TokenState::Active));
        assert_eq!(after, TokenState::Expired { at: MIDNIGHT });
        assert_eq!(revoked, TokenState::Revoked { at: MIDNIGHT - 5 });
        assert!(revoked.is_revoked() && !after.is_revoked());
        assert_eq!(
            [never, after, revoked].map(TokenState::as_str),
            ["active", "expired", "revoked"]
        );
        // Enforced expiry stops an expired token; unenforced lets it work.
        assert!(before.authenticates(true) && before.authenticates(false));
        assert!(!after.authenticates(true) && after.authenticates(false));
        assert!(!revoked.authenticates(true) && !revoked.authenticates(false));
    }

    #[test]
    fn names_are_required_trimmed_and_bounded() {
        assert_eq!(parse_name("  ci deploy  "), Ok("ci deploy".to_owned()));
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"é".repeat(255)).is_ok());
        assert!(parse_name(&"é".repeat(256)).is_err());
        assert!(parse_name("a\nb").is_err());
        // A name that reads as another ("deploy-prod" shown reversed).
        assert!(parse_name("deploy-\u{202E}dorp").is_err());
    }

    #[test]
    fn a_new_token_reports_every_problem_at_once() {
        let policy = LifetimePolicy::default();
        let today = date!(2026 - 11 - 22);
        let request = Request {
            name: "ci",
            description: "",
            expires_on: "2026-12-22",
            scopes: &["read_api"],
            allowed_ips: "192.0.2.0/24",
            projects: "",
        };
        let ok = NewToken::parse(request, scope::Offered::default(), today, &policy).unwrap();
        assert_eq!(ok.scopes, [Scope::ReadApi]);
        assert_eq!(ok.expires_on, Some(date!(2026 - 12 - 22)));
        assert_eq!(ok.allowed_ips.entries(), ["192.0.2.0/24"]);
        let bad = Request::<&str> {
            name: " ",
            description: "x\u{202E}",
            expires_on: "yesterday",
            scopes: &[],
            allowed_ips: "here",
            projects: "",
        };
        let DomainError::Invalid(errors) =
            NewToken::parse(bad, scope::Offered::default(), today, &policy).unwrap_err();
        let names: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            names,
            ["name", "description", "expires_at", "scopes", "allowed_ips"]
        );
    }

    #[test]
    fn descriptions_are_optional_bounded_and_may_break_lines() {
        assert_eq!(parse_description("  ").unwrap(), None);
        assert_eq!(
            parse_description(" Deploys the\r\nstaging site ").unwrap(),
            Some("Deploys the\nstaging site".to_owned())
        );
        let longest = "é".repeat(DESCRIPTION_MAX);
        assert_eq!(parse_description(&longest).unwrap(), Some(longest.clone()));
        for bad in [
            format!("{longest}x"),
            "tab\there".into(),
            "a\u{202E}b".into(),
        ] {
            let DomainError::Invalid(errors) = parse_description(&bad).unwrap_err();
            assert_eq!(errors[0].field, "description", "{bad:?}");
        }
    }

    #[test]
    fn a_token_expires_soon_in_its_last_week_only() {
        let now = 1_000_000;
        let day = 86_400;
        assert!(expires_soon(now, Some(now + 1)));
        assert!(expires_soon(now, Some(now + 7 * day - 1)));
        assert!(!expires_soon(now, Some(now + 7 * day)));
        assert!(!expires_soon(now, Some(now)), "already expired");
        assert!(!expires_soon(now, None), "never expires");
    }

    #[test]
    fn the_list_query_reads_its_address_leniently() {
        let q = ListQuery::parse(Some(" deploy "), Some("expiring_soon"), Some("name_asc"));
        assert_eq!(
            q.search,
            Some(super::super::search::NameSearch::Words(vec![
                "deploy".into()
            ]))
        );
        assert_eq!(q.state, StateFilter::ExpiringSoon);
        assert_eq!(q.sort, ListSort::Name);
        assert!(!q.is_default());
        let odd = ListQuery::parse(Some(""), Some("bogus"), Some("rm -rf"));
        assert!(odd.is_default());
        for sort in ListSort::ALL {
            assert_eq!(
                TokenSort::parse(sort.as_str()),
                Some(sort.order()),
                "{sort:?} is one of GitLab's sorts"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn every_generated_secret_verifies(random in any::<[u8; RANDOM_BYTES]>()) {
            let s = format_secret(DEFAULT_PREFIX, &random);
            prop_assert_eq!(s.len(), 55);
            prop_assert!(s[6..].bytes().all(|b| b.is_ascii_alphanumeric()));
            prop_assert_eq!(check_shape(&s), Ok(()));
        }

        #[test]
        fn different_randomness_gives_different_secrets(
            a in any::<[u8; RANDOM_BYTES]>(),
            b in any::<[u8; RANDOM_BYTES]>(),
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(format_secret(DEFAULT_PREFIX, &a), format_secret(DEFAULT_PREFIX, &b));
        }

        #[test]
        fn every_single_character_edit_is_refused(
            random in any::<[u8; RANDOM_BYTES]>(),
            at in 0usize..55,
            with in proptest::sample::select(ALPHABET.to_vec()),
        ) {
            let s = format_secret(DEFAULT_PREFIX, &random);
            let original = s.as_bytes()[at];
            prop_assume!(original != with);
            let mut edited = s.into_bytes();
            edited[at] = with;
            let edited = String::from_utf8(edited).unwrap();
            prop_assert!(check_shape(&edited).is_err(), "{} accepted", edited);
        }

        #[test]
        fn truncation_and_extension_are_refused(
            random in any::<[u8; RANDOM_BYTES]>(),
            keep in 0usize..55,
            extra in "[0-9A-Za-z]{1,8}",
        ) {
            let s = format_secret(DEFAULT_PREFIX, &random);
            prop_assert!(check_shape(&s[..keep]).is_err());
            let longer = format!("{s}{extra}");
            prop_assert!(check_shape(&longer).is_err());
            let front = format!("{extra}{s}");
            // A longer "prefix" of letters and digits is a valid shape only
            // if the checksum still matches, which it does not.
            prop_assert!(check_shape(&front).is_err());
        }
    }
}
