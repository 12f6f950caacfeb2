//! Outbound HTTP to origins the operator granted (`[grant.http.NAME]`).
//!
//! Every request, and every redirect the host follows, is checked against the
//! grant; a refusal is `Error::Denied`. Secrets go in by reference: put
//! `{{secret:NAME}}` in a header value (or use [`Request::secret_header`]) and
//! the host fills it in; the robot never sees the value.
//!
//! ```no_run
//! use pont_sdk::http::{self, Request};
//!
//! let request = Request::get("https://referentiel.example.fr/api/professionnels/10001234567")
//!     .header("accept", "application/json")
//!     .secret_header("authorization", "Bearer {{secret:referentiel}}");
//! let response = http::send(&request)?;
//! # Ok::<(), pont_sdk::Error>(())
//! ```
//!
//! The standard `wasi:http/outgoing-handler` is also linked for robots with
//! an HTTP grant, under the same checks, so an HTTP client library built for
//! wasm32-wasip2 works too.

pub use crate::bindings::pont::robot::http::*;

impl Request {
    /// A `GET` of `url`, without headers.
    pub fn get(url: &str) -> Self {
        Self {
            method: "GET".into(),
            url: url.into(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            body: None,
        }
    }

    /// A `POST` of `body` to `url`, with its content type.
    pub fn post(url: &str, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            method: "POST".into(),
            body: Some(body),
            ..Self::get(url)
        }
        .header("content-type", content_type)
    }

    /// Add a plain header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Add a header the host fills with a secret: `value` is a secret's name
    /// (the header is its whole value) or a template such as
    /// `Bearer {{secret:NAME}}`.
    pub fn secret_header(mut self, name: &str, value: &str) -> Self {
        self.secret_headers.push((name.into(), value.into()));
        self
    }
}

impl Response {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
