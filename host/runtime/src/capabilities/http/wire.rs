//! The size of a request as it leaves: what the gate charges to the origin's
//! budget (and the ledger) before anything is sent.
//!
//! The count is the request as HTTP/1.1 puts it on the wire, the way the
//! run's client (reqwest over hyper) writes it: the request line, every
//! header (the robot's, with secrets filled in, and those the client adds:
//! `host`, `accept`, `content-length`), the blank line, and the body. Over
//! HTTP/2 (negotiated only over TLS) the same count stands for the request,
//! though header compression makes the real frames smaller.

use reqwest::header::{ACCEPT, HeaderMap};
use reqwest::{Method, Url};

/// `name: value\r\n`.
fn header_line(name: &str, value_len: usize) -> u64 {
    (name.len() + 2 + value_len + 2) as u64
}

/// Bytes of the request `method url` with `headers` and a body of
/// `body_len` bytes, as sent.
pub(super) fn request_bytes(
    method: &Method,
    url: &Url,
    headers: &HeaderMap,
    body_len: usize,
) -> u64 {
    // `METHOD /path?query HTTP/1.1\r\n`; the fragment is never sent.
    let query = url.query().map_or(0, |q| 1 + q.len());
    let line = (method.as_str().len() + 1 + url.path().len() + query + 1 + 8 + 2) as u64;
    let mut head: u64 = headers
        .iter()
        .map(|(n, v)| header_line(n.as_str(), v.as_bytes().len()))
        .sum();
    // The client adds `host` (with a port other than the scheme's),
    // `accept: */*` unless set, and `content-length` for a non-empty body.
    let host = url.host_str().unwrap_or_default().len()
        + url.port().map_or(0, |p| 1 + p.to_string().len());
    head += header_line("host", host);
    if !headers.contains_key(ACCEPT) {
        head += header_line("accept", "*/*".len());
    }
    if body_len > 0 {
        head += header_line("content-length", body_len.to_string().len());
    }
    line + head + 2 + body_len as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_count_is_the_request_as_written_out() {
        let url = Url::parse("http://127.0.0.1:8080/a/b?q=1#frag").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-token", HeaderValue::from_static("abc"));
        let wire = "POST /a/b?q=1 HTTP/1.1\r\nx-token: abc\r\nhost: 127.0.0.1:8080\r\naccept: */*\r\ncontent-length: 5\r\n\r\nhello";
        assert_eq!(
            request_bytes(&Method::POST, &url, &headers, 5),
            wire.len() as u64
        );
        // A default port is not written, nor a length for no body.
        let url = Url::parse("https://api.example.fr/").unwrap();
        let wire = "GET / HTTP/1.1\r\nhost: api.example.fr\r\naccept: */*\r\n\r\n";
        assert_eq!(
            request_bytes(&Method::GET, &url, &HeaderMap::new(), 0),
            wire.len() as u64
        );
    }
}
