//! The chromedriver child: started on a free loopback port in its own process group, confined
//! ([`Confinement`]: unprivileged account, cleared environment, parent-death signal), polled
//! until it reports ready (bounded), killed with its whole group when dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;

use crate::error::{BrowserError, Result};
use crate::procs;
use crate::sandbox::Confinement;

/// Readiness polls: 200 × 50 ms = 10 s, generous for a loaded CI machine.
const READY_POLLS: usize = 200;
const READY_PAUSE: Duration = Duration::from_millis(50);
/// Attempts with a new port, in case another process took the one we picked.
const PORT_ATTEMPTS: usize = 3;

/// A running chromedriver.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    pgid: Option<u32>,
}

impl Driver {
    /// Starts chromedriver and waits until `/status` says it is ready.
    pub(crate) async fn start(path: &Path, home: &Path, confine: &Confinement) -> Result<Driver> {
        let mut last = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port().await?;
            let mut driver = spawn(path, port, home, confine)?;
            match driver.wait_ready().await {
                Ok(()) => return Ok(driver),
                Err(e) => last = e.to_string(),
            }
        }
        Err(BrowserError::Launch(format!(
            "chromedriver not ready: {last}"
        )))
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.pgid
    }

    async fn wait_ready(&mut self) -> Result<()> {
        for _ in 0..READY_POLLS {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BrowserError::Launch(format!(
                    "chromedriver exited: {status}"
                )));
            }
            if status_ready(self.port).await {
                return Ok(());
            }
            tokio::time::sleep(READY_PAUSE).await;
        }
        Err(BrowserError::Timeout {
            what: "chromedriver readiness".into(),
            after_ms: (READY_PAUSE * READY_POLLS as u32).as_millis() as u64,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Kill the group first so helpers cannot be re-parented and survive; the child itself
        // is also covered by kill_on_drop.
        if let Some(pgid) = self.pgid {
            procs::kill_group(pgid);
        }
        let _ = self.child.start_kill();
    }
}

/// Chromium inherits chromedriver's environment, which [`Confinement::command`] clears down to
/// `PATH`, `HOME` and XDG directories inside the browser's private directory `home` (so
/// teardown finds even the crash handler, and the host's own config stays untouched).
fn spawn(path: &Path, port: u16, home: &Path, confine: &Confinement) -> Result<Driver> {
    let child = confine
        .command(path, home)
        .arg(format!("--port={port}"))
        .arg("--log-level=OFF")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| BrowserError::Launch(format!("{}: {e}", path.display())))?;
    let pgid = child.id();
    Ok(Driver { child, port, pgid })
}

async fn free_port() -> Result<u16> {
    let l = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    Ok(l.local_addr()?.port())
}

/// One `GET /status`; true when chromedriver answers `"ready": true`.
async fn status_ready(port: u16) -> bool {
    let attempt = async {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let req =
            format!("GET /status HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        // Chromedriver may keep the connection open: decide as soon as the flag is seen.
        let mut body = Vec::new();
        let mut chunk = [0u8; 4096];
        while body.len() < 64 * 1024 {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return Some(false);
            }
            body.extend_from_slice(&chunk[..n]);
            let compact: String = String::from_utf8_lossy(&body)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if compact.contains("\"ready\":true") {
                return Some(true);
            }
        }
        Some(false)
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
}
