//! Health probes for load balancers and orchestrators, in GitLab's shapes:
//! liveness (the process answers) and readiness (it can serve: its
//! database answers). Readiness asks the database at most once a second,
//! however often it is probed.

use super::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tokio::sync::Mutex;

/// How long a readiness answer is reused, in seconds of the state's clock.
const REUSE_SECONDS: i64 = 1;

/// The last readiness check: when, and whether the database answered.
#[derive(Debug, Default)]
pub struct Readiness {
    last: Mutex<Option<(i64, bool)>>,
}

impl Readiness {
    async fn database_ready(&self, state: &AppState) -> bool {
        let mut last = self.last.lock().await;
        let now = state.now();
        if let Some((at, ready)) = *last {
            if (0..REUSE_SECONDS).contains(&(now - at)) {
                return ready;
            }
        }
        let wait = state.db.timeouts.acquire;
        let ready = matches!(
            tokio::time::timeout(wait, state.db.ping()).await,
            Ok(Ok(()))
        );
        *last = Some((now, ready));
        ready
    }
}

pub async fn liveness() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers; 503 with `Retry-After` when it does not.
pub async fn readiness(State(state): State<AppState>) -> Response {
    if state.readiness.database_ready(&state).await {
        return Json(json!({ "status": "ok", "db_check": [{ "status": "ok" }] })).into_response();
    }
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "failed",
            "db_check": [{ "status": "failed", "message": "the database does not answer" }],
        })),
    )
        .into_response();
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(super::api::error::RETRY_AFTER_SECONDS),
    );
    res
}
