//! The audit log: append-only JSON lines, one per gate decision. Each record
//! carries the SHA-256 of the previous line, so removing, inserting, altering
//! or reordering a record breaks the chain. Records name targets (dossier
//! numbers, mount paths, origins), never field values, bodies or secrets.
//!
//! The chain alone cannot tell a cut tail from a file that simply ended, so
//! each sync also writes a seal (record count and last hash) twice: into the
//! sidecar `<file>.head`, and into a [`SealStore`] out of the audit file's
//! directory (the runtime uses the journal). What `pont audit verify` makes
//! of them is documented in `audit_verify`.

mod hold;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clip::{AUDIT_TEXT_MAX, clip_owned};
use crate::error::PolicyError;

/// The `prev` of the first record of a file.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the file, from 1.
    pub seq: u64,
    /// RFC 3339 time of the decision.
    pub ts: String,
    pub run: String,
    pub robot: String,
    /// SHA-256 of the plugin component.
    pub plugin: String,
    /// Dossier number of the item being handled, if any.
    pub item: Option<i64>,
    pub capability: String,
    pub action: String,
    pub target: String,
    pub decision: Decision,
    pub reason: Option<String>,
    /// Bytes the call lets out (0 for reads).
    pub bytes: u64,
    /// The person who took the action (a console account), for records of
    /// people's actions; absent from the robots' own gate decisions, whose
    /// lines are therefore byte for byte what they were before the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// SHA-256 (hex) of the previous line, or [`GENESIS_HASH`].
    pub prev: String,
}

/// The fields a decision provides; the log adds seq, time and chain.
#[derive(Debug)]
pub(crate) struct NewRecord<'a> {
    pub run: &'a str,
    pub robot: &'a str,
    pub plugin: &'a str,
    pub item: Option<i64>,
    pub capability: &'static str,
    pub action: String,
    pub target: String,
    pub decision: Decision,
    pub reason: Option<String>,
    pub bytes: u64,
}

/// An action a person took outside any robot's run (a console login, a
/// review retry or dismissal), recorded like a gate decision and naming the
/// person, in the same chain as the robot's decisions.
#[derive(Debug, Clone)]
pub struct PersonAction<'a> {
    /// The account name of the person.
    pub actor: &'a str,
    /// Where the person acted (`console`): the record's `run` and `capability`.
    pub interface: &'static str,
    /// The robot concerned, or empty for an action on no robot (a login).
    pub robot: &'a str,
    /// The dossier acted on, if any.
    pub item: Option<i64>,
    /// `login`, `review.retry`, `review.dismiss`, …
    pub action: &'a str,
    pub target: String,
    /// `Deny` for a refused action (a wrong password).
    pub decision: Decision,
    pub reason: Option<String>,
}

/// SHA-256 (hex) of one line as written, without its newline.
pub fn record_hash(line: &[u8]) -> String {
    hex::encode(Sha256::digest(line))
}

/// An audit file open for appending.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: File,
    last_hash: String,
    seq: u64,
    /// The file's length after this log's last write or catch-up: another
    /// length means someone else appended (see [`AuditLog::locked`]).
    len: u64,
    /// When the file was last synced and sealed (see [`AuditLog::sync_due`]).
    synced_at: Option<std::time::Instant>,
    /// What this log wrote and synced, and the time it took.
    stats: AuditStats,
    /// The second copy of the seal, keyed by the file's canonical path.
    seals: Option<(Box<dyn SealStore>, PathBuf)>,
    /// Keep the file's lock from one record to the next, until the next
    /// seal ([`AuditLog::hold_between_seals`]).
    hold: bool,
    /// This log's id among the logs of its file in this process.
    id: u64,
    /// What the logs of this file in this process share (`audit/hold.rs`).
    share: std::sync::Arc<hold::FileShare>,
}

/// Records appended and seals made by one [`AuditLog`], with the wall time
/// each took (lock, catch-up, hashing, write; sync, head, seal store): the
/// runner's per-item profile reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    pub records: u64,
    pub record_ns: u64,
    pub syncs: u64,
    pub sync_ns: u64,
}

fn elapsed_ns(since: std::time::Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// A record count and the hash of the record at that count: what was sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub seq: u64,
    pub hash: String,
}

/// Where the host keeps a second copy of each seal, out of reach of an edit
/// of the audit file's directory (the runtime's is the journal).
pub trait SealStore: Send + fmt::Debug {
    /// The store's location, written into the head so that `pont audit
    /// verify` finds the second copy without being told.
    fn location(&self) -> &Path;
    /// The seal last stored for the audit file `audit` (a canonical path).
    fn load(&self, audit: &Path) -> Result<Option<Seal>, String>;
    fn store(&self, audit: &Path, seal: &Seal) -> Result<(), String>;
}

impl AuditLog {
    /// Open (or create) the file and continue its chain.
    pub fn open(path: &Path) -> Result<Self, PolicyError> {
        let err = |source| PolicyError::Audit {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        // The length first: a record another writer appends before the last
        // one is read then makes the length stale, so the first append
        // catches up (under the lock) instead of chaining on an old head.
        let len = file.metadata().map_err(err)?.len();
        let (last_hash, seq) = last_record(&mut file).map_err(err)?;
        let share = hold::share_for(&file).map_err(err)?;
        Ok(Self {
            path: path.to_owned(),
            file,
            last_hash,
            seq,
            len,
            synced_at: None,
            stats: AuditStats::default(),
            seals: None,
            hold: false,
            id: hold::next_id(),
            share,
        })
    }

    /// Keep the file's lock from one record to the next and release it only
    /// when sealing ([`AuditLog::sync`], [`AuditLog::sync_due`]): a record
    /// then costs no lock, unlock or length check. For a log that is sealed
    /// often (a run's, by its group commit): another process appending to
    /// the file (a person's decision from the console) waits until then.
    /// Logs of the same file in this process never wait for each other's
    /// hold (see `audit/hold.rs`).
    pub fn hold_between_seals(mut self) -> Self {
        self.hold = true;
        self
    }

    /// Keep every later seal in `store` too. Refuses a file that no longer
    /// reaches the seal `store` already holds for it: appending to a cut file
    /// would otherwise reseal it and hide the cut.
    pub fn with_seal_store(mut self, store: Box<dyn SealStore>) -> Result<Self, PolicyError> {
        let path = self.path.clone();
        let invalid = move |msg: String| PolicyError::Audit {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, msg),
        };
        let key = std::fs::canonicalize(&self.path).map_err(|e| invalid(e.to_string()))?;
        if let Some(seal) = store.load(&key).map_err(&invalid)? {
            // Judged under the file's lock, after catching up: records another
            // writer appended and sealed since `open` are not a cut.
            let data = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
            self.locked(true, |log| log.reaches(&seal).map_err(data))
                .map_err(|e| invalid(e.to_string()))?;
        }
        self.seals = Some((store, key));
        Ok(self)
    }

    /// Whether the file still holds what `seal` sealed, judged from its last
    /// record only (a full check is `pont audit verify`'s job).
    fn reaches(&self, seal: &Seal) -> Result<(), String> {
        let verify = "`pont audit verify` names the damage";
        if self.seq < seal.seq {
            return Err(format!(
                "it has {} records but {} were sealed: its tail was cut ({verify})",
                self.seq, seal.seq
            ));
        }
        if self.seq == seal.seq && self.last_hash != seal.hash {
            return Err(format!("its last sealed record was altered ({verify})"));
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn append(&mut self, r: NewRecord<'_>) -> std::io::Result<()> {
        let started = std::time::Instant::now();
        let out = self.locked(false, |log| log.write_record(r, None));
        self.stats.records += 1;
        self.stats.record_ns += elapsed_ns(started);
        out
    }

    /// What this log has written and sealed so far.
    pub fn stats(&self) -> AuditStats {
        self.stats
    }

    /// Append the record of a person's action (see [`PersonAction`]) and
    /// seal the file at once: a person's actions are few, and each must
    /// survive a crash of the host right after it.
    pub fn record_action(&mut self, a: &PersonAction<'_>) -> std::io::Result<()> {
        let record = NewRecord {
            run: a.interface,
            robot: a.robot,
            plugin: "",
            item: a.item,
            capability: a.interface,
            action: a.action.to_string(),
            target: a.target.clone(),
            decision: a.decision,
            reason: a.reason.clone(),
            bytes: 0,
        };
        self.locked(true, |log| {
            log.write_record(record, Some(a.actor))?;
            log.seal()
        })
    }

    /// Run `f` holding the file's lock, after catching up with records
    /// another appender wrote. Every appender of a file (the run's gate,
    /// the console, in this process or another) goes through here, so the
    /// chain stays one chain: `flock` locks are per open file, so two logs
    /// open on one file in one process exclude each other too. The lock is
    /// released after `f` unless this log holds it between seals and `f`
    /// did not seal (`sealing`); a lock still held from this log's last
    /// record needs no catch-up, nobody having appended since.
    fn locked<T>(
        &mut self,
        sealing: bool,
        f: impl FnOnce(&mut Self) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let share = self.share.clone();
        let mut holder = share.holder();
        let ours = holder.as_ref().is_some_and(|h| h.id == self.id);
        if !ours {
            // Another log of this process holding the file between records
            // gives its hold up rather than make this one wait for its seal.
            if let Some(other) = holder.take() {
                let _ = other.file.unlock();
            }
            self.file.lock()?;
            if let Err(e) = self.catch_up() {
                let _ = self.file.unlock();
                return Err(e);
            }
        }
        let out = f(self);
        if self.hold && !sealing && out.is_ok() {
            if !ours {
                match self.file.try_clone() {
                    Ok(file) => *holder = Some(hold::Holder { id: self.id, file }),
                    Err(_) => *holder = None,
                }
            }
            if holder.is_some() {
                return out;
            }
        }
        *holder = None;
        let unlocked = self.file.unlock();
        let out = out?;
        unlocked.map(|()| out)
    }

    /// Take the last record of the file as ours to chain on when the file
    /// changed length since this log last wrote it.
    fn catch_up(&mut self) -> std::io::Result<()> {
        let len = self.file.metadata()?.len();
        if len != self.len {
            (self.last_hash, self.seq) = last_record(&mut self.file)?;
            self.len = len;
        }
        Ok(())
    }

    fn write_record(&mut self, r: NewRecord<'_>, actor: Option<&str>) -> std::io::Result<()> {
        let record = AuditRecord {
            seq: self.seq + 1,
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            run: r.run.to_string(),
            robot: r.robot.to_string(),
            plugin: r.plugin.to_string(),
            item: r.item,
            capability: r.capability.to_string(),
            // Robot-chosen text is bounded here, the one place records are made.
            action: clip_owned(r.action, AUDIT_TEXT_MAX),
            target: clip_owned(r.target, AUDIT_TEXT_MAX),
            decision: r.decision,
            reason: r.reason.map(|t| clip_owned(t, AUDIT_TEXT_MAX)),
            bytes: r.bytes,
            actor: actor.map(|a| clip_owned(a.to_string(), AUDIT_TEXT_MAX)),
            prev: self.last_hash.clone(),
        };
        let mut line = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        let hash = record_hash(&line);
        line.push(b'\n');
        // One write per record, so a record is never interleaved with another.
        self.file.write_all(&line)?;
        self.last_hash = hash;
        self.seq += 1;
        self.len += line.len() as u64;
        Ok(())
    }

    /// Force what was written to stable storage and seal it: the sidecar
    /// `<file>.head` and the seal store hold the last seq and hash, so
    /// removing or altering the last records is detected too. The head is
    /// written first, so a crash in between leaves the store behind the head,
    /// never ahead of it (which verification reads as a rolled-back head).
    pub fn sync(&mut self) -> std::io::Result<()> {
        let started = std::time::Instant::now();
        let out = self.locked(true, Self::seal);
        self.stats.syncs += 1;
        self.stats.sync_ns += elapsed_ns(started);
        out
    }

    /// [`AuditLog::sync`]'s work, with the file's lock held, so the seal
    /// written is that of the file's real end, whoever appended last.
    fn seal(&mut self) -> std::io::Result<()> {
        self.synced_at = Some(std::time::Instant::now());
        self.file.sync_data()?;
        let seal = Seal {
            seq: self.seq,
            hash: self.last_hash.clone(),
        };
        let head = Head {
            seq: seal.seq,
            hash: seal.hash.clone(),
            journal: self.seals.as_ref().map(|(s, _)| s.location().to_owned()),
        };
        let path = head_path(&self.path);
        let tmp = path.with_extension("head.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(&head).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &path)?;
        match &self.seals {
            Some((store, key)) => store.store(key, &seal).map_err(std::io::Error::other),
            None => Ok(()),
        }
    }
}

impl Drop for AuditLog {
    /// A hold ends with the log (closing the file alone would not release
    /// the lock: the holder slot keeps a copy of the handle).
    fn drop(&mut self) {
        let mut holder = self.share.holder();
        if holder.as_ref().is_some_and(|h| h.id == self.id)
            && let Some(h) = holder.take()
        {
            let _ = h.file.unlock();
        }
    }
}

impl AuditLog {
    /// Sync and seal unless that was done less than `every` ago: group commit
    /// for runs of many short items, where a sync per item would cost more than
    /// the item. Records are written to the file at once either way, so a
    /// crashed process loses none; only a power cut could lose the last
    /// `every` of records, which `pont audit verify` then shows as an unsealed
    /// or truncated tail. The run's end always syncs.
    pub fn sync_due(&mut self, every: std::time::Duration) -> std::io::Result<()> {
        match self.synced_at {
            Some(at) if at.elapsed() < every => Ok(()),
            _ => self.sync(),
        }
    }
}

/// The content of `<file>.head`. Every field is required, `journal`
/// included (null when the log had no seal store), so a head written from
/// scratch without knowing the format reads as garbled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
    #[serde(deserialize_with = "required")]
    pub journal: Option<PathBuf>,
}

/// An `Option` field that must be present, even as null (serde would
/// otherwise take a missing one for `None`).
fn required<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
    Option::deserialize(d)
}

impl Head {
    pub(crate) fn seal(&self) -> Seal {
        Seal {
            seq: self.seq,
            hash: self.hash.clone(),
        }
    }
}

/// Where the head of an audit file is kept.
pub fn head_path(audit: &Path) -> PathBuf {
    let mut name = audit.file_name().unwrap_or_default().to_os_string();
    name.push(".head");
    audit.with_file_name(name)
}

/// Hash and seq of the last complete record, reading only the file's tail.
fn last_record(file: &mut File) -> std::io::Result<(String, u64)> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok((GENESIS_HASH.to_string(), 0));
    }
    let mut start = len.saturating_sub(64 * 1024);
    loop {
        file.seek(SeekFrom::Start(start))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail)?;
        let body = tail.strip_suffix(b"\n").unwrap_or(&tail);
        match body.iter().rposition(|b| *b == b'\n') {
            Some(i) => return parse_last(&body[i + 1..]),
            None if start == 0 => return parse_last(body),
            None => start = start.saturating_sub(1024 * 1024),
        }
    }
}

fn parse_last(line: &[u8]) -> std::io::Result<(String, u64)> {
    let record: AuditRecord = serde_json::from_slice(line).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("its last record is not a valid audit record ({e})"),
        )
    })?;
    Ok((record_hash(line), record.seq))
}

/// Read every record of a file (for tests and tools).
pub fn read_records(path: &Path) -> std::io::Result<Vec<AuditRecord>> {
    let file = File::open(path)?;
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        out.push(serde_json::from_str(&line).map_err(std::io::Error::other)?);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests;
