//! Waiting for a finished download in a session's spool directory. Chromium writes
//! `*.crdownload` (before that, a hidden `.org.chromium.Chromium.*` or `.com.google.Chrome.*`
//! temp file) and renames it when complete, so a file is finished when it has its final name
//! and no partial or hidden file remains.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{BrowserError, Result};
use crate::session::POLL;

fn is_partial(name: &str) -> bool {
    name.ends_with(".crdownload") || name.starts_with('.')
}

/// Finished files not yet handed out, oldest first; `None` while a download is in progress.
fn scan(dir: &Path, taken: &HashSet<PathBuf>) -> Result<Option<Vec<PathBuf>>> {
    let mut done: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_partial(&name) {
            return Ok(None);
        }
        let meta = entry.metadata()?;
        let path = entry.path();
        if meta.is_file() && !taken.contains(&path) {
            done.push((meta.modified().unwrap_or(SystemTime::UNIX_EPOCH), path));
        }
    }
    done.sort();
    Ok(Some(done.into_iter().map(|(_, p)| p).collect()))
}

/// Polls `dir` until a new finished file appears, bounded by `timeout`.
pub(crate) async fn wait_for_new(
    dir: &Path,
    taken: &Mutex<HashSet<PathBuf>>,
    timeout: Duration,
) -> Result<PathBuf> {
    let start = Instant::now();
    let rounds = timeout.as_millis() / POLL.as_millis() + 2;
    for _ in 0..rounds {
        {
            let mut taken = taken.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(first) = scan(dir, &taken)?.and_then(|v| v.into_iter().next()) {
                taken.insert(first.clone());
                return Ok(first);
            }
        }
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        tokio::time::sleep(POLL.min(left)).await;
    }
    Err(BrowserError::Timeout {
        what: "a download".into(),
        after_ms: timeout.as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_for_partial_then_returns_once() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let taken = Mutex::new(HashSet::new());
        std::fs::write(dir.path().join("a.pdf.crdownload"), b"x").unwrap_or_else(|e| panic!("{e}"));
        let short = Duration::from_millis(150);
        assert!(wait_for_new(dir.path(), &taken, short).await.is_err());
        std::fs::rename(
            dir.path().join("a.pdf.crdownload"),
            dir.path().join("a.pdf"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let got = wait_for_new(dir.path(), &taken, short)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(got.ends_with("a.pdf"));
        assert!(wait_for_new(dir.path(), &taken, short).await.is_err());
    }
}
