//! Admin Area → Outbox.

use super::{AppError, Page};
use leptos::server;
use serde::{Deserialize, Serialize};

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

#[cfg(feature = "ssr")]
fn mail_view(m: crate::server::db::outbox::StoredMail, smtp: bool) -> MailView {
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

#[server(prefix = "/_fn", output = crate::app::fns::codec::Json, endpoint = "load_outbox")]
pub async fn load_outbox(page: i64) -> Result<OutboxPage, AppError> {
    use crate::app::fns::ctx;
    use crate::server::services::mail;
    let (state, _session, _admin) = ctx::admin().await?;
    let (page, offset) = super::offset(page);
    let (mails, total) = mail::outbox_page(&state, offset, super::PER_PAGE).await?;
    let smtp = state.config.smtp;
    Ok(OutboxPage {
        smtp,
        mails: Page {
            items: mails.into_iter().map(|m| mail_view(m, smtp)).collect(),
            page,
            total,
            per_page: super::PER_PAGE,
        },
    })
}
