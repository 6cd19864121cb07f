//! The JSON GitLab's API answers with, for users and tokens.

use super::error::ApiError;
use crate::domain::ids::UserId;
use crate::domain::instant::date_of;
use crate::domain::instant::Rfc3339;
use crate::domain::lifetime::iso;
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

pub use crate::domain::instant::machine_millis as instant;

pub fn token(t: &Token, now: i64) -> Value {
    let mut v = json!({
        "id": t.id,
        "name": t.name,
        // GitLab 17.7's addition.
        "description": t.description,
        "revoked": t.revoked_at.is_some(),
        "created_at": instant(t.created_at),
        "scopes": t.scopes,
        "user_id": t.user_id,
        "last_used_at": t.last_used_at.map(instant),
        // GitLab 17's addition, harmless to 16.x clients.
        "last_used_ips": t.last_used_ips,
        "active": t.is_active(now),
        "expires_at": t.expires_at.map(|at| iso(date_of(at))),
    });
    if t.impersonation {
        v["impersonation"] = json!(true);
    }
    // Forgekey's extensions, only where they say something, so a GitLab
    // token's answer keeps GitLab's shape.
    if !t.allowed_ips.is_empty() {
        v["allowed_ips"] = json!(t.allowed_ips.entries());
    }
    if !t.projects.is_empty() {
        v["projects"] = json!(t.projects.ids());
    }
    if t.in_rotation_overlap(now) {
        v["works_until"] = json!(t.revoked_at.map(instant));
    }
    v
}

/// A token in a create or rotate response: the one time `token` appears.
pub fn created(t: &Token, secret: &str, now: i64) -> Value {
    let mut v = token(t, now);
    v["token"] = json!(secret);
    v
}

/// `{base_url}/{username}`, written straight into the answer.
#[derive(Clone, Copy)]
pub struct WebUrl<'a> {
    base_url: &'a str,
    username: &'a str,
}

impl<'a> WebUrl<'a> {
    pub fn new(base_url: &'a str, username: &'a str) -> Self {
        Self { base_url, username }
    }
}

impl std::fmt::Display for WebUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base_url)?;
        f.write_str("/")?;
        f.write_str(self.username)
    }
}

impl Serialize for WebUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `{base_url}/no_avatar.svg`: Forgekey keeps no pictures, and GitLab
/// clients expect `avatar_url` to be a URL, as GitLab's default avatar is.
#[derive(Clone, Copy)]
pub struct AvatarUrl<'a> {
    base_url: &'a str,
}

impl<'a> AvatarUrl<'a> {
    pub fn new(base_url: &'a str) -> Self {
        Self { base_url }
    }
}

impl std::fmt::Display for AvatarUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base_url)?;
        f.write_str("/no_avatar.svg")
    }
}

impl Serialize for AvatarUrl<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// GitLab's `state` of a user.
fn state_of(u: &User) -> &'static str {
    if u.is_blocked() {
        "blocked"
    } else {
        "active"
    }
}

/// A user as anyone may see them.
#[derive(Serialize)]
pub struct UserBasic<'a> {
    id: UserId,
    username: &'a str,
    name: &'a str,
    state: &'static str,
    locked: bool,
    avatar_url: AvatarUrl<'a>,
    web_url: WebUrl<'a>,
}

pub fn user_basic<'a>(u: &'a User, base_url: &'a str) -> UserBasic<'a> {
    UserBasic {
        id: u.id,
        username: &u.username,
        name: &u.username,
        state: state_of(u),
        locked: false,
        avatar_url: AvatarUrl { base_url },
        web_url: WebUrl {
            base_url,
            username: &u.username,
        },
    }
}

/// A user as they and administrators see them, with every key of GitLab's
/// `UserPublic` (its `public_api/v4/user/public` schema; empty where
/// Forgekey keeps nothing), and `is_admin` only for an administrator's
/// eyes, as GitLab's `UserWithAdmin`. Typed and borrowed rather than built
/// as a `Value`: `GET /user` is the API's busiest route, and this writes it
/// without an allocation per field.
#[derive(Serialize)]
pub struct UserFull<'a> {
    #[serde(flatten)]
    basic: UserBasic<'a>,
    created_at: Rfc3339,
    bio: &'static str,
    location: Option<&'static str>,
    public_email: Option<&'a str>,
    skype: &'static str,
    linkedin: &'static str,
    twitter: &'static str,
    discord: &'static str,
    website_url: &'static str,
    organization: Option<&'static str>,
    job_title: &'static str,
    pronouns: Option<&'static str>,
    bot: bool,
    work_information: Option<&'static str>,
    followers: u32,
    following: u32,
    local_time: Option<&'static str>,
    theme_id: u32,
    color_scheme_id: u32,
    identities: [(); 0],
    email: &'a str,
    commit_email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_admin: Option<bool>,
    last_sign_in_at: Option<Rfc3339>,
    current_sign_in_at: Option<Rfc3339>,
    confirmed_at: Rfc3339,
    two_factor_enabled: bool,
    external: bool,
    private_profile: bool,
    can_create_group: bool,
    can_create_project: bool,
    projects_limit: i64,
}

/// `u` as they see themself, or an administrator (`for_admin`) sees them.
pub fn user_full<'a>(u: &'a User, base_url: &'a str, for_admin: bool) -> UserFull<'a> {
    let created = Rfc3339::millis(u.created_at);
    let signed_in = u.last_sign_in_at.map(Rfc3339::millis);
    UserFull {
        basic: user_basic(u, base_url),
        created_at: created,
        bio: "",
        location: None,
        public_email: None,
        skype: "",
        linkedin: "",
        twitter: "",
        discord: "",
        website_url: "",
        organization: None,
        job_title: "",
        pronouns: None,
        bot: false,
        work_information: None,
        followers: 0,
        following: 0,
        local_time: None,
        theme_id: 1,
        color_scheme_id: 1,
        identities: [],
        email: &u.email,
        commit_email: &u.email,
        is_admin: for_admin.then_some(u.is_admin),
        last_sign_in_at: signed_in,
        current_sign_in_at: signed_in,
        confirmed_at: created,
        two_factor_enabled: u.two_factor_enabled,
        external: false,
        private_profile: false,
        can_create_group: true,
        can_create_project: true,
        projects_limit: 100_000,
    }
}

/// `value` as JSON, written into one buffer big enough for a typical answer
/// (axum's `Json` starts at 128 bytes and grows by copying).
pub fn render<T: Serialize>(value: &T) -> Result<Bytes, ApiError> {
    let mut body = Vec::with_capacity(1024);
    serde_json::to_writer(&mut body, value).map_err(|e| {
        tracing::error!(error = %e, "could not write a JSON answer");
        ApiError::Internal
    })?;
    Ok(body.into())
}

/// `200` with a rendered JSON body.
pub fn respond_rendered(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `200` with `value` as JSON.
pub fn respond<T: Serialize>(value: &T) -> Response {
    match render(value) {
        Ok(body) => respond_rendered(body),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_use_gitlabs_format() {
        assert_eq!(instant(1_767_225_600), "2026-01-01T00:00:00.000Z");
        assert_eq!(instant(1_767_225_661), "2026-01-01T00:01:01.000Z");
    }
}
