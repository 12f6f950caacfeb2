//! Shared helpers of the browser tests: a browser with a small session cap, sessions allowed
//! on given origins with their proxy events collected, and a process check.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use pont_browser::{AllowList, Browser, BrowserConfig, ProxyEvent, Session, SessionOptions};

pub async fn browser() -> Browser {
    let config = BrowserConfig {
        max_sessions: 2,
        action_timeout: Duration::from_secs(5),
        ..BrowserConfig::default()
    };
    Browser::launch(config)
        .await
        .unwrap_or_else(|e| panic!("launch: {e}"))
}

/// Proxy events of one session.
pub type Events = Arc<Mutex<Vec<ProxyEvent>>>;

pub fn events_of(events: &Events) -> Vec<ProxyEvent> {
    events.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A session allowed on `origins`, stable ids in `id`, with its event log.
pub async fn session(browser: &Browser, origins: &[&str]) -> (Session, Events) {
    session_with(browser, origins, None).await
}

pub async fn session_with(
    browser: &Browser,
    origins: &[&str],
    timeout: Option<Duration>,
) -> (Session, Events) {
    let policy = AllowList::from_urls(origins.iter().copied()).unwrap_or_else(|e| panic!("{e}"));
    let events: Events = Arc::default();
    let sink = events.clone();
    let mut opts = SessionOptions::new(Arc::new(policy));
    opts.events = Arc::new(move |e: &ProxyEvent| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e.clone())
    });
    opts.action_timeout = timeout;
    let s = browser
        .open_session(opts)
        .await
        .unwrap_or_else(|e| panic!("open session: {e}"));
    (s, events)
}

/// Live (non-zombie) processes whose command line contains `needle`.
pub fn live_processes_naming(needle: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
        .filter(|cmd| cmd.contains(needle))
        .collect()
}

/// Whether `pid` is a live process (absent or zombie counts as dead).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => false,
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
