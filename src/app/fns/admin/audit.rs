//! Admin Area → Audit events.

use super::{AppError, Page};
use leptos::server;
use serde::{Deserialize, Serialize};

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

#[cfg(feature = "ssr")]
pub(crate) fn audit_line(e: crate::server::db::audit::AuditEvent) -> AuditLine {
    let acted_as = e.acted_as_name.map(|name| match e.acted_via.as_deref() {
        Some(via) => format!("as {name} ({via})"),
        None => format!("as {name}"),
    });
    AuditLine {
        id: e.id,
        at: e.created_at,
        actor: e.actor_name,
        acted_as,
        action: crate::server::services::audit::Action::label_of(&e.action),
        target: e.target_name,
        token: e.token_name,
        details: e.details,
        address: e.ip_address,
    }
}

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_audit_events")]
pub async fn load_audit_events(
    page: i64,
    #[server(default)] actor: String,
    #[server(default)] target: String,
    #[server(default)] action: String,
) -> Result<AuditLog, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::audit::{self, Action};
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = super::offset(page);
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
    let (events, total) = audit::list(&state, &filter, offset, super::PER_PAGE).await?;
    Ok(AuditLog {
        events: Page {
            items: events.into_iter().map(audit_line).collect(),
            page,
            total,
            per_page: super::PER_PAGE,
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
