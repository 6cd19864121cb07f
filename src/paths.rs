//! The addresses pages link to and the server answers at, named once for
//! both builds: the pages link and redirect to them, the server scopes
//! cookies to them and writes them into mails. (Route definitions in
//! `app::App` spell them as `path!` literals; the router tests visit each.)

pub const HOME: &str = "/";
pub const SIGN_IN: &str = "/users/sign_in";
pub const SIGN_UP: &str = "/users/sign_up";
/// The second step of signing in: a TOTP or recovery code.
pub const SECOND_STEP: &str = "/users/two_factor";
pub const PROJECTS: &str = "/projects";
/// "Forgot your password?": ask for a link (Devise's, as GitLab's).
pub const FORGOT_PASSWORD: &str = "/users/password/new";
/// Where a mailed link leads: `?reset_password_token=…`.
pub const RESET_PASSWORD: &str = "/users/password/edit";

pub const PROFILE: &str = "/-/user_settings/profile";
pub const ACCOUNT: &str = "/-/user_settings/account";
pub const TWO_FACTOR: &str = "/-/user_settings/two_factor_auth";
pub const TOKENS: &str = "/-/user_settings/personal_access_tokens";

pub const ADMIN: &str = "/admin";
pub const ADMIN_SETTINGS: &str = "/admin/application_settings";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_AUDIT: &str = "/admin/audit_events";
pub const ADMIN_OUTBOX: &str = "/admin/outbox";
/// The credentials inventory (GitLab Ultimate's address for it).
pub const ADMIN_CREDENTIALS: &str = "/admin/credentials";

/// The one inline event handler pages carry (the page's CSP allows exactly
/// this by its hash): a one-time secret's field selects itself on focus,
/// even without the wasm loaded.
pub const SELECT_ON_FOCUS: &str = "this.select()";

/// A page of one of the user's tokens: `edit` or `rotate`.
pub fn token_page(id: i64, page: &str) -> String {
    format!("{TOKENS}/{id}/{page}")
}

/// A user's page in the Admin Area.
pub fn admin_user(username: &str) -> String {
    format!("{ADMIN_USERS}/{username}")
}
