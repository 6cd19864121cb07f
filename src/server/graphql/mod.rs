//! The GraphQL API at `/api/graphql`, as GitLab serves it: `POST` with a
//! JSON body (one query, or a batch as an array) and `GET` with `query`,
//! `variables` and `operationName` parameters.
//!
//! Authentication is the REST API's: a token in the `PRIVATE-TOKEN` header,
//! `Authorization: Bearer` or the `private_token` parameter, with the `api`
//! or `read_api` scope, its use recorded as for REST; sessions never. No
//! token is anonymous access to public data. As GitLab's controller: a
//! token that does not authenticate is `401 {"errors":[{"message":"Invalid
//! token"}]}`, a blocked user's `403 … "API not accessible for user"`, a
//! query over 10,000 characters `422 … "Query too large"`.
//!
//! The schema (`schema.rs`) is read-only. Depth and complexity are limited
//! as GitLab limits them (anonymous 15 / 200, signed in 20 / 250,
//! administrators 20 / 300), introspection counted in.

mod schema;

use crate::domain::access::Area;
use crate::server::api::auth::{announce_expiry, note_expiry, presented_token, token_from_body};
use crate::server::api::BaseUrl;
use crate::server::client_addr::client_ip;
use crate::server::services::callers::{self, Presented, Refused};
use crate::server::state::AppState;
use async_graphql::{BatchRequest, BatchResponse, EmptyMutation, EmptySubscription, Schema};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use schema::{Query, Viewer};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};

/// GitLab's `GraphqlController::MAX_QUERY_SIZE`: characters of query text
/// in one request (a batch counts its queries together).
pub const MAX_QUERY_SIZE: usize = 10_000;

/// Queries in one batch.
pub const MAX_BATCH: usize = 10;

/// How deep and how costly a query may be, by who asks (GitLab's
/// `GitlabSchema` limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
}

pub const ANONYMOUS: Limits = Limits {
    depth: 15,
    complexity: 200,
};
pub const SIGNED_IN: Limits = Limits {
    depth: 20,
    complexity: 250,
};
pub const ADMIN: Limits = Limits {
    depth: 20,
    complexity: 300,
};

type ForgekeySchema = Schema<Query, EmptyMutation, EmptySubscription>;

fn build(limits: Limits) -> ForgekeySchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .finish()
}

static SCHEMAS: LazyLock<[ForgekeySchema; 3]> =
    LazyLock::new(|| [build(ANONYMOUS), build(SIGNED_IN), build(ADMIN)]);

fn limits_for(viewer: &Viewer) -> Limits {
    match &viewer.user {
        None => ANONYMOUS,
        Some(_) if viewer.admin => ADMIN,
        Some(_) => SIGNED_IN,
    }
}

/// The limit errors in GitLab's words, which clients match
/// (`/exceeds max complexity/`, `/exceeds max depth/`).
fn say_limits_as_gitlab(answer: &mut BatchResponse, limits: Limits) {
    let responses = match answer {
        BatchResponse::Single(one) => std::slice::from_mut(one),
        BatchResponse::Batch(all) => all.as_mut_slice(),
    };
    for e in responses.iter_mut().flat_map(|r| r.errors.iter_mut()) {
        match e.message.as_str() {
            "Query is too complex." => {
                e.message = format!("Query exceeds max complexity of {}", limits.complexity);
            }
            "Query is nested too deep." => {
                e.message = format!("Query exceeds max depth of {}", limits.depth);
            }
            _ => {}
        }
    }
}

fn schema_for(viewer: &Viewer) -> &'static ForgekeySchema {
    let [anonymous, signed_in, admin] = &*SCHEMAS;
    match &viewer.user {
        None => anonymous,
        Some(_) if viewer.admin => admin,
        Some(_) => signed_in,
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/graphql",
            get(execute)
                .post(execute)
                // GitLab reads `private_token` from the body too.
                .layer(axum::middleware::from_fn(token_from_body)),
        )
        .layer(axum::middleware::from_fn(announce_expiry))
}

/// A request refused before its query runs, answered in the shape GitLab's
/// controller gives its own errors: `{"errors": [{"message": …}]}`.
struct Refusal {
    status: StatusCode,
    message: String,
}

fn error(status: StatusCode, message: &str) -> Refusal {
    Refusal {
        status,
        message: message.to_owned(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({ "errors": [{ "message": self.message }] });
        let mut res = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

async fn execute(State(state): State<AppState>, BaseUrl(base): BaseUrl, req: Request) -> Response {
    answer(state, base, req)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn answer(state: AppState, base: String, req: Request) -> Result<Response, Refusal> {
    let (mut parts, body) = req.into_parts();
    let viewer = identify(&state, &mut parts).await?;
    let batch = if parts.method == axum::http::Method::POST {
        let form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let bytes: Bytes = axum::body::to_bytes(body, crate::server::MAX_BODY_BYTES)
            .await
            .map_err(|_| error(StatusCode::PAYLOAD_TOO_LARGE, "Request too large"))?;
        if form {
            BatchRequest::Single(from_form(&bytes)?)
        } else {
            from_json(&bytes)?
        }
    } else {
        BatchRequest::Single(from_form(parts.uri.query().unwrap_or("").as_bytes())?)
    };
    let size: usize = batch.iter().map(|r| r.query.len()).sum();
    if size > MAX_QUERY_SIZE {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "Query too large"));
    }
    let context = Arc::new(schema::RequestData::new(state, viewer, base));
    let schema = schema_for(&context.viewer);
    let mut answers: BatchResponse = schema.execute_batch(batch.data(Arc::clone(&context))).await;
    say_limits_as_gitlab(&mut answers, limits_for(&context.viewer));
    // A database that could not answer is the server's fault, not the
    // query's: 503 and a retry, as for REST.
    if context.outage.load(Ordering::Relaxed) {
        return Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable: the database did not answer. Try again.",
        ));
    }
    let body = serde_json::to_vec(&answers)
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error"))?;
    let json = HeaderValue::from_static("application/json");
    Ok(([(header::CONTENT_TYPE, json)], body).into_response())
}

/// A query's `variables` as clients send them: a JSON object, or a string
/// holding one (GitLab accepts both); absent, `null` or blank is none.
fn variables_of(
    value: Option<serde_json::Value>,
) -> Result<Option<async_graphql::Variables>, Refusal> {
    use serde_json::Value;
    let invalid = || {
        error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid variables: a JSON object is expected",
        )
    };
    let object = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(None),
        Some(Value::String(text)) => serde_json::from_str::<Value>(&text).map_err(|_| invalid())?,
        Some(other) => other,
    };
    match object {
        Value::Object(_) => Ok(Some(async_graphql::Variables::from_json(object))),
        Value::Null => Ok(None),
        _ => Err(invalid()),
    }
}

/// One query from its fields: `query`, `variables`, `operationName`.
fn request_of(
    query: Option<String>,
    variables: Option<serde_json::Value>,
    operation: Option<String>,
) -> Result<async_graphql::Request, Refusal> {
    let mut request = async_graphql::Request::new(query.unwrap_or_default());
    if let Some(variables) = variables_of(variables)? {
        request = request.variables(variables);
    }
    if let Some(operation) = operation.filter(|o| !o.is_empty()) {
        request = request.operation_name(operation);
    }
    Ok(request)
}

/// A form-encoded query: a `GET` request's parameters, or a `POST` body
/// (GitLab's controller reads both).
fn from_form(raw: &[u8]) -> Result<async_graphql::Request, Refusal> {
    let mut query = None;
    let mut variables = None;
    let mut operation = None;
    for (key, value) in url::form_urlencoded::parse(raw) {
        match &*key {
            "query" => query = Some(value.into_owned()),
            "variables" => variables = Some(serde_json::Value::String(value.into_owned())),
            "operationName" => operation = Some(value.into_owned()),
            _ => {}
        }
    }
    request_of(query, variables, operation)
}

/// A JSON body: one query object, or an array of them (a batch).
fn from_json(raw: &[u8]) -> Result<BatchRequest, Refusal> {
    use serde_json::Value;
    let malformed = || {
        error(
            StatusCode::BAD_REQUEST,
            "The body must be a JSON object with a query, or an array of them",
        )
    };
    let one = |value: Value| -> Result<async_graphql::Request, Refusal> {
        let Value::Object(mut fields) = value else {
            return Err(malformed());
        };
        let text = |v: Option<Value>| match v {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) => Ok(None),
            Some(_) => Err(malformed()),
        };
        request_of(
            text(fields.remove("query"))?,
            fields.remove("variables"),
            text(fields.remove("operationName"))?,
        )
    };
    match serde_json::from_slice::<Value>(raw).map_err(|_| malformed())? {
        Value::Array(items) => {
            if items.len() > MAX_BATCH {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("Too many queries in one request (at most {MAX_BATCH})"),
                ));
            }
            Ok(BatchRequest::Batch(
                items.into_iter().map(one).collect::<Result<_, _>>()?,
            ))
        }
        value => one(value).map(BatchRequest::Single),
    }
}

/// Who the request is for: anonymous without a token; the token's user
/// (never through `Sudo`, which is REST's) with one that authenticates for
/// reading (`api` or `read_api`, as `domain::access` says).
async fn identify(
    state: &AppState,
    parts: &mut axum::http::request::Parts,
) -> Result<Viewer, Refusal> {
    let Some(secret) = presented_token(parts) else {
        return Ok(Viewer::anonymous());
    };
    let presented = Presented {
        secret: &secret,
        read_only: true,
        area: Area::General,
        rotation: false,
        sudo: None,
        address: client_ip(&parts.extensions),
    };
    match callers::identify(state, presented).await {
        Ok(caller) => {
            note_expiry(parts, caller.token.expires_at);
            Ok(Viewer {
                user: Some(caller.user),
                admin: caller.admin,
                projects: caller.token.projects.clone(),
            })
        }
        Err(
            Refused::Unauthenticated
            | Refused::Expired
            | Refused::Revoked
            | Refused::MissingScope { .. }
            | Refused::NoSuchUser,
        ) => Err(error(StatusCode::UNAUTHORIZED, "Invalid token")),
        Err(Refused::Blocked | Refused::Forbidden | Refused::SudoNotAdmin) => {
            Err(error(StatusCode::FORBIDDEN, "API not accessible for user"))
        }
        Err(Refused::Unavailable) => Err(error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable: the database did not answer. Try again.",
        )),
        Err(Refused::Internal) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
        )),
    }
}
