//! The filtering proxy on its own, driven with raw sockets so byte counts can be checked
//! exactly: absolute-form HTTP and CONNECT tunnels to an allowed origin pass, anything else gets
//! `403` without the upstream seeing a connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pont_browser::{AllowList, Decision, Origin, OriginPolicy, Proxy, ProxyEvent, Stopped};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const BODY: &[u8] = b"hello from upstream";

/// An upstream answering every connection with a fixed response and closing; counts accepts.
async fn upstream() -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut c, _)) = l.accept().await {
            h.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf).await;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", BODY.len());
                let _ = c.write_all(head.as_bytes()).await;
                let _ = c.write_all(BODY).await;
                let _ = c.shutdown().await;
            });
        }
    });
    (format!("127.0.0.1:{}", addr.port()), hits)
}

/// Sends `request` to the proxy and reads everything it answers (bounded in time).
async fn exchange(proxy: &Proxy, request: &[u8], then: &[u8]) -> String {
    let mut c = TcpStream::connect(proxy.addr())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.write_all(request).await.unwrap_or_else(|e| panic!("{e}"));
    if !then.is_empty() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = c.write_all(then).await;
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn next_event(rx: &mut mpsc::UnboundedReceiver<ProxyEvent>) -> ProxyEvent {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no proxy event"))
}

#[tokio::test]
async fn allows_granted_origin_and_counts_exactly() {
    let (allowed, hits) = upstream().await;
    let (denied, denied_hits) = upstream().await;
    let url = format!("http://{allowed}");
    let policy = AllowList::from_urls([url.as_str()]).unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy = Proxy::start(Arc::new(policy), Arc::new(tx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let req = format!(
        "GET http://{allowed}/x?y=1 HTTP/1.1\r\nHost: {allowed}\r\nProxy-Connection: keep-alive\r\n\r\n"
    );
    let resp = exchange(&proxy, req.as_bytes(), b"").await;
    assert!(resp.starts_with("HTTP/1.1 200 OK") && resp.ends_with("hello from upstream"));
    let ev = next_event(&mut rx).await;
    assert!(ev.allowed && !ev.background);
    assert_eq!(ev.origin.to_string(), url);
    assert_eq!(ev.bytes_down, resp.len() as u64);
    // The forwarded head is origin-form, without the proxy header, with Connection: close.
    let forwarded = format!("GET /x?y=1 HTTP/1.1\r\nHost: {allowed}\r\nConnection: close\r\n\r\n");
    assert_eq!(ev.bytes_up, forwarded.len() as u64);

    // A CONNECT tunnel to the same authority is the https origin: not granted.
    let req = format!("CONNECT {allowed} HTTP/1.1\r\nHost: {allowed}\r\n\r\n");
    let resp = exchange(&proxy, req.as_bytes(), b"").await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let ev = next_event(&mut rx).await;
    assert!(!ev.allowed && ev.origin.scheme == "https");

    let req = format!("GET http://{denied}/ HTTP/1.1\r\nHost: {denied}\r\n\r\n");
    let resp = exchange(&proxy, req.as_bytes(), b"").await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let ev = next_event(&mut rx).await;
    assert!(!ev.allowed && ev.bytes_up == 0 && ev.bytes_down == 0);
    assert_eq!(denied_hits.load(Ordering::Relaxed), 0);
    assert_eq!(hits.load(Ordering::Relaxed), 1);

    let t = proxy.traffic();
    let o = Origin::from_url(&url).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t[&o].allowed, 1);
    assert_eq!(t[&o].bytes_up, forwarded.len() as u64);
}

#[tokio::test]
async fn connect_tunnel_relays_both_ways() {
    let (up, hits) = upstream().await;
    let policy =
        AllowList::from_urls([format!("https://{up}").as_str()]).unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy = Proxy::start(Arc::new(policy), Arc::new(tx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let req = format!("CONNECT {up} HTTP/1.1\r\nHost: {up}\r\n\r\n");
    let payload = b"opaque tls bytes";
    let resp = exchange(&proxy, req.as_bytes(), payload).await;
    assert!(resp.starts_with("HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK"));
    let ev = next_event(&mut rx).await;
    assert!(ev.allowed);
    assert_eq!(ev.bytes_up, payload.len() as u64);
    assert!(ev.bytes_down > BODY.len() as u64);
    assert_eq!(hits.load(Ordering::Relaxed), 1);

    // Garbage is refused without an event.
    let resp = exchange(&proxy, b"\x16\x03\x01 not http\r\n\r\n", b"").await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(rx.try_recv().is_err());
}

#[tokio::test]
async fn a_granted_name_resolving_to_loopback_is_refused_without_dialing() {
    let (up, hits) = upstream().await;
    let port = up.rsplit(':').next().unwrap_or_default().to_owned();
    let by_name = format!("http://localhost:{port}");
    let tls_by_name = format!("https://localhost:{port}");
    let policy = AllowList::from_urls([by_name.as_str(), tls_by_name.as_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy = Proxy::start(Arc::new(policy), Arc::new(tx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for req in [
        format!("GET {by_name}/ HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
        format!("CONNECT localhost:{port} HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
    ] {
        let resp = exchange(&proxy, req.as_bytes(), b"").await;
        assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
        let ev = next_event(&mut rx).await;
        assert!(!ev.allowed && ev.bytes_up == 0, "{ev:?}");
        let Some(Stopped::SpecialAddress(why)) = ev.stopped else {
            panic!("not stopped for its address: {ev:?}")
        };
        assert!(
            why.contains("`localhost`") && why.contains("loopback"),
            "{why}"
        );
    }
    assert_eq!(
        hits.load(Ordering::Relaxed),
        0,
        "the upstream saw a connection"
    );
}

#[tokio::test]
async fn a_second_request_on_a_kept_alive_connection_is_not_forwarded() {
    let (allowed, hits) = upstream().await;
    let (other, other_hits) = upstream().await;
    let policy = AllowList::from_urls([format!("http://{allowed}").as_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy = Proxy::start(Arc::new(policy), Arc::new(tx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let first = format!(
        "GET http://{allowed}/ HTTP/1.1\r\nHost: {allowed}\r\nProxy-Connection: keep-alive\r\n\r\n"
    );
    // Pipelined right behind the first, and again once it is answered: toward an origin
    // that is not granted (its upstream would answer anything it got).
    let second = format!("GET http://{other}/leak HTTP/1.1\r\nHost: {other}\r\n\r\n");
    let both = format!("{first}{second}");
    let resp = exchange(&proxy, both.as_bytes(), second.as_bytes()).await;
    assert_eq!(resp.matches("HTTP/1.1 200 OK").count(), 1, "{resp}");
    let ev = next_event(&mut rx).await;
    assert!(ev.allowed);
    let forwarded = format!("GET / HTTP/1.1\r\nHost: {allowed}\r\nConnection: close\r\n\r\n");
    assert_eq!(
        ev.bytes_up,
        forwarded.len() as u64,
        "only the first request went up"
    );
    assert_eq!(hits.load(Ordering::Relaxed), 1);
    assert_eq!(other_hits.load(Ordering::Relaxed), 0);
    // Sent on a connection of its own, the second request is checked, and denied.
    let resp = exchange(&proxy, second.as_bytes(), b"").await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    assert!(!next_event(&mut rx).await.allowed);
    assert_eq!(other_hits.load(Ordering::Relaxed), 0);
}

/// Allows every origin, with one byte budget shared by all of them.
struct Budget {
    left: Mutex<u64>,
}

impl OriginPolicy for Budget {
    fn decide(&self, _: &Origin) -> Decision {
        Decision::Allow
    }

    fn charge(&self, origin: &Origin, bytes: u64) -> Result<(), String> {
        let mut left = self.left.lock().unwrap_or_else(|e| e.into_inner());
        if bytes > *left {
            return Err(format!("budget of {origin} exceeded"));
        }
        *left -= bytes;
        Ok(())
    }
}

#[tokio::test]
async fn a_request_past_the_budget_is_refused_and_a_tunnel_is_cut() {
    let (up, hits) = upstream().await;
    let policy = Arc::new(Budget {
        left: Mutex::new(200),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let proxy = Proxy::start(policy.clone(), Arc::new(tx))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = "x".repeat(150);
    let post = format!(
        "POST http://{up}/form HTTP/1.1\r\nHost: {up}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let resp = exchange(&proxy, post.as_bytes(), b"").await;
    assert!(resp.starts_with("HTTP/1.1 403"), "{resp}");
    let ev = next_event(&mut rx).await;
    assert!(!ev.allowed && ev.bytes_up == 0);
    assert!(matches!(ev.stopped, Some(Stopped::Budget(ref why)) if why.contains("exceeded")));
    assert_eq!(
        hits.load(Ordering::Relaxed),
        0,
        "nothing of the request went out"
    );

    // A tunnel: the first chunk fits, the second would pass what is left and cuts it.
    let connect = format!("CONNECT {up} HTTP/1.1\r\nHost: {up}\r\n\r\n");
    let first = [b'a'; 150];
    let resp = exchange(&proxy, connect.as_bytes(), &first).await;
    assert!(
        resp.starts_with("HTTP/1.1 200 Connection Established"),
        "{resp}"
    );
    let ev = next_event(&mut rx).await;
    assert!(ev.allowed && ev.bytes_up == 150);
    let resp = exchange(&proxy, connect.as_bytes(), &first).await;
    assert!(
        !resp.contains("200 OK"),
        "the cut tunnel relayed an answer: {resp}"
    );
    let ev = next_event(&mut rx).await;
    assert!(!ev.allowed && ev.bytes_up == 0);
    assert!(matches!(ev.stopped, Some(Stopped::Budget(_))));
    assert_eq!(*policy.left.lock().unwrap_or_else(|e| e.into_inner()), 50);
}
