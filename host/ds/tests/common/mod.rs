//! A small HTTP server on 127.0.0.1:0 answering canned, DS-shaped responses,
//! with a log of what it received (the tests' source of truth).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use pont_ds::{Budget, DsClient, RetryPolicy};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub op: Option<String>,
    pub vars: Value,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    Json(Value),
    Status(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Close the connection without answering.
    Drop,
}

pub struct Mock {
    pub base: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    pub fn endpoint(&self) -> String {
        format!("{}/api/v2/graphql", self.base)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self, op: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.op.as_deref() == Some(op))
            .count()
    }

    /// A client with fast retries and its own token (limiters are per token).
    pub fn client(&self, token: &str) -> DsClient {
        self.client_with(token, Budget::default())
    }

    pub fn client_with(&self, token: &str, budget: Budget) -> DsClient {
        let retry = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        DsClient::builder(self.endpoint(), token)
            .budget(budget)
            .retry(retry)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

pub async fn serve(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let handler: Arc<Handler> = Arc::new(handler);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (h, log) = (handler.clone(), log.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let (h, log) = (h.clone(), log.clone());
                    async move { answer(req, &*h, &log).await }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Mock { base, seen }
}

async fn answer(
    req: Request<Incoming>,
    h: &Handler,
    log: &Mutex<Vec<Seen>>,
) -> Result<Response<Full<Bytes>>, std::io::Error> {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes()
        .to_vec();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        op: json
            .get("operationName")
            .and_then(Value::as_str)
            .map(str::to_string),
        vars: json.get("variables").cloned().unwrap_or(Value::Null),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body,
        at,
    };
    let reply = h(&seen);
    log.lock().unwrap().push(seen);
    let (status, headers, body) = match reply {
        Reply::Drop => return Err(std::io::Error::other("dropped on purpose")),
        Reply::Json(v) => (
            200,
            vec![("content-type", "application/json".to_string())],
            v.to_string().into_bytes(),
        ),
        Reply::Status(s, h, b) => (s, h, b),
    };
    let mut builder = Response::builder().status(status);
    for (n, v) in headers {
        builder = builder.header(n, v);
    }
    Ok(builder.body(Full::new(Bytes::from(body))).unwrap())
}

/// `{"data": …}`.
pub fn data(v: Value) -> Reply {
    Reply::Json(json!({ "data": v }))
}

/// The dossier fixture with another number and state.
pub fn dossier(number: i64, state: &str) -> Value {
    let mut d: Value = serde_json::from_str(include_str!("../fixtures/dossier.json")).unwrap();
    d["number"] = json!(number);
    d["id"] = json!(format!("Dossier-{number}"));
    d["state"] = json!(state);
    d
}

pub fn status(number: i64, state: &str, archived: bool, labels: &[&str]) -> Reply {
    let labels: Vec<Value> = labels.iter().map(|l| json!({ "id": l })).collect();
    data(json!({ "dossier": {
        "id": format!("Dossier-{number}"), "number": number, "state": state,
        "archived": archived, "labels": labels
    }}))
}

/// A `{dossier{…} errors}` mutation payload under `field`.
pub fn payload(field: &str, number: i64, state: &str, errors: &[&str]) -> Reply {
    let errors: Vec<Value> = errors.iter().map(|m| json!({ "message": m })).collect();
    let dossier = if errors.is_empty() {
        json!({ "id": format!("Dossier-{number}"), "number": number, "state": state, "archived": false })
    } else {
        Value::Null
    };
    data(
        json!({ field: { "dossier": dossier, "errors": if errors.is_empty() { Value::Null } else { json!(errors) } } }),
    )
}
