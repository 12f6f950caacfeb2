//! The `http` capability (DESIGN §4, §5): outbound HTTP to origins the operator granted.
//!
//! Two doors lead here: Pont's own `pont:robot/http` interface ([`wit_host`]) and the standard
//! `wasi:http/outgoing-handler` ([`wasi_hooks`]), linked only for robots with an HTTP grant, so
//! ordinary Rust HTTP client code for wasm32-wasip2 works inside a robot. Both send every hop
//! through [`Caller::hop`]:
//! - the gate checks `scheme://host:port` against the grant (and the body against the budget);
//!   a redirect is a new hop, checked again;
//! - names are resolved by the host, which refuses the special addresses a name resolves to
//!   (loopback, private and shared ranges, link-local and cloud metadata, ...: the one list of
//!   [`pont_policy::address`], which the browser proxy applies too; grant such an address
//!   literally if it is really wanted), so a granted name cannot be pointed at the host's own
//!   services or the local network;
//! - secrets go in by reference: a header value `Bearer {{secret:NAME}}` gets the secret's value,
//!   only toward an origin the secret is bound to; the answer is asked for unencoded and the
//!   value (also escaped or percent-encoded) is cut out of whatever comes back ([`secrets`]);
//! - request and response sizes are capped; the request as it leaves (request line, headers
//!   with secrets filled in, body: [`wire`]) is charged to the origin's budget and the ledger
//!   before it is sent, and a request past the budget is refused with nothing sent;
//! - the send itself ([`send`]) takes the gate's permits, for the request (its origin and the
//!   bytes charged) and for each secret its headers carry, and checks them against what it is
//!   about to send.

mod redact;
mod secrets;
mod send;
mod wasi_hooks;
mod wire;
mod wit_host;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pont_policy::{Action, Origin, Permit, address};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;

pub(crate) use redact::Redactor;
pub(crate) use wasi_hooks::HttpState;

use crate::store::RunShared;

/// Largest request body a robot may send.
pub(crate) const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;
/// Largest response body handed to the robot in memory (`send`, `wasi:http`).
pub(crate) const MAX_RESPONSE_BODY: u64 = 16 * 1024 * 1024;
/// Largest response body spooled into a blob (`send-to-blob`).
pub(crate) const MAX_BLOB_BODY: u64 = 1024 * 1024 * 1024;
/// Redirects `send` follows, each checked by the gate.
pub(crate) const MAX_REDIRECTS: usize = 5;
/// Headers the host sets itself; a robot setting them is refused.
const HOST_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "proxy-authorization",
];

/// Why an exchange failed, mapped to each interface's own error type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpFailure {
    Denied(String),
    Invalid(String),
    Limit(String),
    Unavailable(String),
}

/// The run's HTTP client: no proxy from the environment, no automatic redirects (each hop is
/// the gate's to decide), names resolved by [`CheckedResolver`].
#[derive(Debug, Clone)]
pub(crate) struct HttpEgress {
    client: reqwest::Client,
}

impl HttpEgress {
    pub(crate) fn new() -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(CheckedResolver))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self { client })
    }
}

/// Resolves names with the system resolver and keeps only ordinary addresses.
#[derive(Debug)]
struct CheckedResolver;

/// A name resolved only to addresses robots may not reach by name.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct ResolveRefused(String);

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| address::dial_allowed(&host, a.ip()))
                .collect();
            if allowed.is_empty() {
                let ips: Vec<_> = found.iter().map(|a| a.ip()).collect();
                return Err(Box::new(ResolveRefused(address::name_refusal(&host, &ips)))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// One request as the robot asked for it, before secrets are put in.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: reqwest::Method,
    pub url: reqwest::Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Who is calling: the run and the item, for the gate, the audit and the ledger.
#[derive(Clone)]
pub(crate) struct Caller {
    pub run: Arc<RunShared>,
    pub item: Option<i64>,
    /// The item's tools: each origin a request reached is one.
    pub tools: crate::store::Tools,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller").field("item", &self.item).finish()
    }
}

/// The answer to one hop, with the secret values to cut out of it and the
/// gate's permit for the request (a spooled response is kept under it).
pub(crate) struct Answer {
    pub response: reqwest::Response,
    pub redactor: Redactor,
    pub permit: Permit,
}

impl Caller {
    /// Send one request (no redirect following) through the gate.
    pub(crate) async fn hop(&self, out: &Outgoing) -> Result<Answer, HttpFailure> {
        let origin = Origin::parse(out.url.as_str())
            .map_err(|e| HttpFailure::Invalid(format!("URL `{}`: {e}", out.url)))?;
        // Secrets are filled in first: the gate charges the request as it
        // will leave, request line, headers and body, before any of it does.
        let (headers, secrets, secret_permits) = self.headers(&out.headers, &origin)?;
        let action = Action::HttpRequest {
            origin: &origin,
            method: out.method.as_str(),
            bytes: wire::request_bytes(&out.method, &out.url, &headers, out.body.len()),
        };
        if out.body.len() > MAX_REQUEST_BODY {
            let why = format!(
                "request body of {} bytes is over the {MAX_REQUEST_BODY}-byte limit",
                out.body.len()
            );
            return Err(HttpFailure::Limit(
                self.run.gate.refuse(self.item, &action, why).reason,
            ));
        }
        let permit = self
            .run
            .gate
            .authorize(self.item, &action)
            .map_err(|d| HttpFailure::Denied(d.reason))?;
        let span = tracing::info_span!("capability", capability = "http", op = %out.method, target = %origin);
        let sent = self
            .send(&permit, &secret_permits, out, headers)
            .instrument(span)
            .await?;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.send_error(&action, &e)),
        };
        self.tools.insert(origin.to_string());
        if !secrets.is_empty() {
            self.refuse_encoded(&action, &response)?;
        }
        Ok(Answer {
            response,
            redactor: Redactor::new(secrets),
            permit,
        })
    }

    /// The robot's headers, checked, with `{{secret:NAME}}` references filled in by the host:
    /// the headers, the secret values sent and the gate's permits for them.
    fn headers(
        &self,
        given: &[(String, String)],
        origin: &Origin,
    ) -> Result<(HeaderMap, Vec<String>, Vec<Permit>), HttpFailure> {
        let mut map = HeaderMap::new();
        let mut secrets = Vec::new();
        let mut permits = Vec::new();
        for (name, value) in given {
            let lower = name.to_ascii_lowercase();
            if HOST_HEADERS.contains(&lower.as_str()) {
                return Err(HttpFailure::Invalid(format!(
                    "header `{name}` is set by the host"
                )));
            }
            let value = self.fill_secrets(value, origin, &mut secrets, &mut permits)?;
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HttpFailure::Invalid(format!("header name `{name}` is malformed")))?;
            let value = HeaderValue::from_str(&value).map_err(|_| {
                HttpFailure::Invalid(format!("the value of header `{name}` is malformed"))
            })?;
            map.append(name, value);
        }
        if !secrets.is_empty() {
            secrets::plain_answer_only(&mut map);
        }
        Ok((map, secrets, permits))
    }

    /// A transport error; a refused name resolution is a denial, audited as one.
    ///
    /// A request that never got a connection sent nothing: its bytes come
    /// back out of the budget and the ledger.
    fn send_error(&self, action: &Action<'_>, e: &reqwest::Error) -> HttpFailure {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(refused) = s.downcast_ref::<ResolveRefused>() {
                self.run.gate.unsent(action);
                let d = self.run.gate.refuse(self.item, action, refused.0.clone());
                return HttpFailure::Denied(d.reason);
            }
            source = s.source();
        }
        if e.is_connect() {
            self.run.gate.unsent(action);
        }
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "could not connect"
        } else {
            "failed"
        };
        HttpFailure::Unavailable(format!("HTTP request to {} {kind}", action_target(action)))
    }
}

fn action_target(action: &Action<'_>) -> String {
    match action {
        Action::HttpRequest { origin, .. } => origin.to_string(),
        _ => String::new(),
    }
}

/// The response headers, redacted, as pairs.
pub(crate) fn header_pairs(headers: &HeaderMap, redactor: &Redactor) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = redactor.whole(v.as_bytes());
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect()
}
