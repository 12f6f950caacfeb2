//! `pont audit verify`: walk the hash chain of an audit file, name the first
//! record that was altered, removed, inserted or reordered, and hold the
//! file's end against its seals.
//!
//! # What is detected
//!
//! - Any change to a record's bytes, a removed, inserted, duplicated or
//!   moved record anywhere before the last one: the hash chain breaks there.
//! - A cut tail, when a seal survives that counts more records than the file
//!   has, or whose hash is not that of the record at its count: the head
//!   `<file>.head`, or the copy the host keeps in the journal (see
//!   `AuditLog::with_seal_store`). Cutting the tail and deleting the head, or
//!   rewriting the head to match the cut file, is caught by the journal copy.
//! - A missing head while the file has records: every run seals at its end
//!   and after its first item, so this means the head was deleted. (Only a
//!   host killed during the first item ever written to the file leaves
//!   records without a head; given the journal, which then holds no seal
//!   either, that case verifies as an unsealed tail.)
//! - A head that is not a valid seal (garbled, or written without its
//!   `journal` field), a head that claims a seal the journal does not hold,
//!   or a head behind the journal's seal (rolled back).
//! - A journal named by the head that cannot be read (deleted or moved).
//!
//! # What is not detected
//!
//! - Records appended after the last seal and then removed: the host writes
//!   records at once but seals at most every few seconds and at the end of
//!   the run, so a cut inside the unsealed tail looks like a host that
//!   stopped early (it is reported as records after the last seal).
//! - Without the journal (`verify_audit`, or a head whose `journal` is null
//!   and no journal given): a head rewritten consistently with a cut file,
//!   and an emptied file whose head was deleted.
//! - An edit that rewrites the head consistently *and* points its `journal`
//!   elsewhere or to null, unless the journal is given explicitly (`pont
//!   audit verify --config`), which is the check to rely on.
//! - Someone who rewrites the file, its head and the journal's row together
//!   (or who replaces the journal): neither copy is signed. The seals stop a
//!   casual edit of the log directory, not an attacker who owns the host.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::audit::{AuditRecord, GENESIS_HASH, Head, head_path, record_hash};

mod seal;

pub use seal::SealBook;

/// An intact file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub records: u64,
    /// Whether the last record matches the sealed head (`<file>.head`).
    pub sealed: bool,
    /// Records written after the last seal (a run that did not end cleanly).
    pub unsealed_tail: u64,
    /// The journal whose copy of the seal was checked too, if any.
    pub journal: Option<PathBuf>,
}

/// The first break in the chain, or between the file and its seals. Lines
/// are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    Altered {
        line: usize,
        seq: Option<u64>,
    },
    Removed {
        seq: u64,
        before_line: usize,
    },
    Inserted {
        line: usize,
    },
    Reordered {
        seq: u64,
        line: usize,
    },
    /// The file has records but no head; `sealed` is what the journal sealed.
    SealMissing {
        records: u64,
        sealed: Option<u64>,
    },
    /// The head exists but is not a seal.
    HeadGarbled(String),
    /// The head seals records the journal never sealed.
    NotInJournal {
        journal: PathBuf,
    },
    /// The head seals fewer records than the journal did.
    HeadBehind {
        head: u64,
        journal: u64,
    },
    /// The journal holding the second seal cannot be read.
    JournalUnreadable(String),
    Unreadable(String),
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { line, seq: Some(s) } => {
                write!(f, "record {s} (line {line}) was altered")
            }
            Self::Altered { line, seq: None } => write!(f, "the record at line {line} was altered"),
            Self::Removed { seq, before_line } => {
                write!(f, "record {seq} was removed (before line {before_line})")
            }
            Self::Inserted { line } => write!(f, "the record at line {line} was inserted"),
            Self::Reordered { seq, line } => {
                write!(f, "record {seq} was moved (found at line {line})")
            }
            other => seal::describe(other, f),
        }
    }
}

struct Line {
    hash: String,
    record: Option<AuditRecord>,
}

impl Line {
    fn seq(&self) -> Option<u64> {
        self.record.as_ref().map(|r| r.seq)
    }

    fn prev(&self) -> Option<&str> {
        self.record.as_ref().map(|r| r.prev.as_str())
    }
}

/// Verify an audit file against its chain and its head only.
pub fn verify_audit(path: &Path) -> Result<Intact, Break> {
    verify_audit_with(path, None, None)
}

/// Verify an audit file against its chain, its head and the journal's copy
/// of the seal: the journal `journal`, or else the one the head names, read
/// through `book` (without a book, the head alone).
pub fn verify_audit_with(
    path: &Path,
    journal: Option<&Path>,
    book: Option<&dyn SealBook>,
) -> Result<Intact, Break> {
    let lines = read_lines(path)?;
    let head = read_head(path);
    let chain_head = head.as_ref().ok().and_then(Option::as_ref);
    if let Some(b) = first_break(&lines, chain_head) {
        return Err(b);
    }
    let head = head?;
    let witness = match book {
        Some(book) => seal::witness(path, journal, head.as_ref(), book)?,
        None => None,
    };
    seal::check(&lines, head.as_ref(), witness)
}

fn read_lines(path: &Path) -> Result<Vec<Line>, Break> {
    let text =
        std::fs::read(path).map_err(|e| Break::Unreadable(format!("{}: {e}", path.display())))?;
    Ok(text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Line {
            hash: record_hash(l),
            record: serde_json::from_slice(l).ok(),
        })
        .collect())
}

/// The head, `None` when there is none; an unreadable one is a break.
fn read_head(path: &Path) -> Result<Option<Head>, Break> {
    let head = head_path(path);
    match std::fs::read(&head) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Break::HeadGarbled(format!("{}: {e}", head.display()))),
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Break::HeadGarbled(format!("{}: {e}", head.display()))),
    }
}

fn expected_at(lines: &[Line], i: usize) -> (u64, &str) {
    if i == 0 {
        (1, GENESIS_HASH)
    } else {
        (
            lines[i - 1].seq().unwrap_or(0) + 1,
            lines[i - 1].hash.as_str(),
        )
    }
}

fn first_break(lines: &[Line], head: Option<&Head>) -> Option<Break> {
    for i in 0..lines.len() {
        let (seq, prev) = expected_at(lines, i);
        let line = &lines[i];
        if line.record.is_none() {
            return Some(Break::Altered {
                line: i + 1,
                seq: None,
            });
        }
        let seq_ok = line.seq() == Some(seq);
        let prev_ok = line.prev() == Some(prev);
        if seq_ok && prev_ok {
            continue;
        }
        return Some(classify(lines, i, seq, prev, seq_ok, prev_ok, head));
    }
    None
}

fn classify(
    lines: &[Line],
    i: usize,
    seq: u64,
    prev: &str,
    seq_ok: bool,
    prev_ok: bool,
    head: Option<&Head>,
) -> Break {
    let line = i + 1;
    if prev_ok {
        // The chain holds but the seq field does not: this record was edited.
        return Break::Altered {
            line,
            seq: lines[i].seq(),
        };
    }
    let next = lines.get(i + 1);
    // Skipping this line, does the chain go on as if it were not there?
    let rest_chains = match lines.get(i + 2) {
        Some(after) => next.is_some_and(|n| after.prev() == Some(n.hash.as_str())),
        None => head.is_none_or(|h| next.is_some_and(|n| h.hash == n.hash)),
    };
    if rest_chains && next.is_some_and(|n| n.prev() == Some(prev) && n.seq() == Some(seq)) {
        return Break::Inserted { line };
    }
    if lines[i].seq().is_some_and(|s| s < seq) {
        // A record past the end of the chain, or one whose seq was already used.
        return Break::Inserted { line };
    }
    if seq_ok {
        // Either the previous record changed (its hash moved) or this one did.
        let this_intact = match next {
            Some(n) => n.prev() == Some(lines[i].hash.as_str()),
            None => head.is_some_and(|h| h.hash == lines[i].hash),
        };
        return if this_intact && i > 0 {
            Break::Altered {
                line: i,
                seq: lines[i - 1].seq(),
            }
        } else {
            Break::Altered {
                line,
                seq: lines[i].seq(),
            }
        };
    }
    match lines.iter().skip(i + 1).position(|l| l.seq() == Some(seq)) {
        Some(k) => Break::Reordered {
            seq,
            line: i + 2 + k,
        },
        None => Break::Removed {
            seq,
            before_line: line,
        },
    }
}

#[cfg(test)]
mod tests;
