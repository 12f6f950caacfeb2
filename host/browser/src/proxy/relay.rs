//! Relaying an allowed request: one plain-HTTP request per connection, or a CONNECT tunnel,
//! with every byte bound for the origin charged to its budget before it is sent.
//!
//! A plain-HTTP connection carries exactly one request: its body is framed by
//! `Content-Length`, the upstream is asked to close after answering, and the browser's
//! connection is closed after the answer. Whatever the browser sends after that request on the
//! same connection (a second request, perhaps for another origin) is read and dropped, never
//! forwarded: the browser sends it again on a new connection, where it is checked like any
//! other. A tunnel is opaque (TLS to the origin itself), so it is charged chunk by chunk and cut
//! at the first chunk the budget refuses.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::dial::{self, DIAL_TIMEOUT, DialError};
use super::head::{self, Head};
use super::{Stopped, Tally};
use crate::error::{BrowserError, Result};

/// How long the browser may go on sending after its one request was answered.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// Copy buffer of one direction.
const CHUNK: usize = 16 * 1024;

/// Answers `status` with an empty body and closes.
pub(super) async fn respond(stream: &mut TcpStream, status: &str) {
    let msg = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(msg.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Forwards one absolute-form request to its origin and relays the answer.
pub(super) async fn request(
    mut client: TcpStream,
    head: &Head,
    path: &str,
    t: &Tally,
) -> Result<()> {
    let body = match head::body_length(head) {
        Ok(n) => n,
        Err(status) => {
            respond(&mut client, status).await;
            return Ok(());
        }
    };
    // Checked in this order so that a refused request dials nothing: the name's addresses,
    // then the budget, and only then the connection.
    let Some(addrs) = resolve(&mut client, t).await? else {
        return Ok(());
    };
    let first = head::origin_form_head(head, path);
    if !t.charge((first.len() as u64).saturating_add(body)) {
        respond(&mut client, "403 Forbidden").await;
        return Ok(());
    }
    let Some(upstream) = connect(&mut client, t, addrs).await? else {
        return Ok(());
    };
    let early = &head.rest[..head
        .rest
        .len()
        .min(usize::try_from(body).unwrap_or(usize::MAX))];
    let (mut client_r, client_w) = client.into_split();
    let (up_r, mut up_w) = upstream.into_split();
    up_w.write_all(&first).await?;
    up_w.write_all(early).await?;
    let left = body - early.len() as u64;
    // The upstream's write half stays open until the answer is in: some servers drop a
    // connection whose client half-closes.
    tokio::join!(
        copy_exact(&mut client_r, &mut up_w, left),
        pump(up_r, client_w, &t.down)
    );
    drain(client_r).await;
    Ok(())
}

/// Opens a CONNECT tunnel to the origin and relays both ways, charging what goes up.
pub(super) async fn tunnel(mut client: TcpStream, head: &Head, t: &Tally) -> Result<()> {
    let Some(addrs) = resolve(&mut client, t).await? else {
        return Ok(());
    };
    let Some(upstream) = connect(&mut client, t, addrs).await? else {
        return Ok(());
    };
    client
        .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        .await?;
    let (client_r, client_w) = client.into_split();
    let (up_r, mut up_w) = upstream.into_split();
    if !head.rest.is_empty() {
        if !t.charge(head.rest.len() as u64) {
            return Ok(());
        }
        up_w.write_all(&head.rest).await?;
    }
    let mut up = std::pin::pin!(metered_pump(client_r, up_w, t));
    let mut down = std::pin::pin!(pump(up_r, client_w, &t.down));
    // A refused chunk cuts the tunnel at once: returning drops both directions.
    tokio::select! {
        sent_all = &mut up => if sent_all { down.await },
        () = &mut down => { up.await; }
    }
    Ok(())
}

/// The origin's allowed addresses; on failure answers the browser and says why in the tally
/// or the error.
async fn resolve(client: &mut TcpStream, t: &Tally) -> Result<Option<Vec<SocketAddr>>> {
    failed(client, t, dial::resolve(&t.origin).await).await
}

/// Dials one of `addrs`; on failure answers the browser and says why.
async fn connect(
    client: &mut TcpStream,
    t: &Tally,
    addrs: Vec<SocketAddr>,
) -> Result<Option<TcpStream>> {
    failed(client, t, dial::connect(addrs).await).await
}

/// `r`'s value, or the answer to the browser for its failure.
async fn failed<T>(
    client: &mut TcpStream,
    t: &Tally,
    r: std::result::Result<T, DialError>,
) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(DialError::Refused(why)) => {
            t.stop(Stopped::SpecialAddress(why));
            respond(client, "403 Forbidden").await;
            Ok(None)
        }
        Err(DialError::Failed(e)) => {
            respond(client, "502 Bad Gateway").await;
            Err(e.into())
        }
        Err(DialError::Timeout) => {
            respond(client, "504 Gateway Timeout").await;
            Err(BrowserError::Timeout {
                what: format!("connection to {}", t.origin),
                after_ms: DIAL_TIMEOUT.as_millis() as u64,
            })
        }
    }
}

/// Copies exactly `left` bytes (a request body), fewer if the browser stops first.
async fn copy_exact(
    from: &mut (impl AsyncRead + Unpin),
    to: &mut (impl AsyncWrite + Unpin),
    mut left: u64,
) {
    let mut buf = vec![0u8; CHUNK];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match from.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        left -= n as u64;
    }
}

/// Reads and drops what the browser still sends, so that closing does not reset the answer
/// it is reading; bounded by [`DRAIN_TIMEOUT`].
async fn drain(mut from: impl AsyncRead + Unpin) {
    let mut buf = vec![0u8; CHUNK];
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Ok(1..) = from.read(&mut buf).await {}
    })
    .await;
}

/// Copies the browser's side of a tunnel, each chunk charged before it is written; false when
/// the budget refused one (nothing of it was sent).
async fn metered_pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    t: &Tally,
) -> bool {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !t.charge(n as u64) {
            return false;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
    true
}

/// Copies one direction until end of stream or error (a reset is an ordinary end for a
/// browser connection), counting as it goes, then closes the writing side.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    count: &AtomicU64,
) {
    let mut buf = vec![0u8; CHUNK];
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
