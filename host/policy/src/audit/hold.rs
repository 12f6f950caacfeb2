//! Holding an audit file's lock from one record to the next, until the next
//! seal (see [`AuditLog::hold_between_seals`](super::AuditLog::hold_between_seals)).
//!
//! Taking the `flock`, checking the file's length and releasing it costs
//! three system calls per record; a run that holds the lock between seals
//! pays them once per seal instead, and needs no length check in between:
//! nobody else can have appended.
//!
//! Other processes (the console of another `pont serve`, `pont review`)
//! wait in `flock` until the holder's next seal, which the run's group
//! commit makes at least every few hundred milliseconds. Appenders of the
//! same file *in this process* must not wait for that: the seal is made by
//! a task of the same runtime, which the waiting threads could starve. So
//! every [`AuditLog`](super::AuditLog) of a file in this process shares one
//! [`FileShare`]: its mutex is taken around each record, and an appender
//! that finds another log of the process holding the file takes the hold
//! from it (releasing its lock through a copy of its file handle, which
//! shares the lock) instead of waiting; the other log catches up with the
//! file before its next record, as after any other appender.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

/// What the logs of one file in this process share.
#[derive(Debug, Default)]
pub(super) struct FileShare {
    /// The log of this process holding the file's lock between records.
    holder: Mutex<Option<Holder>>,
}

/// A log holding the lock: its id, and a copy of its handle (`flock` locks
/// belong to the open file, so unlocking the copy releases the log's lock).
#[derive(Debug)]
pub(super) struct Holder {
    pub id: u64,
    pub file: File,
}

/// The file's identity: device and inode.
type Key = (u64, u64);

static SHARES: Mutex<Vec<(Key, Weak<FileShare>)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for a log.
pub(super) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// The share of the file `file` is open on, made if no other log of this
/// process has it open.
pub(super) fn share_for(file: &File) -> std::io::Result<Arc<FileShare>> {
    let meta = file.metadata()?;
    let key = (meta.dev(), meta.ino());
    let mut shares = SHARES.lock().unwrap_or_else(PoisonError::into_inner);
    shares.retain(|(_, w)| w.strong_count() > 0);
    if let Some(share) = shares
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, w)| w.upgrade())
    {
        return Ok(share);
    }
    let share = Arc::new(FileShare::default());
    shares.push((key, Arc::downgrade(&share)));
    Ok(share)
}

impl FileShare {
    /// The holder slot, taken around each record and seal.
    pub fn holder(&self) -> MutexGuard<'_, Option<Holder>> {
        self.holder.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
