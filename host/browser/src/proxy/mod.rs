//! The filtering forward proxy every session's Chromium is pointed at (DESIGN §5.6): the
//! browser-level network lock. It understands the two forms a browser sends to an HTTP proxy,
//! absolute-form requests (`GET http://host:port/path`) and `CONNECT host:port` tunnels for
//! https, and for each:
//! - asks the caller's [`OriginPolicy`], and answers `403` to a denial without dialing;
//! - resolves the origin's name itself and refuses special addresses ([`dial`]);
//! - charges the bytes bound for the origin to its budget ([`OriginPolicy::charge`]) before
//!   sending them, and refuses the request (or cuts the tunnel) the budget refuses;
//! - checks every request: a plain-HTTP connection carries one request only ([`relay`]);
//! - counts bytes per origin in both directions for the egress ledger.

mod dial;
mod head;
mod relay;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use crate::error::Result;
use crate::origin::{Decision, Origin, OriginPolicy};

/// One proxied connection (or one refusal), reported when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyEvent {
    pub origin: Origin,
    /// Whether the traffic went through: false for an origin the policy denies, and for one it
    /// allows that the proxy stopped all the same (see `stopped`).
    pub allowed: bool,
    /// Why the proxy stopped traffic to an origin the policy allows.
    pub stopped: Option<Stopped>,
    /// Chromium's own service traffic (Google domains), as opposed to what a page asked for.
    pub background: bool,
    /// Bytes sent from the browser to the origin (request heads included).
    pub bytes_up: u64,
    /// Bytes received from the origin.
    pub bytes_down: u64,
}

/// Why the proxy stopped a request to an origin the policy allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The origin's name resolved only to special addresses (loopback, private, metadata...);
    /// nothing was dialled. The reason names the addresses.
    SpecialAddress(String),
    /// [`OriginPolicy::charge`] refused the request's bytes (its budget would be passed);
    /// nothing of that request, or of that tunnel chunk, was sent.
    Budget(String),
}

/// Receives proxy events, e.g. to audit denials and feed the egress ledger.
pub trait ProxyEventSink: Send + Sync {
    fn record(&self, event: &ProxyEvent);
}

impl<F> ProxyEventSink for F
where
    F: Fn(&ProxyEvent) + Send + Sync,
{
    fn record(&self, event: &ProxyEvent) {
        self(event)
    }
}

impl ProxyEventSink for tokio::sync::mpsc::UnboundedSender<ProxyEvent> {
    fn record(&self, event: &ProxyEvent) {
        // A closed receiver only means nobody listens any more.
        let _ = self.send(event.clone());
    }
}

/// Totals per origin since the proxy started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub allowed: u64,
    pub denied: u64,
}

type Totals = Arc<Mutex<HashMap<Origin, Traffic>>>;

/// A poisoned lock only means a connection task panicked mid-update; counts stay usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What every connection task shares.
struct Shared {
    policy: Arc<dyn OriginPolicy>,
    sink: Arc<dyn ProxyEventSink>,
    totals: Totals,
}

impl Shared {
    fn report(&self, event: ProxyEvent) {
        {
            let mut totals = lock(&self.totals);
            let t = totals.entry(event.origin.clone()).or_default();
            t.bytes_up += event.bytes_up;
            t.bytes_down += event.bytes_down;
            if event.allowed {
                t.allowed += 1;
            } else {
                t.denied += 1;
            }
        }
        match (&event.stopped, event.allowed, event.background) {
            (Some(why), _, _) => {
                tracing::warn!(origin = %event.origin, ?why, "browser request stopped")
            }
            (None, false, true) => {
                tracing::debug!(origin = %event.origin, "browser background request denied")
            }
            (None, false, false) => {
                tracing::warn!(origin = %event.origin, "browser request denied")
            }
            (None, true, _) => {}
        }
        self.sink.record(&event);
    }
}

/// A running proxy on 127.0.0.1. Dropping it stops it and cuts every open tunnel.
pub struct Proxy {
    addr: SocketAddr,
    totals: Totals,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("addr", &self.addr).finish()
    }
}

impl Proxy {
    /// Binds a free loopback port and serves in a background task.
    pub async fn start(
        policy: Arc<dyn OriginPolicy>,
        sink: Arc<dyn ProxyEventSink>,
    ) -> Result<Proxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let totals = Totals::default();
        let shared = Arc::new(Shared {
            policy,
            sink,
            totals: totals.clone(),
        });
        let task = tokio::spawn(accept_loop(listener, shared));
        Ok(Proxy { addr, totals, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Bytes and connection counts per origin so far.
    pub fn traffic(&self) -> HashMap<Origin, Traffic> {
        lock(&self.totals).clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts connections; the JoinSet is owned here so aborting this task aborts every tunnel.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let shared = shared.clone();
                    let span = tracing::debug_span!("browser.proxy.conn");
                    conns.spawn(handle(stream, shared).instrument(span));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "proxy accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

/// One connection: its request head, the policy's decision, then the relay.
async fn handle(mut client: TcpStream, shared: Arc<Shared>) {
    let Some(head) = head::read_head(&mut client).await else {
        relay::respond(&mut client, "400 Bad Request").await;
        return;
    };
    let Some((origin, path)) = head::request_origin(&head) else {
        relay::respond(&mut client, "400 Bad Request").await;
        return;
    };
    let allowed = shared.policy.decide(&origin) == Decision::Allow;
    let tally = Tally::new(shared, origin, allowed);
    if !allowed {
        relay::respond(&mut client, "403 Forbidden").await;
        return;
    }
    let relayed = match path {
        None => relay::tunnel(client, &head, &tally).await,
        Some(path) => relay::request(client, &head, &path, &tally).await,
    };
    if let Err(e) = relayed {
        tracing::debug!(origin = %tally.origin, error = %e, "proxy upstream failed");
    }
}

/// Byte counts of one connection, reported when dropped: at the end of the connection, or
/// when the proxy is stopped mid-transfer (its task aborted), so no byte escapes the ledger.
struct Tally {
    shared: Arc<Shared>,
    origin: Origin,
    allowed: AtomicBool,
    stopped: Mutex<Option<Stopped>>,
    /// Bytes charged to the origin's budget: exactly what was handed to the upstream.
    up: AtomicU64,
    down: AtomicU64,
}

impl Tally {
    fn new(shared: Arc<Shared>, origin: Origin, allowed: bool) -> Self {
        Self {
            shared,
            origin,
            allowed: AtomicBool::new(allowed),
            stopped: Mutex::new(None),
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
        }
    }

    /// The proxy refuses what is left of this connection.
    fn stop(&self, why: Stopped) {
        self.allowed.store(false, Ordering::Relaxed);
        *lock(&self.stopped) = Some(why);
    }

    /// Charges `bytes` about to go to the origin and counts them; false (and the connection
    /// stopped) when the policy refuses them, in which case none of them may be sent.
    fn charge(&self, bytes: u64) -> bool {
        if bytes == 0 {
            return true;
        }
        match self.shared.policy.charge(&self.origin, bytes) {
            Ok(()) => {
                self.up.fetch_add(bytes, Ordering::Relaxed);
                true
            }
            Err(why) => {
                self.stop(Stopped::Budget(why));
                false
            }
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.shared.report(ProxyEvent {
            origin: self.origin.clone(),
            allowed: self.allowed.load(Ordering::Relaxed),
            stopped: lock(&self.stopped).take(),
            background: self.origin.is_browser_background(),
            bytes_up: self.up.load(Ordering::Relaxed),
            bytes_down: self.down.load(Ordering::Relaxed),
        });
    }
}
