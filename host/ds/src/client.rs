//! The client handle and its configuration.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::DsError;
use crate::limiter::{Budget, RateLimiter};
use crate::limits::DsLimits;

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts of a query (or of a mutation that certainly did not reach
    /// DS) before giving up with [`DsError::Unavailable`].
    pub max_attempts: u32,
    /// Wait before the first retry after a transient failure (a 5xx, a
    /// dropped connection, a timeout), with jitter; at most `base_delay`.
    /// Short because such a failure is most often a one-off (a reset
    /// connection, one node's 502): a robot's item waits through it while
    /// it holds its instance, so a long first wait costs the whole run's
    /// throughput. A failure that repeats meets the backoff proper. Never
    /// used after a 429, which waits for DS's window
    /// ([`RetryPolicy::min_rate_limit_wait`] at least).
    pub first_retry: Duration,
    /// Backoff from the second retry on; doubled at each attempt, with jitter.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// `429` answers tolerated for one call before giving up.
    pub max_rate_limited: u32,
    /// Longest wait after a 429, whatever `RateLimit-Reset` or a proxy's
    /// `Retry-After` asks (a lying header cannot stall the client).
    pub max_rate_limit_wait: Duration,
    /// Shortest wait after a 429, so that a window end already past (by
    /// DS's clock, or a clock one second off) is not met with at once
    /// resent requests; also the first step of the backoff when a 429
    /// says nothing usable.
    pub min_rate_limit_wait: Duration,
    /// Times a mutation is sent at most when its answers are lost and each
    /// re-read shows it not applied.
    pub max_mutation_sends: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            // A quick first retry, then 100 ms doubling to 1.6 s: about
            // the patience (3.1 s of waits) of the five attempts from
            // 250 ms this replaced, with less of it spent on the first
            // failures, which are the common ones.
            max_attempts: 7,
            first_retry: Duration::from_millis(20),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            max_rate_limited: 10,
            max_rate_limit_wait: Duration::from_secs(120),
            min_rate_limit_wait: Duration::from_secs(1),
            max_mutation_sends: 3,
        }
    }
}

/// The API token. Its `Debug` never shows it, so it cannot leak into logs.
#[derive(Clone)]
pub(crate) struct Token(pub(crate) String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) endpoint: reqwest::Url,
    pub(crate) token: Token,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) limits: DsLimits,
    /// The dossier page size DS currently answers within its timeout.
    pub(crate) page_size: crate::partial::PageSize,
    /// Nanoseconds spent waiting before retries (see [`DsClient::retry_wait`]).
    pub(crate) retry_wait_ns: std::sync::atomic::AtomicU64,
    /// Told of every answer (see [`crate::DsObserver`]).
    pub(crate) observer: Option<Arc<dyn crate::DsObserver>>,
}

/// An asynchronous DS client. Cheap to clone; clones share the HTTP
/// connection pool and the rate limiter.
#[derive(Clone)]
pub struct DsClient {
    pub(crate) inner: Arc<Inner>,
    /// Counts request bodies before they leave ([`DsClient::metered`]).
    pub(crate) metering: crate::egress::Metering,
}

impl fmt::Debug for DsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("budget", &self.inner.limiter.budget())
            .finish_non_exhaustive()
    }
}

/// Builds a [`DsClient`].
#[derive(Debug)]
pub struct DsClientBuilder {
    endpoint: String,
    token: Token,
    budget: Budget,
    limiter: Option<Arc<RateLimiter>>,
    shared_budget_dir: Option<PathBuf>,
    retry: RetryPolicy,
    timeout: Duration,
    connect_timeout: Duration,
    limits: DsLimits,
    observer: Option<Arc<dyn crate::DsObserver>>,
}

impl DsClient {
    /// Starts a client for `endpoint` (e.g.
    /// `https://demarche.numerique.gouv.fr/api/v2/graphql`) and a bearer token.
    pub fn builder(endpoint: impl Into<String>, token: impl Into<String>) -> DsClientBuilder {
        DsClientBuilder {
            endpoint: endpoint.into(),
            token: Token(token.into()),
            budget: Budget::default(),
            limiter: None,
            shared_budget_dir: None,
            retry: RetryPolicy::default(),
            // DS stops a query after 30 s; leave room for the answer.
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            limits: DsLimits::default(),
            observer: None,
        }
    }

    /// The limiter this client draws from.
    pub fn limiter(&self) -> &Arc<RateLimiter> {
        &self.inner.limiter
    }

    /// Time this client (and its clones) spent waiting before retrying a
    /// request: the backoff after a 5xx or a dropped connection, and the
    /// pause a 429 asked for. The runner reports it beside its profile.
    pub fn retry_wait(&self) -> Duration {
        Duration::from_nanos(
            self.inner
                .retry_wait_ns
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// Count `wait` as time spent waiting to retry.
    pub(crate) fn waited(&self, wait: Duration) {
        let ns = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX);
        self.inner
            .retry_wait_ns
            .fetch_add(ns, std::sync::atomic::Ordering::Relaxed);
    }

    /// The bounds this client puts on what DS sends.
    pub fn limits(&self) -> DsLimits {
        self.inner.limits
    }
}

impl DsClientBuilder {
    /// The request budget (default 400 per minute). Ignored when another
    /// live client already uses the same token: they share its limiter.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Uses this limiter instead of the per-token one.
    pub fn limiter(mut self, limiter: Arc<RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Shares the token's budget with every process of the machine that
    /// names the same directory: the limiter keeps its slots in a small
    /// locked file there, named by a hash of the token
    /// ([`RateLimiter::for_token_shared`]). Without it the budget is this
    /// process's only.
    pub fn shared_budget_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.shared_budget_dir = Some(dir.into());
        self
    }

    /// The retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Total time allowed for one HTTP request (GraphQL calls and uploads;
    /// downloads are bounded by their idle time instead).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Bounds on answer and download sizes and on listing length
    /// (default [`DsLimits::default`]).
    pub fn limits(mut self, limits: DsLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Tells `observer` of every answer DS gives (for live metrics).
    pub fn observer(mut self, observer: Arc<dyn crate::DsObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<DsClient, DsError> {
        let endpoint = reqwest::Url::parse(&self.endpoint)
            .map_err(|e| DsError::Config(format!("endpoint URL: {e}")))?;
        if self.token.0.trim().is_empty() {
            return Err(DsError::Config("empty token".into()));
        }
        let l = self.limits;
        if l.max_response_bytes == 0 || l.max_download_bytes == 0 || l.max_pages == 0 {
            return Err(DsError::Config("every DS limit must be above 0".into()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.timeout)
            .user_agent(concat!("pont-ds/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| DsError::Config(format!("HTTP client: {e}")))?;
        let limiter = match (self.limiter, &self.shared_budget_dir) {
            (Some(l), _) => l,
            (None, Some(dir)) => RateLimiter::for_token_shared(&self.token.0, self.budget, dir)
                .map_err(|e| DsError::Config(e.to_string()))?,
            (None, None) => RateLimiter::for_token(&self.token.0, self.budget),
        };
        let inner = Inner {
            http,
            endpoint,
            token: self.token,
            limiter,
            retry: self.retry,
            timeout: self.timeout,
            limits: self.limits,
            page_size: Default::default(),
            retry_wait_ns: Default::default(),
            observer: self.observer,
        };
        Ok(DsClient {
            inner: Arc::new(inner),
            metering: crate::egress::Metering::default(),
        })
    }
}
