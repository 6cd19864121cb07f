//! Delivering the outbox: through lettre's stub transport, and through a
//! real SMTP conversation with a minimal server in the test.

use super::support::{both_backends, state, T0};
use crate::server::clock::ManualClock;
use crate::server::db::outbox;
use crate::server::mailer::{Mailer, Security, SmtpSettings};
use crate::server::services::mail::{self, Mail};
use crate::server::services::mail::{deliver_due, Delivery};
use crate::server::state::AppState;
use lettre::transport::stub::AsyncStubTransport;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn from() -> lettre::message::Mailbox {
    "Forgekey <keys@example.com>".parse().unwrap()
}

async fn queue(st: &AppState, to: &str, subject: &str) {
    let mail = Mail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body: format!("Hello {to}"),
    };
    mail::queue(&st.db.pool, &mail, st.now()).await.unwrap();
}

async fn stored(st: &AppState) -> Vec<outbox::StoredMail> {
    let (mut all, _) = outbox::list(&st.db, 0, 100).await.unwrap();
    all.reverse();
    all
}

both_backends!(mail_is_sent_once_and_marked, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    queue(&st, "ann@example.com", "First").await;
    queue(&st, "bob@example.com", "Second").await;
    let stub = AsyncStubTransport::new_ok();
    let mailer = Mailer::stub(stub.clone(), from());
    let d = deliver_due(&st, &mailer, 10).await.unwrap();
    assert_eq!(d, Delivery { sent: 2, failed: 0 });
    let messages = stub.messages().await;
    assert_eq!(messages.len(), 2);
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope.to()[0].to_string(), "ann@example.com");
    assert!(raw.contains("Subject: First"), "{raw}");
    assert!(raw.contains("From: Forgekey <keys@example.com>"), "{raw}");
    assert!(stored(&st).await.iter().all(|m| m.sent_at == Some(T0)));
    // Nothing twice.
    assert_eq!(
        deliver_due(&st, &mailer, 10).await.unwrap(),
        Delivery::default()
    );
    assert_eq!(stub.messages().await.len(), 2);
});

both_backends!(failures_are_retried_later_then_given_up, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    queue(&st, "ann@example.com", "Retry me").await;
    let broken = Mailer::stub(AsyncStubTransport::new_error(), from());
    assert_eq!(
        deliver_due(&st, &broken, 10).await.unwrap(),
        Delivery { sent: 0, failed: 1 }
    );
    let m = &stored(&st).await[0];
    assert_eq!(
        (m.attempts, m.next_attempt_at, m.sent_at),
        (1, Some(T0 + 60), None)
    );
    assert!(m.last_error.is_some());
    // Not before the delay.
    let stub = AsyncStubTransport::new_ok();
    let working = Mailer::stub(stub.clone(), from());
    clock.advance(59);
    assert_eq!(
        deliver_due(&st, &working, 10).await.unwrap(),
        Delivery::default()
    );
    clock.advance(1);
    assert_eq!(deliver_due(&st, &working, 10).await.unwrap().sent, 1);
    assert_eq!(stub.messages().await.len(), 1);

    // Eight failures in all, then it is given up.
    queue(&st, "bob@example.com", "Never").await;
    for _ in 0..8 {
        clock.advance(3_600);
        deliver_due(&st, &broken, 10).await.unwrap();
    }
    clock.advance(3_600);
    assert_eq!(
        deliver_due(&st, &broken, 10).await.unwrap(),
        Delivery::default()
    );
    let m = stored(&st).await.pop().unwrap();
    assert_eq!((m.attempts, m.sent_at), (8, None));
});

both_backends!(two_senders_send_each_message_once, |t| {
    let clock = ManualClock::at(T0);
    let (one, two) = (state(&t, &clock), state(&t, &clock));
    for i in 0..6 {
        queue(&one, &format!("user{i}@example.com"), "Hi").await;
    }
    let (a, b) = (AsyncStubTransport::new_ok(), AsyncStubTransport::new_ok());
    let (ma, mb) = (
        Mailer::stub(a.clone(), from()),
        Mailer::stub(b.clone(), from()),
    );
    let (x, y) = tokio::join!(deliver_due(&one, &ma, 10), deliver_due(&two, &mb, 10));
    assert_eq!(x.unwrap().sent + y.unwrap().sent, 6);
    assert_eq!(a.messages().await.len() + b.messages().await.len(), 6);
});

/// A minimal SMTP server: accepts one message and hands back its DATA.
async fn smtp_sink() -> (u16, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
        let mut data = String::new();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    write.write_all(b"250 queued\r\n").await.unwrap();
                    break; // one message is all this server takes
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await.unwrap();
        }
        data
    });
    (port, task)
}

both_backends!(mail_goes_through_a_real_smtp_conversation, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    queue(&st, "ann@example.com", "Over the wire").await;
    let (port, sink) = smtp_sink().await;
    let settings = SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Security::None,
        username: None,
        password: Some("not-logged".into()),
        from: from(),
    };
    assert!(!format!("{settings:?}").contains("not-logged"));
    let mailer = Mailer::smtp(&settings).unwrap();
    let d = deliver_due(&st, &mailer, 10).await.unwrap();
    assert_eq!(d, Delivery { sent: 1, failed: 0 });
    let data = sink.await.unwrap();
    assert!(data.contains("Subject: Over the wire"), "{data}");
    assert!(data.contains("To: ann@example.com"), "{data}");
    assert!(data.contains("Hello ann@example.com"), "{data}");
});

both_backends!(a_mail_directory_gets_each_message_whole, |t| {
    let clock = ManualClock::at(T0);
    let st = state(&t, &clock);
    let dir = tempfile::tempdir().unwrap();
    assert!(Mailer::dir(dir.path().join("missing"), from()).is_err());
    let mailer = Mailer::dir(dir.path().to_owned(), from()).unwrap();
    queue(&st, "ann@example.com", "To a file").await;
    let d = deliver_due(&st, &mailer, 10).await.unwrap();
    assert_eq!(d, Delivery { sent: 1, failed: 0 });
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let id = stored(&st).await[0].id;
    assert_eq!(names, [format!("{id}.eml")]);
    let raw = std::fs::read_to_string(dir.path().join(&names[0])).unwrap();
    assert!(raw.contains("Subject: To a file"), "{raw}");
    assert!(raw.contains("To: ann@example.com"), "{raw}");
    assert!(raw.contains("Hello ann@example.com"), "{raw}");
});
