//! Outgoing mail. Messages are written to the outbox table in the
//! transaction of the change that causes them (none is lost, none sent for
//! a change that did not happen); administrators read the outbox in the
//! Admin Area, so a single machine needs no mail server. Bodies name
//! tokens and dates, never a secret.

use super::ServiceError;
use crate::domain::delivery::{retry_delay, MAX_ATTEMPTS};
use crate::domain::instant::date_of;
use crate::domain::lifetime::iso;
use crate::paths;
use crate::server::db::outbox;
use crate::server::db::tokens::{Notice, Token};
use crate::server::db::users::User;
use crate::server::mailer::Mailer;
use crate::server::sealed::Sealer;
use crate::server::state::Core;
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Where a mail's part for its recipient only (a password reset link)
/// stands in its stored body: the outbox, which administrators read,
/// shows this; delivery puts the part, kept sealed, in its place.
pub const SEALED_PART: &str = "[a link for the recipient only: it is in the mail they receive]";

const SEAL_LABEL: &str = "forgekey outbox sealed part v1";

/// Queues `mail` through `executor` (the change's transaction).
pub async fn queue<'e, E>(executor: E, mail: &Mail, now: i64) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    outbox::insert(executor, now, &mail.to, &mail.subject, &mail.body, None).await?;
    tracing::info!(subject = %mail.subject, "mail queued");
    Ok(())
}

/// Queues `mail`, whose body holds [`SEALED_PART`], with `part` sealed
/// (AES-GCM under a key derived from the server secret, bound to the
/// recipient): the database never holds it in clear.
pub async fn queue_sealed<'e, E>(
    executor: E,
    state: &Core,
    mail: &Mail,
    part: &str,
    now: i64,
) -> Result<(), ServiceError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    debug_assert!(mail.body.contains(SEALED_PART));
    let sealed = Sealer::new(&state.config.secret, SEAL_LABEL)
        .seal(part.as_bytes(), mail.to.as_bytes())
        .ok_or(ServiceError::Internal)?;
    outbox::insert(
        executor,
        now,
        &mail.to,
        &mail.subject,
        &mail.body,
        Some(&sealed),
    )
    .await?;
    tracing::info!(subject = %mail.subject, "mail queued");
    Ok(())
}

/// The message as its recipient gets it: the sealed part opened in its
/// place. `None` when it does not open (the server secret changed).
fn for_recipient(state: &Core, mut mail: outbox::StoredMail) -> Option<outbox::StoredMail> {
    if let Some(sealed) = mail.sealed.take() {
        let part = Sealer::new(&state.config.secret, SEAL_LABEL)
            .open(&sealed, mail.recipient.as_bytes())
            .and_then(|bytes| String::from_utf8(bytes).ok())?;
        mail.body = mail.body.replace(SEALED_PART, &part);
    }
    Some(mail)
}

/// The "Forgot your password?" mail: the link (`SEALED_PART` here) works
/// once, within the hour. `by_admin`: an administrator sent it.
pub fn password_reset(user: &User, by_admin: bool) -> Mail {
    let why = if by_admin {
        "An administrator sent you a link to choose a new password"
    } else {
        "Someone, hopefully you, asked to reset the password"
    };
    Mail {
        to: user.email.clone(),
        subject: "Reset password instructions".to_owned(),
        body: format!(
            "Hello {name},\n\n\
             {why} of your Forgekey account {name}. Open this link within an hour to choose \
             a new password:\n\n{SEALED_PART}\n\n\
             The link works once. Choosing a new password signs you out everywhere.\n\
             If you did not ask for this, ignore this mail: your password stays as it is.\n",
            name = user.username,
        ),
    }
}

/// Where links in mail point: the public URL, else the address served.
pub fn base_url(state: &Core) -> String {
    match &state.config.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => format!("http://{}", state.config.listen_addr),
    }
}

fn token_lines(tokens: &[&Token]) -> String {
    tokens.iter().fold(String::new(), |mut out, t| {
        let _ = match t.expires_at {
            Some(at) => writeln!(out, "- {} (expires {})", t.name, iso(date_of(at))),
            None => writeln!(out, "- {} (no expiry date)", t.name),
        };
        out
    })
}

/// Tells `user` that an administrator's lower lifetime limit revoked
/// these tokens of theirs.
pub fn revoked_by_limit(user: &User, tokens: &[&Token], max_days: i64, base: &str) -> Mail {
    let count = tokens.len();
    Mail {
        to: user.email.clone(),
        subject: if count == 1 {
            "A personal access token of yours was revoked".to_owned()
        } else {
            format!("{count} personal access tokens of yours were revoked")
        },
        body: format!(
            "Hello {name},\n\n\
             An administrator limited personal access tokens to {max_days} days, so these \
             tokens of yours, which expired later, were revoked:\n\n{lines}\n\
             Scripts and tools using them stop working. Create new tokens at:\n{base}{tokens_path}\n",
            name = user.username,
            lines = token_lines(tokens),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// What happened to a token, for the mail its owner gets (GitHub and
/// GitLab mail on some of these; Forgekey on each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifecycle {
    Created,
    /// The new token of a rotation; the old secret works until
    /// `old_works_until` (an overlap window) or stopped at once.
    Rotated {
        old_works_until: Option<i64>,
    },
    Revoked,
}

/// Tells `owner` that `token` was created, rotated (`token` is the new
/// one) or revoked, by whom, from where and when: whoever did not expect
/// it can revoke it at once.
pub fn token_lifecycle(
    owner: &User,
    token: &Token,
    change: Lifecycle,
    actor: &super::audit::Actor,
    now: i64,
    base: &str,
) -> Mail {
    let kind = if token.impersonation {
        "impersonation token"
    } else {
        "personal access token"
    };
    let (subject, what) = match change {
        Lifecycle::Created if token.impersonation => (
            "An impersonation token was created for your account".to_owned(),
            "was created for your account",
        ),
        Lifecycle::Created => (
            "A new personal access token has been created".to_owned(),
            "of yours was created",
        ),
        Lifecycle::Rotated { .. } => (format!("Your {kind} was rotated"), "of yours was rotated"),
        Lifecycle::Revoked => (format!("Your {kind} was revoked"), "of yours was revoked"),
    };
    let by = if actor.id == Some(owner.id) && actor.acted_as.is_none() {
        "you".to_owned()
    } else {
        actor.name.clone()
    };
    let from = actor
        .address
        .map_or(String::new(), |ip| format!(" from {ip}"));
    let scopes: Vec<String> = token.scopes.iter().map(ToString::to_string).collect();
    let expires = token.expires_at.map_or("no expiry date".to_owned(), |at| {
        format!("expires {}", iso(date_of(at)))
    });
    let advice = match change {
        Lifecycle::Revoked => {
            "Scripts and tools using it stop working. Create a new token if you still need one at:"
                .to_owned()
        }
        Lifecycle::Rotated {
            old_works_until: None,
        } => "The old secret stopped working; the new one was shown once to whoever rotated it. \
              If you did not expect this, revoke it at:"
            .to_owned(),
        Lifecycle::Rotated {
            old_works_until: Some(until),
        } => format!(
            "The old secret keeps working until {} (the overlap asked for), then stops; the new \
             one was shown once to whoever rotated it. If you did not expect this, revoke both \
             at:",
            crate::domain::instant::date_time(until)
        ),
        Lifecycle::Created => "If you did not expect this, revoke it at:".to_owned(),
    };
    Mail {
        to: owner.email.clone(),
        subject,
        body: format!(
            "Hello {name},\n\n\
             A {kind} {what}: \"{token_name}\" (scopes: {scopes}; {expires}), by {by}{from} \
             at {when}.\n\n{advice}\n{base}{tokens_path}\n",
            name = owner.username,
            token_name = token.name,
            scopes = scopes.join(", "),
            when = crate::domain::instant::date_time(now),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// Queues the [`token_lifecycle`] mail through `executor` (the change's
/// transaction).
pub async fn queue_lifecycle<'e, E>(
    executor: E,
    state: &Core,
    (owner, token): (&User, &Token),
    change: Lifecycle,
    actor: &super::audit::Actor,
    now: i64,
) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let mail = token_lifecycle(owner, token, change, actor, now, &base_url(state));
    queue(executor, &mail, now).await
}

/// Tells `user` that somebody reported these tokens of theirs as leaked
/// (found in public) and they were revoked.
pub fn leaked(user: &User, tokens: &[&Token], base: &str) -> Mail {
    let count = tokens.len();
    Mail {
        to: user.email.clone(),
        subject: if count == 1 {
            "A personal access token of yours was found in public and revoked".to_owned()
        } else {
            format!("{count} personal access tokens of yours were found in public and revoked")
        },
        body: format!(
            "Hello {name},\n\n\
             Somebody reported these tokens of yours as leaked (their secrets were found in \
             public, for example in a repository or a paste), so they were revoked:\n\n{lines}\n\
             Scripts and tools using them stop working. Remove the secrets from wherever they \
             were published, then create new tokens at:\n{base}{tokens_path}\n",
            name = user.username,
            lines = token_lines(tokens),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// Warns `user` that these tokens of theirs, unused for a while, will be
/// revoked on `on` unless used before.
pub fn unused_warning(
    user: &User,
    tokens: &[&Token],
    days: i64,
    on: time::Date,
    base: &str,
) -> Mail {
    let count = tokens.len();
    Mail {
        to: user.email.clone(),
        subject: if count == 1 {
            "A personal access token of yours will be revoked for disuse".to_owned()
        } else {
            format!("{count} personal access tokens of yours will be revoked for disuse")
        },
        body: format!(
            "Hello {name},\n\n\
             Administrators have tokens revoked once unused for {days} days. These tokens of \
             yours have not been used for {idle} days and will be revoked on {on} unless used \
             before:\n\n{lines}\n\
             If you still need one, use it (any request with it counts); if not, there is \
             nothing to do. Your tokens are at:\n{base}{tokens_path}\n",
            name = user.username,
            idle = days - crate::domain::expiry::UNUSED_WARNING_DAYS,
            on = iso(on),
            lines = token_lines(tokens),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// Tells `user` that these tokens of theirs were revoked for disuse.
pub fn revoked_unused(user: &User, tokens: &[&Token], days: i64, base: &str) -> Mail {
    let count = tokens.len();
    Mail {
        to: user.email.clone(),
        subject: if count == 1 {
            "A personal access token of yours was revoked for disuse".to_owned()
        } else {
            format!("{count} personal access tokens of yours were revoked for disuse")
        },
        body: format!(
            "Hello {name},\n\n\
             These tokens of yours were not used for {days} days, so they were revoked as \
             administrators have it (you were warned a week ago):\n\n{lines}\n\
             Create new tokens if you need them at:\n{base}{tokens_path}\n",
            name = user.username,
            lines = token_lines(tokens),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// A daily notice about a user's tokens expiring: within 60, 30 or seven
/// days, or today.
pub fn expiring(user: &User, tokens: &[&Token], notice: Notice, base: &str) -> Mail {
    let count = tokens.len();
    let (one, many, what) = match notice {
        Notice::Expiring60Days => (
            "Your personal access token expires within 60 days",
            "of your personal access tokens expire within 60 days",
            "expire within 60 days (at 00:00 UTC on the date shown)",
        ),
        Notice::Expiring30Days => (
            "Your personal access token expires within 30 days",
            "of your personal access tokens expire within 30 days",
            "expire within 30 days (at 00:00 UTC on the date shown)",
        ),
        Notice::ExpiringSoon => (
            "Your personal access token expires soon",
            "of your personal access tokens expire soon",
            "expire within seven days (at 00:00 UTC on the date shown)",
        ),
        Notice::ExpiringToday => (
            "Your personal access token expired today",
            "of your personal access tokens expired today",
            "expired today at 00:00 UTC",
        ),
    };
    Mail {
        to: user.email.clone(),
        subject: if count == 1 {
            one.to_owned()
        } else {
            format!("{count} {many}")
        },
        body: format!(
            "Hello {name},\n\nThese personal access tokens of yours {what}:\n\n{lines}\n\
             Scripts and tools using them stop working then. Create new tokens (or rotate these) at:\n\
             {base}{tokens_path}\n",
            name = user.username,
            lines = token_lines(tokens),
            tokens_path = paths::TOKENS,
        ),
    }
}

/// One page of the outbox, newest first, and how many mails it holds.
pub async fn outbox_page(
    state: &Core,
    offset: i64,
    limit: i64,
) -> Result<(Vec<outbox::StoredMail>, i64), ServiceError> {
    Ok(outbox::list(&state.db, offset, limit).await?)
}

/// A claim on a message lasts this long (a sender that died lets go).
const CLAIM_SECONDS: i64 = 120;

/// What one pass over the outbox did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u64,
    pub failed: u64,
}

/// Sends up to `limit` messages that are due, at the state's clock.
pub async fn deliver_due(
    state: &Core,
    mailer: &Mailer,
    limit: i64,
) -> Result<Delivery, ServiceError> {
    let now = state.now();
    let mut delivery = Delivery::default();
    for mail in outbox::due(&state.db, now, MAX_ATTEMPTS, limit).await? {
        if !outbox::claim(&state.db, mail.id, now, now + CLAIM_SECONDS).await? {
            continue; // another instance is sending it
        }
        let Some(mail) = for_recipient(state, mail.clone()) else {
            tracing::warn!(mail_id = %mail.id, "mail not sent: its sealed part does not open");
            let error = "its sealed part does not open (was the server secret changed?)";
            outbox::mark_failed(&state.db, mail.id, error, None).await?;
            delivery.failed += 1;
            continue;
        };
        match mailer.send(&mail).await {
            Ok(()) => {
                outbox::mark_sent(&state.db, mail.id, state.now()).await?;
                delivery.sent += 1;
            }
            Err(error) => {
                let failures = mail.attempts + 1;
                let next = retry_delay(failures).map(|delay| state.now() + delay);
                tracing::warn!(mail_id = %mail.id, failures, %error, gave_up = next.is_none(), "mail not sent");
                outbox::mark_failed(&state.db, mail.id, &error, next).await?;
                delivery.failed += 1;
            }
        }
    }
    Ok(delivery)
}
