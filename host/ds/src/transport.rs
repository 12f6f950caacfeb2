//! Sending one GraphQL operation: budget, 429 handling, retries, tracing.
//!
//! Queries are retried on 5xx, timeouts and dropped connections with
//! exponential backoff and jitter. Mutations are retried only when DS
//! certainly did not process them (a refused connection, a 429, which
//! rack-attack answers before the application runs); any other failure is
//! reported as [`SendError::Uncertain`] for the caller to re-read the dossier.

use std::time::{Duration, SystemTime};

use graphql_client::{GraphQLQuery, QueryBody, Response};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use tokio::time::Instant;
use tracing::{Instrument, field};

use crate::client::DsClient;
use crate::error::{DsError, classify_top_level};
use crate::limits::{BodyError, read_capped};

/// Why a mutation could not be sent.
#[derive(Debug)]
pub(crate) enum SendError {
    /// A definite error: DS refused, or the call never reached it and
    /// retrying did not help.
    Ds(DsError),
    /// The request may have reached DS; the answer was lost.
    Uncertain(String),
}

/// The outcome of one HTTP attempt.
pub(crate) enum Attempt<T> {
    Done(T),
    /// A 429, with what its headers asked for.
    RateLimited(Option<crate::throttle::Asked>),
    /// Retryable failure; `sent` is false when DS certainly never saw it.
    Transient {
        reason: String,
        sent: bool,
    },
    Fatal(DsError),
    /// The answer passed [`crate::DsLimits::max_response_bytes`]. Not
    /// retried; for a mutation the outcome is unknown (DS may have applied it).
    TooLarge(DsError),
}

#[derive(Deserialize)]
struct RawError {
    message: String,
    #[serde(default)]
    extensions: Option<RawExtensions>,
}

#[derive(Deserialize)]
struct RawExtensions {
    code: Option<String>,
}

#[derive(Deserialize)]
struct RawErrors {
    #[serde(default)]
    errors: Vec<RawError>,
}

/// How an answer (status and body) becomes an attempt's outcome: the whole
/// document ([`decode`]), or data kept beside its errors (`partial.rs`).
pub(crate) type Reader<T> = fn(StatusCode, &[u8]) -> Attempt<T>;

/// Top-level error codes worth retrying for a query.
const TRANSIENT_CODES: [&str; 2] = ["timeout", "internal_server_error"];

impl DsClient {
    /// Runs a query, retrying transient failures.
    pub(crate) async fn query<Q: GraphQLQuery>(
        &self,
        vars: Q::Variables,
    ) -> Result<Q::ResponseData, DsError> {
        self.query_with(Q::build_query(vars), decode::<Q>).await
    }

    /// Runs a query whose answer `read` decodes, retrying transient failures.
    pub(crate) async fn query_with<V: serde::Serialize, T>(
        &self,
        body: QueryBody<V>,
        read: Reader<T>,
    ) -> Result<T, DsError> {
        let retry = self.inner.retry;
        let (mut attempt, mut limited) = (0u32, 0u32);
        loop {
            attempt += 1;
            match self.attempt(&body, attempt, read).await {
                Attempt::Done(data) => return Ok(data),
                Attempt::Fatal(e) | Attempt::TooLarge(e) => return Err(e),
                Attempt::RateLimited(wait) => {
                    limited += 1;
                    attempt -= 1;
                    self.rate_limited(wait, limited)?;
                }
                Attempt::Transient { reason, .. } => {
                    if attempt >= retry.max_attempts {
                        return Err(DsError::Unavailable(format!(
                            "{}: {reason} (after {attempt} attempts)",
                            body.operation_name
                        )));
                    }
                    self.pause(attempt).await;
                }
            }
        }
    }

    /// Sends a mutation once as far as DS can tell: only failures that DS
    /// certainly never processed are retried here.
    pub(crate) async fn mutate<Q: GraphQLQuery>(
        &self,
        vars: Q::Variables,
    ) -> Result<Q::ResponseData, SendError> {
        let body = Q::build_query(vars);
        let retry = self.inner.retry;
        let (mut attempt, mut limited) = (0u32, 0u32);
        loop {
            attempt += 1;
            match self.attempt(&body, attempt, decode::<Q>).await {
                Attempt::Done(data) => return Ok(data),
                Attempt::Fatal(e) => return Err(SendError::Ds(e)),
                Attempt::TooLarge(e) => return Err(SendError::Uncertain(e.to_string())),
                Attempt::RateLimited(wait) => {
                    limited += 1;
                    attempt -= 1;
                    self.rate_limited(wait, limited).map_err(SendError::Ds)?;
                }
                Attempt::Transient { reason, sent: true } => {
                    return Err(SendError::Uncertain(reason));
                }
                Attempt::Transient {
                    reason,
                    sent: false,
                } => {
                    if attempt >= retry.max_attempts {
                        return Err(SendError::Ds(DsError::Unavailable(format!(
                            "{}: {reason} (after {attempt} attempts)",
                            body.operation_name
                        ))));
                    }
                    self.pause(attempt).await;
                }
            }
        }
    }

    /// Registers the `count`-th 429 in a row: every caller of the limiter
    /// waits what it asked, by DS's clock, within the policy's floor and
    /// ceiling ([`crate::throttle`]).
    fn rate_limited(
        &self,
        asked: Option<crate::throttle::Asked>,
        count: u32,
    ) -> Result<(), DsError> {
        let retry = self.inner.retry;
        if count > retry.max_rate_limited {
            return Err(DsError::Unavailable(format!(
                "rate limited {count} times in a row"
            )));
        }
        let (floor, ceiling) = (retry.min_rate_limit_wait, retry.max_rate_limit_wait);
        let wait = crate::throttle::bounded(asked, count, floor, ceiling);
        let source = asked.map_or("no usable header", |a| a.source.as_str());
        tracing::warn!(
            wait_ms = wait.as_millis() as u64,
            source,
            "DS rate limit hit (429)"
        );
        self.waited(wait);
        self.inner.limiter.pause_until(Instant::now() + wait);
        Ok(())
    }

    /// The wait after the `attempt`-th failure of a request that is safe to
    /// send again (a query, a mutation DS certainly never received, a file
    /// transfer): the policy's short first retry, then exponential backoff
    /// from `base_delay`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let retry = self.inner.retry;
        match attempt {
            0 | 1 => jitter(retry.first_retry.min(retry.base_delay)),
            n => self.doubled(n - 2),
        }
    }

    /// The wait before sending a mutation again, the `sends`-th time it was
    /// sent with its answer lost and a re-read showed it not applied: one
    /// step further along the backoff than a query's retry, and never the
    /// short first one, so that a first send still in flight at DS has
    /// more time to land before the re-read's verdict is acted on.
    pub(crate) fn resend_backoff(&self, sends: u32) -> Duration {
        self.doubled(sends.max(1))
    }

    /// `base_delay` doubled `times` times, capped, with jitter.
    fn doubled(&self, times: u32) -> Duration {
        let retry = self.inner.retry;
        let exp = retry.base_delay.saturating_mul(1u32 << times.min(16));
        jitter(exp.min(retry.max_delay))
    }

    /// Sleep through [`DsClient::backoff`] before the next attempt,
    /// counting it in [`DsClient::retry_wait`].
    pub(crate) async fn pause(&self, attempt: u32) {
        self.sleep_counted(self.backoff(attempt)).await;
    }

    /// Sleep through [`DsClient::resend_backoff`], counted likewise.
    pub(crate) async fn pause_resend(&self, sends: u32) {
        self.sleep_counted(self.resend_backoff(sends)).await;
    }

    /// The caller may give its place up meanwhile (`parking.rs`).
    async fn sleep_counted(&self, wait: Duration) {
        self.waited(wait);
        crate::parking::backoff_sleep(wait).await;
    }

    async fn attempt<V: serde::Serialize, T>(
        &self,
        body: &QueryBody<V>,
        attempt: u32,
        read: Reader<T>,
    ) -> Attempt<T> {
        let span = tracing::info_span!(
            "ds.request",
            operation = body.operation_name,
            attempt,
            status = field::Empty,
            duration_ms = field::Empty,
        );
        async {
            if let Err(e) = self.inner.limiter.acquire().await {
                // Nothing was sent: the shared budget could not be read.
                let reason = e.to_string();
                return Attempt::Transient {
                    reason,
                    sent: false,
                };
            }
            let started = Instant::now();
            let result = self.send(body, read).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match &result {
                Attempt::Done(_) => tracing::debug!("ok"),
                Attempt::RateLimited(_) => tracing::debug!("rate limited"),
                Attempt::Transient { reason, sent } => {
                    tracing::warn!(reason, sent, "transient failure")
                }
                Attempt::Fatal(e) => tracing::debug!(error = e.kind(), "refused"),
                Attempt::TooLarge(_) => tracing::warn!("answer over the size limit"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn send<V: serde::Serialize, T>(
        &self,
        body: &QueryBody<V>,
        read: Reader<T>,
    ) -> Attempt<T> {
        let inner = &self.inner;
        // Serialised here, as `.json()` would, so the meter sees the exact
        // bytes that leave before they do.
        let payload = match serde_json::to_vec(body) {
            Ok(p) => p,
            Err(e) => return Attempt::Fatal(DsError::Decode(format!("request body: {e}"))),
        };
        if let Err(e) = self
            .metering
            .check(body.operation_name, payload.len() as u64)
        {
            return Attempt::Fatal(e);
        }
        let request = inner
            .http
            .post(inner.endpoint.clone())
            .header(AUTHORIZATION, format!("Bearer {}", inner.token.0))
            .header(CONTENT_TYPE, "application/json")
            .timeout(inner.timeout)
            .body(payload);
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(&e),
        };
        let status = response.status();
        tracing::Span::current().record("status", status.as_u16());
        self.observe(status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            let asked = crate::throttle::asked(response.headers(), SystemTime::now());
            return Attempt::RateLimited(asked);
        }
        if status.is_server_error() {
            // The body is not used: no need to read it.
            return Attempt::Transient {
                reason: format!("HTTP {}", status.as_u16()),
                sent: true,
            };
        }
        let bytes = match read_capped(response, inner.limits.max_response_bytes).await {
            Ok(b) => b,
            Err(BodyError::TooLarge(e)) => return Attempt::TooLarge(e),
            Err(BodyError::Transport(e)) => return transport_failure(&e),
        };
        read(status, &bytes)
    }
}

/// Reads DS's answer: its status, then the GraphQL `data` and `errors`.
fn decode<Q: GraphQLQuery>(status: StatusCode, bytes: &[u8]) -> Attempt<Q::ResponseData> {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            return Attempt::Fatal(crate::error::refused(
                status.as_u16(),
                &first_message(bytes),
            ));
        }
        _ => {}
    }
    let parsed: Response<Q::ResponseData> = match serde_json::from_slice(bytes) {
        Ok(p) => p,
        Err(e) if status.is_success() => return Attempt::Fatal(DsError::Decode(e.to_string())),
        Err(_) => {
            return Attempt::Fatal(DsError::Graphql {
                code: status.as_u16().to_string(),
                message: first_message(bytes),
            });
        }
    };
    if let Some(first) = parsed.errors.as_ref().and_then(|e| e.first()) {
        let raw: RawErrors =
            serde_json::from_slice(bytes).unwrap_or(RawErrors { errors: Vec::new() });
        let code = raw
            .errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|x| x.code.clone());
        if code
            .as_deref()
            .is_some_and(|c| TRANSIENT_CODES.contains(&c))
        {
            return Attempt::Transient {
                reason: first.message.clone(),
                sent: true,
            };
        }
        return Attempt::Fatal(classify_top_level(code.as_deref(), &first.message));
    }
    match parsed.data {
        Some(data) => Attempt::Done(data),
        None => Attempt::Fatal(DsError::Decode(format!("HTTP {status} without data"))),
    }
}

impl DsClient {
    /// Tells the observer, if any, that DS answered with `status`.
    fn observe(&self, status: StatusCode) {
        if let Some(o) = &self.inner.observer {
            o.answered();
            if status == StatusCode::TOO_MANY_REQUESTS {
                o.rate_limited();
            }
        }
    }
}

/// "Equal jitter": half of `delay` fixed, half random, so that concurrent
/// callers spread out but still back off.
fn jitter(delay: Duration) -> Duration {
    let half = delay / 2;
    half + half.mul_f64(fastrand::f64())
}

fn transport_failure<T>(e: &reqwest::Error) -> Attempt<T> {
    // A refused connection means DS never saw the request.
    let sent = !e.is_connect();
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection refused"
    } else {
        "connection lost"
    };
    Attempt::Transient {
        reason: kind.to_string(),
        sent,
    }
}

/// The message of a non-GraphQL error body (DS's 401/403 bodies are JSON
/// `errors` or plain text), shortened to one line so no page ends up in an error.
pub(crate) fn first_message(bytes: &[u8]) -> String {
    if let Ok(raw) = serde_json::from_slice::<RawErrors>(bytes)
        && let Some(e) = raw.errors.into_iter().next()
    {
        let short: String = e.message.chars().take(200).collect();
        return crate::error::one_line(&short);
    }
    let short: String = String::from_utf8_lossy(&bytes[..bytes.len().min(800)])
        .chars()
        .take(200)
        .collect();
    crate::error::one_line(&short)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::DsClient;

    fn client() -> DsClient {
        DsClient::builder("http://127.0.0.1:9/api/v2/graphql", "t")
            .build()
            .unwrap()
    }

    /// A one-off failure is retried at once, a repeated one meets the
    /// backoff, and a lost mutation is never resent on the short step.
    #[test]
    fn first_retry_is_short_then_the_backoff_doubles() {
        let c = client();
        for _ in 0..50 {
            let first = c.backoff(1);
            assert!(first >= Duration::from_millis(10), "{first:?}");
            assert!(first <= Duration::from_millis(20), "{first:?}");
            let second = c.backoff(2);
            assert!(second >= Duration::from_millis(50), "{second:?}");
            assert!(second <= Duration::from_millis(100), "{second:?}");
            let third = c.backoff(3);
            assert!(third >= Duration::from_millis(100), "{third:?}");
            assert!(third <= Duration::from_millis(200), "{third:?}");
            // A lost mutation waits a step longer than a query would.
            assert!(c.resend_backoff(1) >= Duration::from_millis(100));
            assert!(c.backoff(40) <= Duration::from_secs(10));
        }
    }
}
