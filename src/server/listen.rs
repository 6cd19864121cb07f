//! The HTTP listener, bounded against slow and idle clients: a connection
//! must send a whole request head (at most 64 KiB) within the header timeout (which also
//! ends a kept-alive connection left idle that long), request bodies that
//! stall are cut off, at most `max_connections` are served at
//! once (more wait in the kernel's queue), and a failing `accept` (out of
//! file descriptors) is waited out, never fatal.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// A request head larger than this is refused (431) before it is read
/// whole: what one slow connection can make the server hold.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long connections still open at shutdown may finish their requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request head, and to start the next one on a
    /// kept-alive connection.
    pub header_timeout: Duration,
    /// A request body that sends nothing for this long is cut off.
    pub body_stall_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(15),
            body_stall_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// Raises this process's open-file limit to the hard limit; returns the
/// limit in force.
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

impl Limits {
    /// These limits, with at most as many connections as `open_files`
    /// leaves room for (the database, repositories and logs need some).
    pub fn fitting(self, open_files: Option<u64>) -> Self {
        let Some(open_files) = open_files else {
            return self;
        };
        let room = usize::try_from(open_files.saturating_sub(256))
            .unwrap_or(usize::MAX)
            .max(16);
        if room < self.max_connections {
            tracing::warn!(
                open_files,
                max_connections = room,
                "fewer connections than asked: the open-file limit is low"
            );
        }
        Self {
            max_connections: self.max_connections.min(room),
            ..self
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open
/// requests finish for a few seconds.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stall = limits.body_stall_timeout;
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let req = req.map(|body| axum::body::Body::new(TimeoutBody::new(stall, body)));
            app.clone().oneshot(req)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open at shutdown were closed");
    }
}

/// A failed `accept`: the client gave up (nothing to do) or the process is
/// out of file descriptors or memory (wait for connections to close).
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; retrying shortly");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Where a test server listens.
#[cfg(test)]
pub async fn spawn_for_test(app: Router, limits: Limits) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, limits, std::future::pending()));
    addr
}
