//! The HTTP API. `/healthz` and `/metrics` are open (counts and robot names
//! only, for probes and Prometheus); `/api/*` needs the bearer token of
//! `[api] token`, compared in constant time (401 otherwise, and always when
//! no token is configured); `/hooks/{robot}` needs a Standard Webhooks
//! signature with `[webhooks] secret`. Bodies are capped at 1 MiB.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::book::Trigger;
use crate::service::{Inner, StartError, lock};
use crate::webhook::{self, Refusal};

type St = State<Arc<Inner>>;

/// Largest request body (a webhook's payload).
const BODY_MAX: usize = 1024 * 1024;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/robots", get(robots))
        .route("/api/robots/{name}/runs", post(trigger))
        .route("/api/runs/{id}", get(run))
        .route("/hooks/{robot}", post(hook))
        .layer(DefaultBodyLimit::max(BODY_MAX))
        .with_state(inner)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn healthz(State(inner): St) -> Response {
    Json(inner.health()).into_response()
}

async fn metrics(State(inner): St) -> Response {
    // The queue gauges are read from the journals now.
    let _ = inner.health();
    let text = inner.metrics.render();
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], text).into_response()
}

/// The bearer token's check: `None` when it passes, else the 401. Both
/// sides are hashed first, so the comparison takes the same time whatever
/// the lengths.
fn refuse(inner: &Inner, headers: &HeaderMap) -> Option<Response> {
    let keys = inner.keys();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let reason = match (&keys.api_token, given) {
        (None, _) => "no-token-configured",
        (Some(_), None) => "missing",
        (Some(expected), Some(given)) => {
            let (given, expected) = (
                Sha256::digest(given.as_bytes()),
                Sha256::digest(expected.as_bytes()),
            );
            let same = given.as_slice().ct_eq(expected.as_slice());
            if same.into() {
                return None;
            }
            "wrong"
        }
    };
    inner.metrics.api_refused.with_label_values(&[reason]).inc();
    let message = match reason {
        "no-token-configured" => "the API is closed: the service config has no [api] token",
        _ => "a valid bearer token is required (Authorization: Bearer …)",
    };
    let mut response = error(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer realm=\"pont\""),
    );
    Some(response)
}

async fn robots(State(inner): St, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse(&inner, &headers) {
        return refused;
    }
    Json(inner.health().robots).into_response()
}

async fn trigger(State(inner): St, Path(name): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse(&inner, &headers) {
        return refused;
    }
    let Some(robot) = inner.robot(&name) else {
        return error(StatusCode::NOT_FOUND, "no robot of that name");
    };
    match inner.start(&robot, Trigger::Api) {
        Ok(id) => started(&name, &id),
        Err(StartError::Busy(id)) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "a run of this robot is going", "run_id": id })),
        )
            .into_response(),
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the service is stopping"),
    }
}

fn started(robot: &str, id: &str) -> Response {
    let body = json!({ "run_id": id, "robot": robot, "status": "running" });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

async fn run(State(inner): St, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if let Some(refused) = refuse(&inner, &headers) {
        return refused;
    }
    if let Some(record) = lock(&inner.book).get(&id) {
        return Json(record).into_response();
    }
    // Older runs (or runs made by `pont run`): what the journals keep.
    for robot in inner.robots().values() {
        let journal = lock(&robot.state).journal();
        if let Some(row) = journal.and_then(|j| j.run(&id).ok().flatten()) {
            let body =
                json!({ "run_id": id, "robot": robot.name, "status": row.status, "journal": row });
            return Json(body).into_response();
        }
    }
    error(StatusCode::NOT_FOUND, "no run of that id")
}

fn refuse_hook(inner: &Inner, refusal: Refusal) -> Response {
    inner
        .metrics
        .webhooks
        .with_label_values(&[refusal.as_str()])
        .inc();
    tracing::warn!("webhook refused: {}", refusal.message());
    let status = match refusal {
        Refusal::Replayed => StatusCode::CONFLICT,
        Refusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    };
    error(status, refusal.message())
}

/// A signed call starts a run of the robot's queue (incremental unless its
/// config says otherwise); its body is authenticated, not interpreted. One
/// arriving during a run asks for another run right after it.
async fn hook(
    State(inner): St,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(key), Some(hooks)) = (
        inner.keys().webhook_key.clone(),
        inner.config().webhooks.clone(),
    ) else {
        return error(StatusCode::NOT_FOUND, "webhooks are not configured");
    };
    let now = chrono::Utc::now().timestamp();
    let id = match webhook::verify(&key, &headers, &body, now, hooks.tolerance) {
        Ok(id) => id,
        Err(refusal) => return refuse_hook(&inner, refusal),
    };
    if let Err(refusal) = lock(&inner.replay).admit(&id, now, hooks.tolerance) {
        return refuse_hook(&inner, refusal);
    }
    let Some(robot) = inner.robot(&name) else {
        inner
            .metrics
            .webhooks
            .with_label_values(&["unknown-robot"])
            .inc();
        return error(StatusCode::NOT_FOUND, "no robot of that name");
    };
    inner
        .metrics
        .webhooks
        .with_label_values(&["accepted"])
        .inc();
    match inner.begin(&robot, Trigger::Hook, true) {
        Ok(run) => started(&name, &run),
        Err(StartError::Busy(going)) => {
            let body = json!({ "robot": name, "status": "queued", "after_run": going });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the service is stopping"),
    }
}
