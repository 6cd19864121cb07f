//! The Admin Area. Every function answers `NotFound` to anyone but an
//! administrator, as if the Admin Area did not exist.

// The settings form posts eight fields, one argument each (the server
// function macro generates the client side too, so the allow is here).
#![allow(clippy::too_many_arguments)]

use super::tokens::{ExpiryBounds, NewTokenSecret, TokenView};
use super::AppError;
use crate::domain::settings::Settings;
use leptos::server;
use serde::{Deserialize, Serialize};

pub const PER_PAGE: i64 = 20;

/// A user as administrators see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub two_factor_enabled: bool,
    pub blocked: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// One page of a list and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub total: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    /// "as bob (sudo)", when the actor acted as someone else.
    pub acted_as: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub token: Option<String>,
    pub details: String,
    /// The client address the action came from.
    pub address: Option<String>,
}

/// The audit log page: one page of matching events, the filters applied,
/// and the actions one may filter by (stored name, words).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    pub events: Page<AuditLine>,
    pub filter: AuditFilter,
    pub actions: Vec<(String, String)>,
}

/// What the audit log is narrowed to (empty: anything).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub target: String,
    pub action: String,
}

impl AuditFilter {
    /// The query string that keeps this filter on `page`.
    pub fn query(&self, page: i64) -> String {
        let mut q = format!("page={page}");
        for (name, value) in [
            ("actor", &self.actor),
            ("target", &self.target),
            ("action", &self.action),
        ] {
            if !value.is_empty() {
                q.push_str(&format!(
                    "&{name}={}",
                    percent_encoding::utf8_percent_encode(
                        value,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ));
            }
        }
        q
    }
}

/// One message of the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub id: i64,
    pub at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// Whether and how it was delivered, in words.
    pub status: String,
}

/// The outbox page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    /// An SMTP server delivers mail (else it is only kept here).
    pub smtp: bool,
    pub mails: Page<MailView>,
}

/// The Admin Area's first page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub users: i64,
    pub settings: Settings,
    pub recent: Vec<AuditLine>,
}

/// A user's page in the Admin Area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub now: i64,
    pub user: AdminUser,
    pub expiry_enforced: bool,
    pub active: Vec<TokenView>,
    pub inactive: Vec<TokenView>,
    pub impersonation: Vec<TokenView>,
    /// What a new impersonation token's expiry date may be.
    pub expiry: ExpiryBounds,
    pub events: Vec<AuditLine>,
    /// An impersonation token created by a plain form post, shown once.
    pub revealed: Option<NewTokenSecret>,
}

/// A new impersonation token and its secret (shown once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedImpersonation(pub NewTokenSecret);

impl std::fmt::Debug for CreatedImpersonation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

pub const SETTINGS_SAVED: &str = "The settings were saved.";
pub const IMPERSONATION_CREATED: &str = "The impersonation token was created.";

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use crate::server::db::users::User;
    use crate::server::db::{audit::AuditEvent, outbox::StoredMail};
    use crate::server::services::audit::Action;

    pub fn user(u: User) -> AdminUser {
        AdminUser {
            id: u.id,
            blocked: u.is_blocked(),
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            two_factor_enabled: u.two_factor_enabled,
            created_at: u.created_at,
            last_sign_in_at: u.last_sign_in_at,
        }
    }

    pub fn event(e: AuditEvent) -> AuditLine {
        let acted_as = e.acted_as_name.map(|name| match e.acted_via.as_deref() {
            Some(via) => format!("as {name} ({via})"),
            None => format!("as {name}"),
        });
        AuditLine {
            id: e.id,
            at: e.created_at,
            actor: e.actor_name,
            acted_as,
            action: Action::label_of(&e.action),
            target: e.target_name,
            token: e.token_name,
            details: e.details,
            address: e.ip_address,
        }
    }

    pub fn mail(m: StoredMail, smtp: bool) -> MailView {
        use crate::domain::delivery::MAX_ATTEMPTS;
        use crate::domain::instant::date;
        let error = m.last_error.clone().unwrap_or_default();
        let status = match (m.sent_at, smtp) {
            (Some(at), _) => format!("Sent {}", date(at)),
            (None, false) => "Kept here (no SMTP server is configured)".to_owned(),
            (None, true) if m.attempts == 0 => "Waiting to be sent".to_owned(),
            (None, true) if m.attempts >= MAX_ATTEMPTS => {
                format!("Not sent: gave up after {} attempts ({error})", m.attempts)
            }
            (None, true) => format!(
                "Not sent yet: {} failed {} ({error}); next attempt {}",
                m.attempts,
                if m.attempts == 1 {
                    "attempt"
                } else {
                    "attempts"
                },
                m.next_attempt_at.map_or_else(|| "soon".to_owned(), date)
            ),
        };
        MailView {
            id: m.id,
            at: m.created_at,
            recipient: m.recipient,
            subject: m.subject,
            body: m.body,
            status,
        }
    }
}

#[cfg(feature = "ssr")]
fn offset(page: i64) -> (i64, i64) {
    let page = page.max(1);
    (page, (page - 1) * PER_PAGE)
}

#[server(prefix = "/_fn", endpoint = "load_admin_overview")]
pub async fn load_admin_overview() -> Result<Overview, AppError> {
    use super::ctx;
    use crate::server::services::{accounts, audit, settings};
    let (state, _session, _admin) = ctx::admin().await?;
    let (_, users) = accounts::users_page(&state, &Default::default(), 0, 1).await?;
    let (recent, _) = audit::list(&state, &audit::Filter::default(), 0, 5).await?;
    Ok(Overview {
        users,
        settings: settings::current(&state).await?,
        recent: recent.into_iter().map(convert::event).collect(),
    })
}

#[server(prefix = "/_fn", endpoint = "load_admin_settings")]
pub async fn load_admin_settings() -> Result<Settings, AppError> {
    use super::ctx;
    use crate::server::services::settings;
    let (state, _session, _admin) = ctx::admin().await?;
    // Fresh from the database: the form must show what is stored.
    Ok(settings::stored(&state).await?)
}

/// Saves the settings form. Checkboxes are present when ticked. Lowering
/// the lifetime limit so that tokens would be revoked needs `confirm`.
/// (One argument per form field: that is how the form posts them, hence
/// the module's `allow(clippy::too_many_arguments)`.)
#[server(prefix = "/_fn", endpoint = "save_admin_settings")]
pub async fn save_admin_settings(
    token_max_lifetime_days: String,
    revoked_token_retention_days: String,
    token_expiry_enforced: Option<String>,
    token_expiry_required: Option<String>,
    admin_mode: Option<String>,
    git_password_auth: Option<String>,
    git_token_username_match: Option<String>,
    confirm: Option<String>,
) -> Result<String, AppError> {
    use super::ctx;
    use crate::domain::settings::{parse_max_lifetime_days, parse_retention_days};
    use crate::domain::{DomainError, FieldError};
    use crate::server::services::admin;
    let result = async {
        let (state, _session, user) = ctx::admin().await?;
        let mut errors: Vec<FieldError> = Vec::new();
        let mut field = |r: Result<i64, DomainError>| match r {
            Ok(v) => v,
            Err(DomainError::Invalid(f)) => {
                errors.extend(f);
                0
            }
        };
        let max_days = field(parse_max_lifetime_days(&token_max_lifetime_days));
        let retention = field(parse_retention_days(&revoked_token_retention_days));
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let new = Settings {
            token_max_lifetime_days: max_days,
            revoked_token_retention_days: retention,
            token_expiry_enforced: token_expiry_enforced.is_some(),
            token_expiry_required: token_expiry_required.is_some(),
            admin_mode: admin_mode.is_some(),
            git_password_auth: git_password_auth.is_some(),
            git_token_username_match: git_token_username_match.is_some(),
        };
        let changed =
            admin::change_settings(&state, &ctx::actor(&user), new, confirm.is_some()).await?;
        Ok(match changed.revoked.len() {
            0 => SETTINGS_SAVED.to_owned(),
            1 => format!("{SETTINGS_SAVED} 1 token was revoked and its owner mailed."),
            n => format!("{SETTINGS_SAVED} {n} tokens were revoked and their owners mailed."),
        })
    }
    .await;
    let checked = |v: &Option<String>| if v.is_some() { "on" } else { "" };
    let values = [
        ("token_max_lifetime_days", token_max_lifetime_days.as_str()),
        (
            "revoked_token_retention_days",
            revoked_token_retention_days.as_str(),
        ),
        ("token_expiry_enforced", checked(&token_expiry_enforced)),
        ("token_expiry_required", checked(&token_expiry_required)),
        ("admin_mode", checked(&admin_mode)),
        ("git_password_auth", checked(&git_password_auth)),
        (
            "git_token_username_match",
            checked(&git_token_username_match),
        ),
    ];
    let notice = result.as_ref().ok().cloned();
    let keep: &[(&str, &str)] = if result.is_err() { &values } else { &[] };
    ctx::finish("save_admin_settings", keep, notice.as_deref(), result).await
}

#[server(prefix = "/_fn", endpoint = "load_admin_users")]
pub async fn load_admin_users(search: String, page: i64) -> Result<Page<AdminUser>, AppError> {
    use super::ctx;
    use crate::server::db::users::UserFilter;
    use crate::server::services::accounts;
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = offset(page);
    let filter = UserFilter {
        search: Some(search),
        search_email: true,
        ..UserFilter::default()
    };
    let (users, total) = accounts::users_page(&state, &filter, offset, PER_PAGE).await?;
    Ok(Page {
        items: users.into_iter().map(convert::user).collect(),
        page,
        total,
        per_page: PER_PAGE,
    })
}

#[server(prefix = "/_fn", endpoint = "load_admin_user")]
pub async fn load_admin_user(username: String) -> Result<UserPage, AppError> {
    use super::ctx;
    use super::tokens::view;
    use crate::server::reveal;
    use crate::server::services::{accounts, audit, settings, tokens};
    let (state, session, admin) = ctx::admin().await?;
    let user = accounts::find_by_username(&state, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.now();
    let today = crate::domain::instant::date_of(now);
    let policy = tokens::policy(&state).await?;
    let (active, inactive): (Vec<_>, Vec<_>) = tokens::list(&state, user.id)
        .await?
        .into_iter()
        .map(view)
        .partition(|t| t.state(now).is_active());
    let impersonation: Vec<TokenView> = tokens::list_impersonation(&state, user.id)
        .await?
        .into_iter()
        .map(view)
        .collect();
    let revealed = ctx::take_secret(reveal::IMPERSONATION_SECRET, &state, &session, admin.id)
        .await?
        .and_then(|(ticket, secret)| {
            let token = impersonation
                .iter()
                .find(|t| t.id == ticket.subject)
                .cloned()?;
            Some(NewTokenSecret { token, secret })
        });
    let (events, _) = audit::about_user(&state, user.id, 0, 10).await?;
    Ok(UserPage {
        now,
        expiry_enforced: settings::current(&state).await?.token_expiry_enforced,
        user: convert::user(user),
        active,
        inactive,
        impersonation,
        expiry: ExpiryBounds::of(&policy, today),
        events: events.into_iter().map(convert::event).collect(),
        revealed,
    })
}

/// Blocks, unblocks, makes or unmakes an administrator (`change` is one
/// of `domain::admin::UserChange`'s names).
#[server(prefix = "/_fn", endpoint = "change_admin_user")]
pub async fn change_admin_user(user_id: i64, change: String) -> Result<String, AppError> {
    use super::ctx;
    use crate::domain::admin::UserChange;
    use crate::server::services::admin;
    let mut back = None;
    let result = async {
        let (state, _session, me) = ctx::admin().await?;
        let change = UserChange::parse(&change).ok_or(AppError::BadRequest)?;
        let user = admin::change_user(&state, &ctx::actor(&me), user_id, change).await?;
        back = Some(crate::paths::admin_user(&user.username));
        Ok::<_, AppError>(match change {
            UserChange::Block => format!(
                "{} is blocked: their sessions ended and their tokens stopped working.",
                user.username
            ),
            UserChange::Unblock => format!("{} is unblocked.", user.username),
            UserChange::MakeAdmin => format!("{} is now an administrator.", user.username),
            UserChange::RemoveAdmin => format!("{} is no longer an administrator.", user.username),
        })
    }
    .await;
    back_to(back);
    let notice = result.as_ref().ok().cloned();
    ctx::finish("change_admin_user", &[], notice.as_deref(), result).await
}

/// Revokes (`action` = `revoke`) or unrevokes (`unrevoke`) any token.
#[server(prefix = "/_fn", endpoint = "change_admin_token")]
pub async fn change_admin_token(token_id: i64, action: String) -> Result<String, AppError> {
    use super::ctx;
    use crate::server::services::tokens;
    let mut back = None;
    let result = async {
        let (state, _session, me) = ctx::admin().await?;
        let revoke = match action.as_str() {
            "revoke" => true,
            "unrevoke" => false,
            _ => return Err(AppError::BadRequest),
        };
        // Back to the owner's page whatever happens: a refusal is shown
        // there too.
        back = tokens::token_owner(&state, token_id)
            .await?
            .map(|o| crate::paths::admin_user(&o.username));
        let token = tokens::set_token_revoked(&state, &ctx::actor(&me), token_id, revoke).await?;
        Ok(if revoke {
            format!("The token “{}” was revoked.", token.name)
        } else {
            format!("The token “{}” was unrevoked: it works again.", token.name)
        })
    }
    .await;
    back_to(back);
    let notice = result.as_ref().ok().cloned();
    ctx::finish("change_admin_token", &[], notice.as_deref(), result).await
}

#[server(prefix = "/_fn", endpoint = "create_impersonation_token")]
pub async fn create_impersonation_token(
    user_id: i64,
    name: String,
    expires_at: String,
    #[server(default)] scopes: Vec<String>,
    confirm: Option<String>,
) -> Result<CreatedImpersonation, AppError> {
    use super::ctx;
    use super::tokens::view;
    use crate::server::reveal;
    use crate::server::services::accounts;
    use crate::server::services::tokens::{self, Issuer};
    let result = async {
        let (state, session, admin) = ctx::admin().await?;
        let owner = accounts::find(&state, user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if confirm.is_none() {
            return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
                "confirm",
                format!("Confirm that the token may act as {}.", owner.username),
            )]));
        }
        let created = tokens::issue(
            &state,
            &ctx::actor(&admin),
            &owner,
            Issuer::Impersonation(&admin),
            &name,
            &expires_at,
            &scopes,
        )
        .await?;
        let sealed = ctx::hand_over_secret(
            reveal::IMPERSONATION_SECRET,
            &state,
            &session,
            admin.id,
            created.token.id,
            &created.secret,
        )
        .await?;
        Ok::<_, AppError>(CreatedImpersonation(NewTokenSecret {
            token: view(created.token),
            secret: if sealed {
                String::new()
            } else {
                created.secret
            },
        }))
    }
    .await;
    let mut values = Vec::new();
    if result.is_err() {
        values.push(("name", name.as_str()));
        values.push(("expires_at", expires_at.as_str()));
        values.extend(scopes.iter().map(|s| ("scopes[]", s.as_str())));
    }
    ctx::finish(
        "create_impersonation_token",
        &values,
        Some(IMPERSONATION_CREATED),
        result,
    )
    .await
}

#[server(prefix = "/_fn", endpoint = "load_audit_events")]
pub async fn load_audit_events(
    page: i64,
    #[server(default)] actor: String,
    #[server(default)] target: String,
    #[server(default)] action: String,
) -> Result<AuditLog, AppError> {
    use super::ctx;
    use crate::server::services::audit::{self, Action};
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = offset(page);
    let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let action = given(&action);
    if action.as_deref().is_some_and(|a| Action::of(a).is_none()) {
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
            "action",
            "Choose an action from the list.",
        )]));
    }
    let filter = audit::Filter {
        target_user_id: None,
        actor: given(&actor),
        target: given(&target),
        action: action.clone(),
    };
    let (events, total) = audit::list(&state, &filter, offset, PER_PAGE).await?;
    Ok(AuditLog {
        events: Page {
            items: events.into_iter().map(convert::event).collect(),
            page,
            total,
            per_page: PER_PAGE,
        },
        filter: AuditFilter {
            actor: filter.actor.unwrap_or_default(),
            target: filter.target.unwrap_or_default(),
            action: action.unwrap_or_default(),
        },
        actions: Action::ALL
            .iter()
            .map(|a| (a.as_str().to_owned(), a.label().to_owned()))
            .collect(),
    })
}

#[server(prefix = "/_fn", endpoint = "load_outbox")]
pub async fn load_outbox(page: i64) -> Result<OutboxPage, AppError> {
    use super::ctx;
    use crate::server::services::mail;
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = offset(page);
    let (mails, total) = mail::outbox_page(&state, offset, PER_PAGE).await?;
    let smtp = state.config.smtp;
    Ok(OutboxPage {
        smtp,
        mails: Page {
            items: mails.into_iter().map(|m| convert::mail(m, smtp)).collect(),
            page,
            total,
            per_page: PER_PAGE,
        },
    })
}

/// A plain form post returns to the user's page (not to the confirmation
/// step it came from).
#[cfg(feature = "ssr")]
fn back_to(path: Option<String>) {
    if super::ctx::is_plain_form_post() {
        leptos_axum::redirect(path.as_deref().unwrap_or(crate::paths::ADMIN_USERS));
    }
}

impl crate::app::components::form::ToNotice for CreatedImpersonation {
    fn to_notice(&self) -> Option<String> {
        Some(IMPERSONATION_CREATED.to_owned())
    }
}

/// Enters admin mode: the password again, and a two-factor code (or a
/// recovery code) when the administrator has 2FA. Wrong passwords count
/// towards the account's lock, wrong codes towards the second step's.
#[server(prefix = "/_fn", endpoint = "enter_admin_mode")]
pub async fn enter_admin_mode(password: String, code: Option<String>) -> Result<(), AppError> {
    use super::ctx;
    use crate::server::services::{accounts, audit, two_factor, ServiceError};
    use crate::server::session;
    let result = async {
        let (state, session, user) = ctx::signed_in().await?;
        if !user.is_admin {
            return Err(AppError::NotFound);
        }
        match accounts::recheck_password(&state, user.id, &password).await {
            Ok(_) => {}
            Err(ServiceError::InvalidCredentials) => {
                return Err(AppError::Invalid(vec![crate::domain::FieldError::new(
                    "password",
                    "The password is wrong.",
                )]))
            }
            Err(other) => return Err(other.into()),
        }
        if user.two_factor_enabled {
            let code = code.as_deref().unwrap_or_default();
            two_factor::verify_second_step(&state, &user, code).await?;
        }
        session::set_admin_mode(&session, state.now()).await?;
        tracing::info!(user_id = user.id, "administrator entered admin mode");
        let event = audit::Event::new(audit::Action::AdminModeEntered).on_user(&user);
        audit::record_now(&state, &ctx::actor(&user), event).await?;
        Ok(())
    }
    .await;
    ctx::finish("enter_admin_mode", &[], None, result).await
}
