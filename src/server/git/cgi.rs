//! Runs `git http-backend` (CGI) for one request, streaming both ways: the
//! request body goes to its stdin as it arrives, and its stdout becomes the
//! response body as it is produced, so no pack is ever held in memory.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use std::path::Path;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio_util::io::{ReaderStream, StreamReader};

/// What the backend needs to know about the request.
pub struct CgiRequest<'a> {
    pub method: &'a Method,
    /// `/<id>.git/info/refs` and the like, under `project_root`.
    pub path_info: String,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    /// The authenticated user, if any (enables receive-pack).
    pub remote_user: Option<&'a str>,
    pub remote_addr: Option<String>,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn failure(what: &str, error: impl std::fmt::Display) -> Response {
    tracing::error!(error = %error, "git http-backend: {what}");
    (StatusCode::INTERNAL_SERVER_ERROR, "Git backend error\n").into_response()
}

pub async fn run(project_root: &Path, req: CgiRequest<'_>, body: Body) -> Response {
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", project_root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_PROJECT_ROOT", project_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("REQUEST_METHOD", req.method.as_str())
        .env("PATH_INFO", &req.path_info)
        .env("QUERY_STRING", req.query)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(v) = header(req.headers, "content-type") {
        cmd.env("CONTENT_TYPE", v);
    }
    if let Some(v) = header(req.headers, "content-length") {
        cmd.env("CONTENT_LENGTH", v);
    }
    if let Some(v) = header(req.headers, "content-encoding") {
        cmd.env("HTTP_CONTENT_ENCODING", v);
    }
    if let Some(v) = header(req.headers, "git-protocol") {
        cmd.env("GIT_PROTOCOL", v);
    }
    if let Some(user) = req.remote_user {
        cmd.env("REMOTE_USER", user);
    }
    if let Some(addr) = &req.remote_addr {
        cmd.env("REMOTE_ADDR", addr);
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => return failure("cannot start", e),
    };
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return failure("no pipes", "stdio not captured");
    };

    // Request body → stdin, as it arrives.
    tokio::spawn(async move {
        let stream = body.into_data_stream().map_err(std::io::Error::other);
        let mut reader = StreamReader::new(stream);
        if let Err(e) = tokio::io::copy(&mut reader, &mut stdin).await {
            tracing::debug!(error = %e, "git request body ended early");
        }
    });
    // Diagnostics → the log; the process is reaped when it ends.
    tokio::spawn(async move {
        let mut text = String::new();
        let _ = (&mut stderr)
            .take(16 * 1024)
            .read_to_string(&mut text)
            .await;
        let status = child.wait().await;
        if !text.trim().is_empty() {
            tracing::warn!(message = %text.trim(), "git http-backend");
        }
        if let Err(e) = status {
            tracing::warn!(error = %e, "git http-backend did not end cleanly");
        }
    });

    // CGI response headers, then the body streamed from the same buffer.
    let mut out = BufReader::new(stdout);
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    let mut line = String::new();
    loop {
        line.clear();
        match out.read_line(&mut line).await {
            Ok(0) => return failure("no response", "stdout closed before the headers"),
            Ok(_) => {}
            Err(e) => return failure("unreadable response", e),
        }
        let text = line.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return failure("bad header", text);
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok());
            status = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        } else if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let mut response = Response::new(Body::from_stream(ReaderStream::new(out)));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
