//! The listener under slow and idle clients: hundreds of sockets that send
//! nothing, drip a header line at a time or stall a body are closed on time,
//! and normal requests keep being answered meanwhile.

use super::support::{app, both_backends, state, T0};
use crate::server::clock::ManualClock;
use crate::server::listen::{spawn_for_test, Limits};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SHORT: Limits = Limits {
    header_timeout: Duration::from_secs(1),
    body_stall_timeout: Duration::from_secs(1),
    max_connections: 1_000,
};

/// A plain `GET /-/liveness` on a new connection: its status line.
async fn liveness(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut reply))
        .await
        .expect("no answer within 5 s")
        .unwrap();
    String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Whether the server closed `s` within `limit` (reads end or fail).
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // An answer (e.g. 408): keep reading until the close.
            Ok(Ok(_)) => {}
        }
    }
}

both_backends!(
    slow_and_idle_sockets_are_closed_while_others_are_served,
    |t| {
        let clock = ManualClock::at(T0);
        let addr = spawn_for_test(app(&t, state(&t, &clock)).await, SHORT).await;
        // 300 silent sockets and 200 that drip one header line every 300 ms.
        let mut silent = Vec::new();
        for _ in 0..300 {
            silent.push(TcpStream::connect(addr).await.unwrap());
        }
        let drips: Vec<_> = (0..200)
            .map(|_| {
                tokio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    let started = tokio::time::Instant::now();
                    if s.write_all(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\n")
                        .await
                        .is_err()
                    {
                        return started.elapsed();
                    }
                    for i in 0..100 {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        let line = format!("X-Drip-{i}: x\r\n");
                        if s.write_all(line.as_bytes()).await.is_err() {
                            break;
                        }
                        // Closed by the server: reading ends at once.
                        let mut buf = [0u8; 256];
                        if let Ok(Ok(0) | Err(_)) =
                            tokio::time::timeout(Duration::from_millis(1), s.read(&mut buf)).await
                        {
                            break;
                        }
                    }
                    started.elapsed()
                })
            })
            .collect();
        // A kept-alive connection that asked once, then went quiet.
        let mut kept = TcpStream::connect(addr).await.unwrap();
        kept.write_all(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 512];
        let n = kept.read(&mut first).await.unwrap();
        assert!(first[..n].starts_with(b"HTTP/1.1 200"));
        // Meanwhile, everyone else is answered.
        for _ in 0..20 {
            assert_eq!(liveness(addr).await, "HTTP/1.1 200 OK");
        }
        for s in &mut silent {
            assert!(
                closed_within(s, Duration::from_secs(3)).await,
                "a silent socket stayed open"
            );
        }
        assert!(
            closed_within(&mut kept, Duration::from_secs(3)).await,
            "an idle kept-alive connection stayed open"
        );
        for drip in drips {
            let held = drip.await.unwrap();
            assert!(
                held < Duration::from_secs(4),
                "a dripping socket was held {held:?}"
            );
        }
        assert_eq!(liveness(addr).await, "HTTP/1.1 200 OK");
    }
);

both_backends!(at_the_connection_cap_new_clients_wait_their_turn, |t| {
    let clock = ManualClock::at(T0);
    let limits = Limits {
        max_connections: 50,
        ..SHORT
    };
    let addr = spawn_for_test(app(&t, state(&t, &clock)).await, limits).await;
    let mut held = Vec::new();
    for _ in 0..50 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // Every slot is taken: this one is accepted once the idle ones are
    // closed by the header timeout, and answered.
    let started = tokio::time::Instant::now();
    assert_eq!(liveness(addr).await, "HTTP/1.1 200 OK");
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "the cap did not hold"
    );
});

// The form is read whole before anything is decided: only the stall
// timeout ends this request.
both_backends!(a_stalled_body_is_cut_off, |t| {
    let clock = ManualClock::at(T0);
    let addr = spawn_for_test(app(&t, state(&t, &clock)).await, SHORT).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(
        b"POST /_fn/sign_in HTTP/1.1\r\nHost: localhost\r\nSec-Fetch-Site: same-origin\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=",
    )
    .await
    .unwrap();
    assert!(
        closed_within(&mut s, Duration::from_secs(4)).await,
        "a stalled body held its connection"
    );
});

// What one connection can make the server hold is bounded: a request head
// past 64 KiB is refused before the rest arrives.
both_backends!(an_oversized_request_head_is_refused_early, |t| {
    let clock = ManualClock::at(T0);
    let addr = spawn_for_test(app(&t, state(&t, &clock)).await, SHORT).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /-/liveness HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let line = format!("X-Padding: {}\r\n", "a".repeat(1_000));
    let mut refused = false;
    for _ in 0..100 {
        if s.write_all(line.as_bytes()).await.is_err() {
            refused = true;
            break;
        }
    }
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), s.read_to_end(&mut reply)).await;
    let status = String::from_utf8_lossy(&reply)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        refused || status.starts_with("HTTP/1.1 431"),
        "a 100 KB head was read whole: {status:?}"
    );
});
