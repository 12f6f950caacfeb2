//! One DS budget per token across the processes of a machine: a small file
//! holding a [`Ledger`], read and rewritten under an exclusive file lock.
//!
//! DS counts requests per token, whoever sends them; two `pont run` on one
//! token must therefore draw from one budget. The file is named by a hash
//! of the token (never the token itself) and lives in a private directory
//! (the cache directory, or beside the journal). The lock is held for the
//! few microseconds of a read and a write, never while waiting for a slot,
//! and it is waited for at most [`LOCK_WAIT`]. A file that does not parse
//! or fails its checksum (a crash mid-write, a stray edit) is reported on
//! one line and rebuilt.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::ledger::{Ledger, MAX_FILE_BYTES};

/// Longest wait for another process to release the file.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The shared budget file could not be used; nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("DS budget file {path}: {message}")]
pub struct BudgetError {
    path: String,
    message: String,
}

/// An open budget file.
#[derive(Debug)]
pub(crate) struct BudgetFile {
    path: PathBuf,
    file: File,
}

impl BudgetFile {
    /// The file of `token` in `dir` (created private if missing).
    pub(crate) fn open(dir: &Path, token: &str) -> Result<Self, BudgetError> {
        let path = dir.join(file_name(token));
        let fail = |what: &str, e: std::io::Error| BudgetError {
            path: path.display().to_string(),
            message: format!("{what}: {e}"),
        };
        create_private_dir(dir).map_err(|e| fail("cannot create its directory", e))?;
        let file = open_private(&path).map_err(|e| fail("cannot open it", e))?;
        Ok(Self { path, file })
    }

    #[cfg(test)]
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the ledger (with the time now, in ms since the epoch)
    /// under the exclusive lock, and writes the result back.
    pub(crate) async fn update<T>(
        &mut self,
        f: impl FnOnce(&mut Ledger, u64) -> T,
    ) -> Result<T, BudgetError> {
        self.lock().await?;
        let result = self.read_modify_write(f);
        // Closing would release it too; an unlock error leaves nothing to do.
        let _ = self.file.unlock();
        result
    }

    /// Takes the lock, polling so that the wait stays bounded (a process
    /// stopped while holding it must not stall every other one).
    async fn lock(&self) -> Result<(), BudgetError> {
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            match self.file.try_lock() {
                Ok(()) => return Ok(()),
                Err(TryLockError::WouldBlock) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(20));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(self.error(format!(
                        "locked by another process for more than {} s",
                        LOCK_WAIT.as_secs()
                    )));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(self.error(format!("cannot lock it: {e}")));
                }
            }
        }
    }

    fn read_modify_write<T>(
        &mut self,
        f: impl FnOnce(&mut Ledger, u64) -> T,
    ) -> Result<T, BudgetError> {
        let now = now_ms();
        let mut ledger = self.read(now)?;
        let out = f(&mut ledger, now);
        let text = ledger.render();
        let written = self
            .file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(text.as_bytes()))
            .and_then(|()| self.file.set_len(text.len() as u64));
        written.map_err(|e| self.error(format!("cannot write it: {e}")))?;
        Ok(out)
    }

    /// The ledger in the file: empty for a new file, rebuilt (empty) for a
    /// damaged one, which is reported.
    fn read(&mut self, now: u64) -> Result<Ledger, BudgetError> {
        let mut bytes = Vec::new();
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| {
                (&self.file)
                    .take(MAX_FILE_BYTES + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| self.error(format!("cannot read it: {e}")))?;
        if bytes.is_empty() {
            return Ok(Ledger::default());
        }
        let parsed = match std::str::from_utf8(&bytes) {
            _ if bytes.len() as u64 > MAX_FILE_BYTES => Err(format!("over {MAX_FILE_BYTES} bytes")),
            Ok(text) => Ledger::parse(text, now),
            Err(_) => Err("not text".to_string()),
        };
        Ok(parsed.unwrap_or_else(|why| {
            tracing::warn!(
                "{}",
                self.error(format!(
                    "is corrupt ({why}); rebuilt it, its recent requests forgotten"
                ))
            );
            Ledger::default()
        }))
    }

    fn error(&self, message: String) -> BudgetError {
        BudgetError {
            path: self.path.display().to_string(),
            message,
        }
    }
}

/// `ds-budget-<hash>`: the first 16 bytes of the SHA-256 of the token, in
/// hex. The hash names the file; it cannot give the token back.
pub(crate) fn file_name(token: &str) -> String {
    let digest = Sha256::digest(format!("pont-ds-budget\n{token}").as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("ds-budget-{hex}")
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_hides_the_token() {
        let name = file_name("sandbox-rw-all");
        assert!(name.starts_with("ds-budget-") && name.len() == 10 + 32);
        assert!(!name.contains("sandbox"));
        assert_ne!(name, file_name("sandbox-ro-all"));
    }

    #[tokio::test]
    async fn two_handles_on_one_file_share_its_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = BudgetFile::open(dir.path(), "t").unwrap();
        let mut b = BudgetFile::open(dir.path(), "t").unwrap();
        let window = 60_000;
        let first = a.update(|l, now| l.reserve(now, 2, window)).await.unwrap();
        b.update(|l, now| l.reserve(now, 2, window)).await.unwrap();
        let third = a.update(|l, now| l.reserve(now, 2, window)).await.unwrap();
        assert!(third >= first + window, "the third start waits a window");
    }

    #[tokio::test]
    async fn a_held_lock_is_waited_for_a_bounded_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = BudgetFile::open(dir.path(), "t").unwrap();
        let holder = File::open(a.path()).unwrap();
        holder.lock().unwrap();
        let started = std::time::Instant::now();
        let err = a.update(|_, _| ()).await.unwrap_err();
        assert!(
            err.to_string().contains("locked by another process"),
            "{err}"
        );
        assert!(started.elapsed() < LOCK_WAIT + Duration::from_secs(1));
        holder.unlock().unwrap();
        a.update(|_, _| ()).await.unwrap();
    }

    #[tokio::test]
    async fn a_corrupt_file_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = BudgetFile::open(dir.path(), "t").unwrap();
        std::fs::write(a.path(), "pont-ds-budget 1\nkeep x\n").unwrap();
        let at = a
            .update(|l, now| (l.reserve(now, 5, 1_000), now))
            .await
            .unwrap();
        assert_eq!(at.0, at.1, "an empty budget starts at once");
        let text = std::fs::read_to_string(a.path()).unwrap();
        assert!(
            Ledger::parse(&text, at.1).is_ok(),
            "rewritten whole: {text}"
        );
    }
}
