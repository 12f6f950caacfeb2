//! The DS simulator the whole suite runs against: the `pont-sandbox` binary,
//! started on loopback, driven through its `/__sandbox/` control endpoints.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The read/write token of every démarche.
pub const TOKEN: &str = "sandbox-rw-all";

/// A running simulator; killed when dropped.
pub struct Sandbox {
    child: Child,
    http: reqwest::Client,
    /// The GraphQL endpoint.
    pub ds_url: String,
    base: String,
}

impl Sandbox {
    /// Start the binary with a rate limit high enough never to be reached.
    pub fn start(binary: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(["--port", "0", "--rate-limit", "1000000000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let stdout = child.stdout.take().context("sandbox stdout")?;
        let mut ds_url = None;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref().take(20) {
            let line = line?;
            if let Some(url) = line.strip_prefix("ds ") {
                ds_url = Some(url.trim().to_string());
            }
            if line.starts_with("control ") {
                break;
            }
        }
        // Keep reading what it prints after that (the apps' origins): a closed
        // pipe would make its next print fail.
        std::thread::spawn(move || lines.for_each(drop));
        let Some(ds_url) = ds_url else {
            let _ = child.kill();
            bail!("the sandbox did not print its endpoint");
        };
        let base = ds_url.trim_end_matches("/api/v2/graphql").to_string();
        Ok(Self {
            child,
            http: reqwest::Client::new(),
            ds_url,
            base,
        })
    }

    async fn post(&self, route: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .http
            .post(format!("{}/__sandbox/{route}", self.base))
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("sandbox {route}: {status} {v}");
        }
        Ok(v)
    }

    /// Give démarche `demarche` exactly `dossiers` dossiers.
    pub async fn seed(&self, demarche: i64, dossiers: usize) -> anyhow::Result<()> {
        let v = self
            .post(
                "seed",
                json!({ "demarche": demarche, "dossiers": dossiers }),
            )
            .await?;
        if v["dossiers"].as_u64() != Some(dossiers as u64) {
            bail!("seeding answered {v}");
        }
        Ok(())
    }

    /// Add `latency_ms` to every GraphQL request (0 to stop).
    pub async fn latency(&self, latency_ms: u64) -> anyhow::Result<()> {
        self.post("faults", json!({ "latency_ms": latency_ms }))
            .await
            .map(drop)
    }

    /// Set the fault dice (`Faults` of the sandbox, as JSON; `{}` clears them).
    pub async fn faults(&self, faults: Value) -> anyhow::Result<()> {
        self.post("faults", faults).await.map(drop)
    }

    /// The server-side budget per token.
    pub async fn rate_limit(&self, limit: u32, window_secs: u64) -> anyhow::Result<()> {
        self.post(
            "rate-limit",
            json!({ "limit": limit, "window_secs": window_secs }),
        )
        .await
        .map(drop)
    }

    /// A new read/write token on every démarche: its request counters start
    /// at zero, whatever earlier measures sent in the current window.
    pub async fn add_token(&self, token: &str) -> anyhow::Result<()> {
        self.post("tokens", json!({ "token": token, "write": true }))
            .await
            .map(drop)
    }

    /// Requests allowed and throttled (HTTP 429) so far, over every window.
    pub async fn request_counts(&self) -> anyhow::Result<(u64, u64)> {
        let v: Value = self
            .http
            .get(format!("{}/__sandbox/requests", self.base))
            .send()
            .await?
            .json()
            .await?;
        let mut totals = (0, 0);
        for w in v["requests"].as_array().into_iter().flatten() {
            totals.0 += w["allowed"].as_u64().unwrap_or(0);
            totals.1 += w["throttled"].as_u64().unwrap_or(0);
        }
        Ok(totals)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
