//! The JSON GitLab's API answers with, for users and tokens.

use crate::domain::lifetime::iso;
use crate::server::db::tokens::Token;
use crate::server::db::users::User;
use crate::server::services::tokens::date_of;
use serde::Serialize;
use serde_json::{json, Value};

pub use crate::app::format::machine_millis as instant;

pub fn token(t: &Token, now: i64) -> Value {
    let mut v = json!({
        "id": t.id,
        "name": t.name,
        "revoked": t.revoked_at.is_some(),
        "created_at": instant(t.created_at),
        "scopes": t.scopes,
        "user_id": t.user_id,
        "last_used_at": t.last_used_at.map(instant),
        "active": t.is_active(now),
        "expires_at": t.expires_at.map(|at| iso(date_of(at))),
    });
    if t.impersonation {
        v["impersonation"] = json!(true);
    }
    v
}

/// A token in a create or rotate response: the one time `token` appears.
pub fn created(t: &Token, secret: &str, now: i64) -> Value {
    let mut v = token(t, now);
    v["token"] = json!(secret);
    v
}

/// A user as anyone may see them.
#[derive(Serialize)]
pub struct UserBasic<'a> {
    id: i64,
    username: &'a str,
    name: &'a str,
    state: &'static str,
    locked: bool,
    avatar_url: Option<&'a str>,
    web_url: String,
}

pub fn user_basic<'a>(u: &'a User, base_url: &str) -> UserBasic<'a> {
    UserBasic {
        id: u.id,
        username: &u.username,
        name: &u.username,
        state: "active",
        locked: false,
        avatar_url: None,
        web_url: format!("{base_url}/{}", u.username),
    }
}

/// A user as they and administrators see them. (Typed rather than built as
/// a `Value`: `GET /user` is the API's busiest route.)
#[derive(Serialize)]
pub struct UserFull<'a> {
    id: i64,
    username: &'a str,
    name: &'a str,
    state: &'static str,
    locked: bool,
    avatar_url: Option<&'a str>,
    web_url: String,
    created_at: String,
    bio: &'static str,
    public_email: Option<&'a str>,
    email: &'a str,
    commit_email: &'a str,
    is_admin: bool,
    last_sign_in_at: Option<String>,
    current_sign_in_at: Option<String>,
    confirmed_at: String,
    two_factor_enabled: bool,
    external: bool,
    private_profile: bool,
    can_create_group: bool,
    can_create_project: bool,
    projects_limit: i64,
}

pub fn user_full<'a>(u: &'a User, base_url: &str) -> UserFull<'a> {
    UserFull {
        id: u.id,
        username: &u.username,
        name: &u.username,
        state: "active",
        locked: false,
        avatar_url: None,
        web_url: format!("{base_url}/{}", u.username),
        created_at: instant(u.created_at),
        bio: "",
        public_email: None,
        email: &u.email,
        commit_email: &u.email,
        is_admin: u.is_admin,
        last_sign_in_at: u.last_sign_in_at.map(instant),
        current_sign_in_at: u.last_sign_in_at.map(instant),
        confirmed_at: instant(u.created_at),
        two_factor_enabled: u.two_factor_enabled,
        external: false,
        private_profile: false,
        can_create_group: true,
        can_create_project: true,
        projects_limit: 100_000,
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
