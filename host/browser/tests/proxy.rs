//! The filtering proxy on its own, driven with raw sockets so byte counts can be checked
//! exactly: absolute-form HTTP and CONNECT tunnels to an allowed origin pass, anything else gets
//! `403` without the upstream seeing a connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pont_browser::{AllowList, Origin, Proxy, ProxyEvent};
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
