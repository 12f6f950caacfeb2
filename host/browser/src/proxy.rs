//! The filtering forward proxy every session's Chromium is pointed at (DESIGN §5.6): the
//! browser-level network lock. It understands the two forms a browser sends to an HTTP proxy,
//! absolute-form requests (`GET http://host:port/path`) and `CONNECT host:port` tunnels for
//! https, asks the caller's [`OriginPolicy`] for each, answers `403` to a denial without dialing
//! the upstream, and counts bytes per origin in both directions for the egress ledger.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use crate::error::{BrowserError, Result};
use crate::origin::{Decision, Origin, OriginPolicy};

/// Largest request head accepted; a browser's heads are a few KiB.
const MAX_HEAD: usize = 64 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Time allowed to dial an upstream.
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);
/// Headers meant for the proxy hop, never forwarded.
const HOP_HEADERS: [&str; 4] = [
    "proxy-connection",
    "proxy-authorization",
    "connection",
    "keep-alive",
];

/// One proxied connection (or one refusal), reported when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyEvent {
    pub origin: Origin,
    pub allowed: bool,
    /// Chromium's own service traffic (Google domains), as opposed to what a page asked for.
    pub background: bool,
    /// Bytes sent from the browser to the origin (request heads included).
    pub bytes_up: u64,
    /// Bytes received from the origin.
    pub bytes_down: u64,
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
        if !event.allowed && event.background {
            tracing::debug!(origin = %event.origin, "browser background request denied");
        } else if !event.allowed {
            tracing::warn!(origin = %event.origin, "browser request denied");
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

/// A parsed request head plus any body bytes read past it.
struct Head {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    rest: Vec<u8>,
}

/// Reads up to the blank line ending the head, bounded in size and time.
async fn read_head(stream: &mut TcpStream) -> Option<Head> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let end = tokio::time::timeout(HEAD_TIMEOUT, async {
        loop {
            if let Some(pos) = find_blank_line(&buf) {
                return Some(pos);
            }
            if buf.len() > MAX_HEAD {
                return None;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .ok()??;
    parse_head(&buf[..end], buf[end + 4..].to_vec())
}

fn find_blank_line(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

fn parse_head(raw: &[u8], rest: Vec<u8>) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target, version) = (first.next()?, first.next()?, first.next()?);
    if first.next().is_some() || !version.starts_with("HTTP/1.") {
        return None;
    }
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Head {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
        headers,
        rest,
    })
}

/// The origin a request is for, and for plain HTTP the origin-form path to send upstream.
fn request_origin(head: &Head) -> Option<(Origin, Option<String>)> {
    if head.method.eq_ignore_ascii_case("CONNECT") {
        let origin = Origin::from_authority("https", &head.target).ok()?;
        return Some((origin, None));
    }
    let rest = head
        .target
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("http://"))
        .and_then(|_| head.target.get(7..))?;
    let origin = Origin::from_url(&head.target).ok()?;
    // The path is passed on byte for byte, as the browser wrote it.
    let path = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => format!("/{}", &rest[i..]),
        Some(i) => rest[i..].to_owned(),
        None => "/".to_owned(),
    };
    Some((origin, Some(path)))
}

async fn respond(stream: &mut TcpStream, status: &str) {
    let msg = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(msg.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn handle(mut client: TcpStream, shared: Arc<Shared>) {
    let Some(head) = read_head(&mut client).await else {
        respond(&mut client, "400 Bad Request").await;
        return;
    };
    let Some((origin, path)) = request_origin(&head) else {
        respond(&mut client, "400 Bad Request").await;
        return;
    };
    let allowed = shared.policy.decide(&origin) == Decision::Allow;
    let tally = Tally {
        shared,
        origin,
        allowed,
        up: AtomicU64::new(0),
        down: AtomicU64::new(0),
    };
    if !allowed {
        respond(&mut client, "403 Forbidden").await;
        return;
    }
    if let Err(e) = forward(client, &head, path, &tally).await {
        tracing::debug!(origin = %tally.origin, error = %e, "proxy upstream failed");
    }
}

/// Byte counts of one connection, reported when dropped: at the end of the connection, or
/// when the proxy is stopped mid-transfer (its task aborted), so no byte escapes the ledger.
struct Tally {
    shared: Arc<Shared>,
    origin: Origin,
    allowed: bool,
    up: AtomicU64,
    down: AtomicU64,
}

impl Drop for Tally {
    fn drop(&mut self) {
        self.shared.report(ProxyEvent {
            origin: self.origin.clone(),
            allowed: self.allowed,
            background: self.origin.is_browser_background(),
            bytes_up: self.up.load(Ordering::Relaxed),
            bytes_down: self.down.load(Ordering::Relaxed),
        });
    }
}

/// Dials the origin and relays, counting, until both directions have ended.
async fn forward(
    mut client: TcpStream,
    head: &Head,
    path: Option<String>,
    tally: &Tally,
) -> Result<()> {
    let origin = &tally.origin;
    let dial = TcpStream::connect(origin.authority());
    let upstream = match tokio::time::timeout(DIAL_TIMEOUT, dial).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            respond(&mut client, "502 Bad Gateway").await;
            return Err(e.into());
        }
        Err(_) => {
            respond(&mut client, "504 Gateway Timeout").await;
            return Err(BrowserError::Timeout {
                what: format!("connection to {origin}"),
                after_ms: DIAL_TIMEOUT.as_millis() as u64,
            });
        }
    };
    let mut first = match path {
        None => {
            client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await?;
            Vec::new()
        }
        Some(path) => origin_form_head(head, &path),
    };
    first.extend_from_slice(&head.rest);
    let (client_r, client_w) = client.into_split();
    let (up_r, mut up_w) = upstream.into_split();
    up_w.write_all(&first).await?;
    tally.up.fetch_add(first.len() as u64, Ordering::Relaxed);
    tokio::join!(
        pump(client_r, up_w, &tally.up),
        pump(up_r, client_w, &tally.down)
    );
    Ok(())
}

/// Copies one direction until end of stream or error (a reset is an ordinary end for a
/// browser connection), counting as it goes, then closes the writing side.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    count: &AtomicU64,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

/// Rewrites an absolute-form request for the origin server: origin-form target, proxy headers
/// dropped, and `Connection: close` so one proxied connection carries one origin only.
fn origin_form_head(head: &Head, path: &str) -> Vec<u8> {
    let mut out = format!("{} {} {}\r\n", head.method, path, head.version);
    for (k, v) in &head.headers {
        if !HOP_HEADERS.contains(&k.to_ascii_lowercase().as_str()) {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_absolute_and_connect() {
        let raw = b"GET http://127.0.0.1:81/a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:81\r\nProxy-Connection: keep-alive";
        let head = parse_head(raw, Vec::new()).unwrap_or_else(|| panic!("head"));
        let (origin, path) = request_origin(&head).unwrap_or_else(|| panic!("origin"));
        assert_eq!(origin.to_string(), "http://127.0.0.1:81");
        assert_eq!(path.as_deref(), Some("/a?b=1"));
        let out = String::from_utf8(origin_form_head(&head, "/a?b=1")).unwrap_or_default();
        assert!(out.starts_with("GET /a?b=1 HTTP/1.1\r\n"));
        assert!(!out.to_ascii_lowercase().contains("proxy-connection"));
        assert!(out.ends_with("Connection: close\r\n\r\n"));

        let raw = b"CONNECT accounts.google.com:443 HTTP/1.1\r\nHost: accounts.google.com:443";
        let head = parse_head(raw, Vec::new()).unwrap_or_else(|| panic!("head"));
        let (origin, path) = request_origin(&head).unwrap_or_else(|| panic!("origin"));
        assert_eq!(origin.to_string(), "https://accounts.google.com:443");
        assert!(path.is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_head(b"\xff\xfe", Vec::new()).is_none());
        assert!(parse_head(b"GET / SPDY/3", Vec::new()).is_none());
        let head = parse_head(b"GET /relative HTTP/1.1", Vec::new()).unwrap_or_else(|| panic!());
        assert!(request_origin(&head).is_none());
        let head = parse_head(b"GET ftp://x/ HTTP/1.1", Vec::new()).unwrap_or_else(|| panic!());
        assert!(request_origin(&head).is_none());
    }
}
