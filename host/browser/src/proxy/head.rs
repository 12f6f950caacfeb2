//! Request heads as a browser sends them to an HTTP proxy: read (bounded in size and time),
//! parsed, and rewritten for the origin server.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::origin::Origin;

/// Largest request head accepted; a browser's heads are a few KiB.
const MAX_HEAD: usize = 64 * 1024;
/// Time a client has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Headers meant for the proxy hop, never forwarded.
const HOP_HEADERS: [&str; 4] = [
    "proxy-connection",
    "proxy-authorization",
    "connection",
    "keep-alive",
];

/// A parsed request head plus any bytes read past it.
pub(super) struct Head {
    pub(super) method: String,
    pub(super) target: String,
    pub(super) version: String,
    pub(super) headers: Vec<(String, String)>,
    pub(super) rest: Vec<u8>,
}

/// Why a request cannot be forwarded as it is: the status line to answer with.
pub(super) type Status = &'static str;

/// Reads up to the blank line ending the head, bounded in size and time.
pub(super) async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> Option<Head> {
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

pub(super) fn parse_head(raw: &[u8], rest: Vec<u8>) -> Option<Head> {
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
pub(super) fn request_origin(head: &Head) -> Option<(Origin, Option<String>)> {
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

/// The length of the body that follows a plain-HTTP head. Only `Content-Length` framing is
/// forwarded: the proxy must know where one request ends so that nothing after it reaches the
/// upstream unchecked, and a chunked or doubly framed body (a smuggling shape) is refused.
pub(super) fn body_length(head: &Head) -> Result<u64, Status> {
    let mut length = None;
    for (k, v) in &head.headers {
        if k.eq_ignore_ascii_case("transfer-encoding") {
            return Err("411 Length Required");
        }
        if k.eq_ignore_ascii_case("content-length") {
            let n = v
                .parse::<u64>()
                .ok()
                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()));
            match (n, length) {
                (None, _) => return Err("400 Bad Request"),
                (Some(n), Some(m)) if n != m => return Err("400 Bad Request"),
                (Some(n), _) => length = Some(n),
            }
        }
    }
    Ok(length.unwrap_or(0))
}

/// Rewrites an absolute-form request for the origin server: origin-form target, proxy headers
/// dropped, and `Connection: close` so one upstream connection carries one request only.
pub(super) fn origin_form_head(head: &Head, path: &str) -> Vec<u8> {
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

    fn head(raw: &[u8]) -> Head {
        parse_head(raw, Vec::new()).unwrap_or_else(|| panic!("head"))
    }

    #[test]
    fn parses_absolute_and_connect() {
        let h = head(
            b"GET http://127.0.0.1:81/a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:81\r\nProxy-Connection: keep-alive",
        );
        let (origin, path) = request_origin(&h).unwrap_or_else(|| panic!("origin"));
        assert_eq!(origin.to_string(), "http://127.0.0.1:81");
        assert_eq!(path.as_deref(), Some("/a?b=1"));
        let out = String::from_utf8(origin_form_head(&h, "/a?b=1")).unwrap_or_default();
        assert!(out.starts_with("GET /a?b=1 HTTP/1.1\r\n"));
        assert!(!out.to_ascii_lowercase().contains("proxy-connection"));
        assert!(out.ends_with("Connection: close\r\n\r\n"));

        let h = head(b"CONNECT accounts.google.com:443 HTTP/1.1\r\nHost: accounts.google.com:443");
        let (origin, path) = request_origin(&h).unwrap_or_else(|| panic!("origin"));
        assert_eq!(origin.to_string(), "https://accounts.google.com:443");
        assert!(path.is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_head(b"\xff\xfe", Vec::new()).is_none());
        assert!(parse_head(b"GET / SPDY/3", Vec::new()).is_none());
        assert!(request_origin(&head(b"GET /relative HTTP/1.1")).is_none());
        assert!(request_origin(&head(b"GET ftp://x/ HTTP/1.1")).is_none());
    }

    #[test]
    fn only_one_plain_content_length_frames_a_body() {
        let h = |extra: &str| head(format!("POST http://a/ HTTP/1.1\r\nHost: a{extra}").as_bytes());
        assert_eq!(body_length(&h("")), Ok(0));
        assert_eq!(body_length(&h("\r\nContent-Length: 12")), Ok(12));
        assert_eq!(
            body_length(&h("\r\nContent-Length: 3\r\ncontent-length: 3")),
            Ok(3)
        );
        let chunked = h("\r\nTransfer-Encoding: chunked");
        assert_eq!(body_length(&chunked), Err("411 Length Required"));
        let both = h("\r\nContent-Length: 3\r\nTransfer-Encoding: chunked");
        assert_eq!(body_length(&both), Err("411 Length Required"));
        for bad in ["3, 4", "+3", "-1", "", "99999999999999999999999"] {
            let h = h(&format!("\r\nContent-Length: {bad}"));
            assert_eq!(body_length(&h), Err("400 Bad Request"), "{bad}");
        }
        let differ = h("\r\nContent-Length: 3\r\nContent-Length: 4");
        assert_eq!(body_length(&differ), Err("400 Bad Request"));
    }
}
