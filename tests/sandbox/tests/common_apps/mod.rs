//! Helpers of the third-party app tests: a sandbox, a client that does not follow redirects,
//! multipart bodies built by hand, and HTML probes by element id.
#![allow(dead_code)]

use std::time::Duration;

use pont_sandbox::{App, AppsConfig, Sandbox, SandboxConfig};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub struct Env {
    pub sb: Sandbox,
    pub http: reqwest::Client,
}

pub async fn start_with(apps: AppsConfig) -> Env {
    let sb = Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 2,
        apps,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    Env { sb, http }
}

pub async fn start() -> Env {
    start_with(AppsConfig {
        controle_delay_ms: 400,
        ..AppsConfig::default()
    })
    .await
}

/// A file part or a text part of a multipart body.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

/// Builds a `multipart/form-data` body as a browser does (reqwest's multipart feature is not
/// enabled in this workspace).
pub fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "----pontsandboxboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Env {
    pub fn url(&self, app: App, path: &str) -> String {
        format!("{}{path}", self.sb.app_url(app))
    }

    pub async fn get(&self, app: App, path: &str) -> (StatusCode, String) {
        let r = self
            .http
            .get(self.url(app, path))
            .send()
            .await
            .expect("GET");
        (r.status(), r.text().await.unwrap_or_default())
    }

    pub async fn post_form(
        &self,
        app: App,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let r = self
            .http
            .post(self.url(app, path))
            .form(form)
            .send()
            .await
            .expect("POST");
        (r.status(), r.text().await.unwrap_or_default())
    }

    pub async fn post_multipart(
        &self,
        app: App,
        path: &str,
        parts: &[Part<'_>],
    ) -> (StatusCode, String) {
        let (ct, body) = multipart(parts);
        let r = self
            .http
            .post(self.url(app, path))
            .header(CONTENT_TYPE, ct)
            .body(body)
            .send()
            .await
            .expect("POST multipart");
        (r.status(), r.text().await.unwrap_or_default())
    }

    /// Records read over HTTP, checked equal to the Rust accessor.
    pub async fn records(&self, app: App) -> Vec<Value> {
        let v: Vec<Value> = self
            .http
            .get(self.url(app, "/__sandbox/records"))
            .send()
            .await
            .expect("records")
            .json()
            .await
            .expect("json");
        assert_eq!(v.len(), self.sb.app_records(app).len());
        v
    }
}

/// The `value` of the element whose `id="…"` is given, or the text right after `id="…">`.
pub fn attr_value(html: &str, id: &str) -> String {
    let key = format!("id=\"{id}\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[at + key.len()..];
    if let Some(v) = rest
        .strip_prefix(" name=\"")
        .and_then(|r| r.split_once("value=\""))
    {
        return v.1.split('"').next().unwrap_or_default().to_owned();
    }
    let text = rest.split_once('>').map(|x| x.1).unwrap_or_default();
    text.split('<').next().unwrap_or_default().to_owned()
}

pub fn href_of(html: &str, id: &str) -> String {
    let key = format!("id=\"{id}\"");
    let at = html.find(&key).unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at..];
    let h = rest.split_once("href=\"").map(|x| x.1).unwrap_or_default();
    h.split('"').next().unwrap_or_default().to_owned()
}

/// A SIRET with a valid Luhn key.
pub fn siret(prefix13: &str) -> String {
    (0..10)
        .map(|k| format!("{prefix13}{k}"))
        .find(|s| {
            let sum: u32 = s
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| {
                    let d = u32::from(b - b'0');
                    if i % 2 == 1 {
                        if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
                    } else {
                        d
                    }
                })
                .sum();
            sum.is_multiple_of(10)
        })
        .unwrap_or_default()
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("cps_session="))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
}
