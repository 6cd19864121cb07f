//! Delivers the outbox through an SMTP server (lettre) when one is
//! configured. Without one, mail stays in the outbox for administrators to
//! read. Each message is claimed by one sender at a time, marked sent when
//! the server took it, and retried with a growing delay after failures
//! (`domain::delivery`); a crash between sending and marking can send a
//! message twice, never lose it.

use crate::server::db::outbox::StoredMail;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::stub::AsyncStubTransport;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How a connection to the SMTP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Security {
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Plain, then upgraded with STARTTLS, which is required (usually port 587).
    Starttls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

/// The SMTP server and the sender address.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Mailbox,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Records messages instead (tests).
    Stub(AsyncStubTransport),
    /// Each message as `<outbox id>.eml` in this directory.
    Dir(std::path::PathBuf),
}

/// Sends stored mail.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    pub fn smtp(settings: &SmtpSettings) -> Result<Self, String> {
        let builder = match settings.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
            Security::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            }
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &settings.host,
            )),
        }
        .map_err(|e| format!("SMTP server {}: {e}", settings.host))?;
        let builder = match settings.port {
            Some(port) => builder.port(port),
            None => builder,
        };
        let builder = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            _ => builder,
        };
        Ok(Self {
            transport: Transport::Smtp(builder.timeout(Some(Duration::from_secs(30))).build()),
            from: settings.from.clone(),
        })
    }

    /// Writes each message into `dir` as `<outbox id>.eml` (RFC 5322, as
    /// it would go to an SMTP server): for a local mail pickup, or to read
    /// mail on a machine without a mail server. The directory must exist.
    pub fn dir(dir: std::path::PathBuf, from: Mailbox) -> Result<Self, String> {
        if !dir.is_dir() {
            return Err(format!("mail directory {} does not exist", dir.display()));
        }
        Ok(Self {
            transport: Transport::Dir(dir),
            from,
        })
    }

    pub fn stub(stub: AsyncStubTransport, from: Mailbox) -> Self {
        Self {
            transport: Transport::Stub(stub),
            from,
        }
    }

    /// Sends one stored mail; the error in words when it was not sent.
    pub(crate) async fn send(&self, mail: &StoredMail) -> Result<(), String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Transport::Stub(stub) => stub
                .send(message)
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Transport::Dir(dir) => {
                // Written whole under a temporary name, then renamed: a
                // reader never sees half a message.
                let path = dir.join(format!("{}.eml", mail.id));
                let partial = dir.join(format!(".{}.eml.partial", mail.id));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", partial.display()))?;
                tokio::fs::rename(&partial, &path)
                    .await
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
        }
    }
}
