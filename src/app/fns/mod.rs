//! Server functions, grouped by domain. Each is a public POST endpoint under
//! `/_fn/…`: it checks the session itself and calls `server::services`.

pub mod account;
pub mod admin;
pub mod auth;
pub mod codec;
pub mod projects;
pub mod recovery;
pub mod tokens;
pub mod two_factor;

use super::error::AppError;
use serde::{Deserialize, Serialize};

/// What the browser may know about the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: crate::domain::ids::UserId,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub two_factor_enabled: bool,
    pub created_at: i64,
}

/// The outcome of a plain HTML form post (no JavaScript), kept in the
/// session for the page the browser is redirected back to, and shown once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    pub form: String,
    pub error: Option<AppError>,
    pub notice: Option<String>,
    /// The non-secret values the person typed, to fill the form again.
    pub values: Vec<(String, String)>,
}

/// What a refused token form typed, to fill it again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypedToken {
    pub name: Option<String>,
    pub description: Option<String>,
    pub expires_at: Option<String>,
    pub scopes: Vec<String>,
    pub allowed_ips: Option<String>,
    pub projects: Option<String>,
}

impl TypedToken {
    /// A link's prefilled form (GitLab 14.1+, the description 17.7+):
    /// `?name=…&scopes=api,read_user&description=…`. Unknown scopes check
    /// no box.
    pub fn prefilled(
        name: Option<String>,
        scopes: Option<String>,
        description: Option<String>,
    ) -> Self {
        Self {
            name: name.filter(|n| !n.trim().is_empty()),
            description: description.filter(|d| !d.trim().is_empty()),
            expires_at: None,
            allowed_ips: None,
            projects: None,
            scopes: scopes
                .iter()
                .flat_map(|list| list.split(','))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }

    /// What a refused form typed, else what the link prefilled.
    pub fn or(self, other: Self) -> Self {
        if self == Self::default() {
            other
        } else {
            self
        }
    }

    pub fn from_flash(flash: Option<&FormFlash>) -> Self {
        let Some(f) = flash else {
            return Self::default();
        };
        Self {
            name: f.value("name"),
            description: f.value("description"),
            expires_at: f.value("expires_at"),
            allowed_ips: f.value("allowed_ips").filter(|v| !v.is_empty()),
            projects: f.value("projects").filter(|v| !v.is_empty()),
            scopes: f
                .values
                .iter()
                .filter(|(n, _)| n == "scopes[]")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }
}

impl FormFlash {
    pub fn value(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }
}

/// Takes this session's one-time form outcome if it belongs to `form`.
#[leptos::server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "take_flash")]
pub async fn take_flash(form: String) -> Result<Option<FormFlash>, AppError> {
    if let Some(flash) = ctx::take_flash_cookie(&form)? {
        return Ok(Some(flash));
    }
    let session = ctx::session().await?;
    Ok(crate::server::session::take_flash::<FormFlash>(&session, |f| f.form == form).await?)
}

#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    //! What server functions share: the state, the session, the signed-in
    //! user, and how a form's outcome reaches a browser without JavaScript.

    use super::{AppError, FormFlash};
    use crate::server::db::users::User;
    use crate::server::state::AppState;
    use crate::server::{reveal, session};
    use axum::http::{header, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;
    use tower_sessions::Session;

    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("server function called without the application state");
            AppError::Internal
        })
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(|_| {
            tracing::error!("server function called without a session layer");
            AppError::Internal
        })
    }

    /// `user` acting in the browser, from the request's client address,
    /// for the audit log.
    pub fn actor(user: &User) -> crate::server::services::audit::Actor {
        crate::server::services::audit::Actor::user(user).from(client_ip())
    }

    /// The request's client address, if it came over TCP.
    pub fn client_ip() -> Option<std::net::IpAddr> {
        use_context::<axum::http::request::Parts>()
            .and_then(|p| crate::server::client_addr::client_ip(&p.extensions))
    }

    /// The state, session and signed-in user, or `Unauthenticated`.
    pub async fn signed_in() -> Result<(AppState, Session, User), AppError> {
        let state = state()?;
        let session = session().await?;
        let Some(user) = session::current_user(&session, &state).await? else {
            // Data loaders called over HTTP answer 401 too, not only forms
            // (see `finish`); a page rendering on the server keeps its own
            // status (it redirects to the sign-in page).
            let over_http = use_context::<axum::http::request::Parts>()
                .is_some_and(|p| p.uri.path().starts_with("/_fn/"));
            if let (true, Some(res)) = (over_http, use_context::<ResponseOptions>()) {
                res.set_status(StatusCode::UNAUTHORIZED);
            }
            return Err(AppError::Unauthenticated);
        };
        Ok((state, session, user))
    }

    /// The state, session and signed-in administrator. Anyone else signed
    /// in gets `NotFound`: the Admin Area does not exist for them. With
    /// admin mode on, an administrator who has not re-authenticated lately
    /// gets `AdminModeRequired`.
    pub async fn admin() -> Result<(AppState, Session, User), AppError> {
        let (state, session, user) = signed_in().await?;
        let status = |code| {
            if let Some(res) = use_context::<ResponseOptions>() {
                res.set_status(code);
            }
        };
        if !user.is_admin {
            status(StatusCode::NOT_FOUND);
            return Err(AppError::NotFound);
        }
        // With admin mode on, only within a while of re-authenticating.
        let admin_mode = crate::server::services::settings::current(&state)
            .await?
            .admin_mode;
        let entered = session::admin_mode_at(&session).await?;
        if !crate::domain::admin::admin_session_allowed(admin_mode, entered, state.now()) {
            status(StatusCode::FORBIDDEN);
            return Err(AppError::AdminModeRequired);
        }
        Ok((state, session, user))
    }

    /// Hands a new secret to a browser without JavaScript for the one page
    /// that shows it (see `server::reveal`) and says so: the response (a
    /// redirect) must then not carry it. Does nothing for JavaScript calls,
    /// which get the secret in the response.
    pub async fn hand_over_secret(
        purpose: reveal::Purpose,
        state: &AppState,
        session: &Session,
        user_id: crate::domain::ids::UserId,
        subject: i64,
        plain: &str,
    ) -> Result<bool, AppError> {
        if !is_plain_form_post() {
            return Ok(false);
        }
        let (ticket, value) = purpose
            .seal(&state.config.secret, user_id, subject, plain)
            .ok_or(AppError::Internal)?;
        session::set_reveal(session, purpose, &ticket).await?;
        if let Some(res) = use_context::<ResponseOptions>() {
            let cookie = purpose.set_cookie(&value, state.config.is_https());
            res.append_header(
                header::SET_COOKIE,
                cookie.parse().map_err(|_| AppError::Internal)?,
            );
        }
        Ok(true)
    }

    /// Takes a secret handed over by `hand_over_secret`, once: the ticket
    /// leaves the session and the cookie is cleared.
    pub async fn take_secret(
        purpose: reveal::Purpose,
        state: &AppState,
        session: &Session,
        user_id: crate::domain::ids::UserId,
    ) -> Result<Option<(reveal::Ticket, String)>, AppError> {
        let Some(ticket) = session::take_reveal(session, purpose).await? else {
            return Ok(None);
        };
        let sealed = use_context::<axum::http::request::Parts>()
            .and_then(|p| purpose.from_headers(&p.headers));
        let plain = sealed.and_then(|v| purpose.open(&state.config.secret, user_id, &ticket, &v));
        if let Some(res) = use_context::<ResponseOptions>() {
            if let Ok(v) = purpose.clear_cookie(state.config.is_https()).parse() {
                res.append_header(header::SET_COOKIE, v);
            }
        }
        Ok(plain.map(|p| (ticket, p)))
    }

    /// Whether this request is a browser's own form submission (JavaScript
    /// off), which leptos answers with a redirect instead of the result.
    pub fn is_plain_form_post() -> bool {
        use_context::<axum::http::request::Parts>().is_some_and(|parts| {
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
        })
    }

    fn set_flash_cookie(flash: &FormFlash) -> Result<(), AppError> {
        let state = state()?;
        let json = serde_json::to_string(flash).map_err(|_| AppError::Internal)?;
        let cookie =
            crate::server::flash::set_cookie(&state.config.secret, &json, state.config.is_https())
                .ok_or(AppError::Internal)?;
        if let Some(res) = use_context::<ResponseOptions>() {
            res.append_header(
                header::SET_COOKIE,
                cookie.parse().map_err(|_| AppError::Internal)?,
            );
        }
        Ok(())
    }

    /// The outcome of `form` that a visitor without a session carries in
    /// its cookie, once: the cookie is cleared.
    pub fn take_flash_cookie(form: &str) -> Result<Option<FormFlash>, AppError> {
        let state = state()?;
        let Some(json) = use_context::<axum::http::request::Parts>()
            .and_then(|p| crate::server::flash::from_headers(&state.config.secret, &p.headers))
        else {
            return Ok(None);
        };
        let Some(flash) = serde_json::from_str::<FormFlash>(&json)
            .ok()
            .filter(|f| f.form == form)
        else {
            return Ok(None);
        };
        if let Some(res) = use_context::<ResponseOptions>() {
            let clear = crate::server::flash::clear_cookie(state.config.is_https());
            if let Ok(v) = clear.parse() {
                res.append_header(header::SET_COOKIE, v);
            }
        }
        Ok(Some(flash))
    }

    /// Finishes a form's server function. For a plain form post the outcome
    /// goes into the session (the redirect drops the return value); for a
    /// JavaScript call the error's status code is set.
    pub async fn finish<T>(
        form: &str,
        values: &[(&str, &str)],
        notice: Option<&str>,
        result: Result<T, impl Into<AppError>>,
    ) -> Result<T, AppError> {
        let result = result.map_err(Into::into);
        if is_plain_form_post() {
            let flash = FormFlash {
                form: form.to_owned(),
                error: result.as_ref().err().cloned(),
                notice: result.as_ref().ok().and(notice.map(str::to_owned)),
                values: values
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
            };
            if flash.error.is_some() || flash.notice.is_some() {
                match session().await {
                    Ok(session) if session.id().is_some() => {
                        session::set_flash(&session, &flash).await?;
                    }
                    // No session yet: none is created for a failed form.
                    _ => set_flash_cookie(&flash)?,
                }
            }
        } else if let Err(e) = &result {
            if let Some(res) = use_context::<ResponseOptions>() {
                res.set_status(
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
                match e {
                    AppError::Busy => {
                        res.insert_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
                    }
                    AppError::TooManySignUps => {
                        res.insert_header(header::RETRY_AFTER, HeaderValue::from_static("360"))
                    }
                    // Five an hour (`RESET_REQUESTS_PER_HOUR`): one every 12 minutes.
                    AppError::TooManyResetRequests => {
                        res.insert_header(header::RETRY_AFTER, HeaderValue::from_static("720"))
                    }
                    _ => {}
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::TypedToken;

    #[test]
    fn a_link_prefills_name_and_scopes_as_gitlab_does() {
        let typed = TypedToken::prefilled(
            Some("CI deploy".to_owned()),
            Some("api, read_user,,".to_owned()),
            Some("Deploys staging".to_owned()),
        );
        assert_eq!(typed.name.as_deref(), Some("CI deploy"));
        assert_eq!(typed.description.as_deref(), Some("Deploys staging"));
        assert_eq!(typed.scopes, ["api", "read_user"]);
        assert_eq!(typed.expires_at, None);
        assert_eq!(
            TypedToken::prefilled(Some(" ".to_owned()), None, Some(" ".to_owned())),
            TypedToken::default()
        );
    }

    #[test]
    fn what_a_refused_form_typed_wins_over_the_link() {
        let link = TypedToken::prefilled(Some("from link".to_owned()), None, None);
        let typed = TypedToken {
            name: Some("typed".to_owned()),
            ..TypedToken::default()
        };
        assert_eq!(typed.clone().or(link.clone()), typed);
        assert_eq!(TypedToken::default().or(link.clone()), link);
    }
}
