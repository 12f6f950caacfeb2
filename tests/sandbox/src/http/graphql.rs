//! `POST /api/v2/graphql`, in DS's order: rack-attack rate limit (keyed by the Authorization
//! header), then the controller (token, persisted queries, JSON body), then graphql-ruby.
//! Fault injection sits in front, like a flaky proxy.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt as _, stream};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::App;
use crate::gql;
use crate::world::{FaultAction, Throttled};

/// The request body DS accepts: `query` or `queryId`, `variables` as object or JSON string.
#[derive(Debug, Deserialize)]
struct GqlBody {
    query: Option<String>,
    #[serde(rename = "queryId")]
    query_id: Option<String>,
    variables: Option<Json>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
}

fn json_error(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The body of DS's `throttled_responder` (`config/initializers/rack_attack.rb`), verbatim.
pub const THROTTLED_BODY: &str = "Calme toi, cowboy ! T'enchaines un peu trop les requêtes. Respire un peu réessaie dans un petit moment.\nCalm down, cowboy! You're making too many requests. Take a breather and try again soon.\n";

/// DS's 429: its two-line body with no content type, `RateLimit-Remaining: 0` and
/// `RateLimit-Reset` (epoch seconds of the window end), and no `Retry-After` nor
/// `RateLimit-Limit` (API-NOTES §3). The `Date` is added by [`super::dated`].
fn throttled(t: Throttled) -> Response {
    let mut r = Response::new(Body::from(THROTTLED_BODY));
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let h = r.headers_mut();
    h.insert("RateLimit-Remaining", HeaderValue::from_static("0"));
    h.insert("RateLimit-Reset", HeaderValue::from(t.reset_epoch));
    r
}

/// DS's 403 for a call that authenticates nobody (no token, or an unknown or revoked one)
/// and is not a persisted query, byte for byte.
fn forbidden() -> Response {
    const BODY: &str = r#"{"errors":[{"message":"Without a token, only persisted queries are allowed","extensions":{"code":"forbidden"}}],"data":null}"#;
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        BODY,
    )
        .into_response()
}

/// A response whose body fails at once: the client sees the connection die.
fn dropped() -> Response {
    let s = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped by fault injection",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(s))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Filler for [`huge_body`]: one static chunk, sent again and again.
static PAD: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// A JSON answer `{"data":{"pad":"xxx…"}}` of exactly `len` bytes (at least its 15 bytes of
/// frame), streamed from one static chunk without `Content-Length`: the simulator holds
/// nothing, the client learns the size only by reading.
fn huge_body(len: u64) -> Response {
    const HEAD: &[u8] = b"{\"data\":{\"pad\":\"";
    const TAIL: &[u8] = b"\"}}";
    let pad = len.saturating_sub((HEAD.len() + TAIL.len()) as u64);
    let head = stream::once(async { Ok(Bytes::from_static(HEAD)) });
    let middle = stream::unfold(pad, |left| async move {
        let n = left.min(PAD.len() as u64) as usize;
        (n > 0).then(|| (Ok(Bytes::from_static(&PAD[..n])), left - n as u64))
    });
    let tail = stream::once(async { Ok::<Bytes, std::io::Error>(Bytes::from_static(TAIL)) });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Body::from_stream(head.chain(middle).chain(tail)))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Whether `token` names one of the sandbox's tokens (expired ones included: they get 401).
fn known_token(app: &App, token: Option<&str>) -> bool {
    token.is_some_and(|t| app.world.lock().tokens.contains_key(t))
}

/// Token from `Bearer <t>` or `Bearer token=<t>` (Rails' `authenticate_with_http_token`).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let rest = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("Token "))?
        .trim();
    let rest = rest
        .strip_prefix("token=")
        .unwrap_or(rest)
        .trim_matches('"');
    (!rest.is_empty()).then(|| rest.to_owned())
}

/// Handles one GraphQL POST.
pub async fn handle(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let operation = crate::received::operation_name(&body);
    app.world.received.note(&operation, body.len());
    let (fault, latency) = app.world.fault();
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key {
        let counted = bearer(&headers).unwrap_or_else(|| k.clone());
        if let Err(t) = app
            .world
            .rate_check(&counted, fault == FaultAction::Burst429)
        {
            return throttled(t);
        }
    } else if fault == FaultAction::Burst429 {
        return throttled(
            app.world
                .rate_check("", true)
                .err()
                .unwrap_or(Throttled { reset_epoch: 0 }),
        );
    }
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency.min(120_000))).await;
    }
    let huge = app.world.lock().faults.huge_body_bytes;
    if huge > 0 {
        return huge_body(huge);
    }
    match fault {
        FaultAction::Error500 => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "internal_server_error",
            );
        }
        FaultAction::Drop => return dropped(),
        _ => {}
    }
    let resp = execute(&app, &headers, &body).await;
    if fault == FaultAction::DropAfter {
        dropped()
    } else {
        resp
    }
}

async fn execute(app: &App, headers: &HeaderMap, body: &Bytes) -> Response {
    let token = bearer(headers);
    let caller = match app.world.caller(token.as_deref()) {
        Ok(c) => c,
        Err(_) => return json_error(StatusCode::UNAUTHORIZED, "Token expired", "unauthorized"),
    };
    let req: GqlBody = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid JSON body: {e}"),
                "bad_request",
            );
        }
    };
    let query = match (req.query, req.query_id.as_deref()) {
        (_, Some("introspection")) => INTROSPECTION.to_owned(),
        (_, Some(other)) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!("No query with id \"{other}\""),
                "bad_request",
            );
        }
        // An unknown or revoked token authenticates nobody: DS treats the call as tokenless.
        (_, None) if !known_token(app, token.as_deref()) => return forbidden(),
        (Some(q), None) => q,
        (None, None) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "No query string was present",
                "bad_request",
            );
        }
    };
    let variables = match req.variables {
        None | Some(Json::Null) => Json::Object(Default::default()),
        Some(Json::String(s)) if s.trim().is_empty() => Json::Object(Default::default()),
        Some(Json::String(s)) => match serde_json::from_str::<Json>(&s) {
            Ok(v @ Json::Object(_)) => v,
            _ => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "Variables must be a JSON object",
                    "bad_request",
                );
            }
        },
        Some(v @ Json::Object(_)) => v,
        Some(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "Variables must be a JSON object",
                "bad_request",
            );
        }
    };
    let mut doc = match async_graphql::parser::parse_query(&query) {
        Ok(d) => d,
        Err(e) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                &e.to_string(),
                "graphql_parse_failed",
            );
        }
    };
    let frags = gql::fragment_types(&doc);
    let depth = gql::depth::of(&doc, req.operation_name.as_deref(), &variables);
    gql::empty::guard(&mut doc);
    let mut request = async_graphql::Request::new(query)
        .variables(async_graphql::Variables::from_json(variables))
        .data(app.world.clone())
        .data(caller)
        .data(frags)
        .data(depth);
    request.set_parsed_query(doc);
    if let Some(op) = req.operation_name.filter(|o| !o.is_empty()) {
        request = request.operation_name(op);
    }
    let response = app.schema.execute(request).await;
    let mut value = match serde_json::to_value(&response) {
        Ok(v) => v,
        Err(e) => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.to_string(),
                "internal_server_error",
            );
        }
    };
    gql::empty::strip(&mut value, 0);
    gql::depth::drop_data_of_static_errors(&mut value);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        value.to_string(),
    )
        .into_response()
}

/// The standard introspection query (DS's persisted `introspection` id).
const INTROSPECTION: &str = r#"query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;
