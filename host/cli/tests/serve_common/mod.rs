//! Helpers for the `pont serve` tests: robot configs in their own
//! directories, the service started as a real process, an HTTP client, a
//! loopback alert receiver and a reader for the Prometheus text format.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const API_TOKEN: &str = "jeton-de-test-0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const DS_TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// Write `dir/<name>/robot.toml` for the scripted robot with `extra` TOML
/// and `manifest`, its journal and audit beside it, the compiled-component
/// cache shared.
pub fn robot_config(dir: &Path, name: &str, manifest: &Path, extra: &str) -> PathBuf {
    let robot_dir = dir.join(name);
    std::fs::create_dir_all(&robot_dir).unwrap();
    let text = format!(
        "[plugin]\npath = {:?}\nmanifest = {:?}\n\n[paths]\njournal = \"journal.sqlite\"\naudit = \"audit.jsonl\"\ncache = {:?}\n\n{extra}\n",
        pont_test_artifacts::wasm("scripted").display().to_string(),
        manifest.display().to_string(),
        dir.join("cache").display().to_string(),
    );
    let path = robot_dir.join("robot.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The scripted robot's manifest without DS, with `state` (its waits count
/// passes in the state store).
pub fn no_ds_manifest(dir: &Path) -> PathBuf {
    let text: String = std::fs::read_to_string(pont_test_artifacts::fixture_manifest("scripted"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("ds ="))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.join("no-ds.pont.toml");
    std::fs::write(&path, format!("{text}state = true\n")).unwrap();
    path
}

/// A running `pont serve`; killed when dropped.
pub struct Served {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `pont serve` and wait (bounded) for its listening line.
pub fn serve(config: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pont"))
        .arg("serve")
        .arg(config)
        .env("PONT_TEST_API_TOKEN", API_TOKEN)
        .env("PONT_TEST_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env(DS_TOKEN_VAR, "sandbox-rw-all")
        .env("PONT_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = tx.send(line[at + "listening on ".len()..].trim().to_string());
            }
            lines.lock().unwrap().push(line);
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| {
            panic!(
                "pont serve did not start:\n{}",
                log.lock().unwrap().join("\n")
            )
        });
    Served { child, base, log }
}

impl Served {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([name, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
}

/// A loopback HTTP server that records the JSON bodies POSTed to it.
pub async fn alert_receiver() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/alert",
        axum::routing::post(move |body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                if let Ok(v) = serde_json::from_slice(&body) {
                    seen.lock().unwrap().push(v);
                }
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alert", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

/// Poll `check` every 300 ms until it holds, for at most `limit`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// One sample of the Prometheus text format.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// The samples of a text exposition (comments skipped).
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once("=\"").unwrap();
                    (k.to_string(), v.trim_end_matches('"').to_string())
                })
                .collect();
            Sample {
                name: name.to_string(),
                labels,
                value: value.parse().unwrap(),
            }
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels` (0 when
/// there is none: a counter never incremented).
pub fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    samples(text)
        .into_iter()
        .filter(|s| s.name == name)
        .find(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map_or(0.0, |s| s.value)
}

/// `promtool check metrics` (Debian's `prometheus` package) on the text.
pub fn promtool_check(text: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool not found: install Debian's `prometheus` package (scripts/setup)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics refused the exposition:\n{}{}\n---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
