//! `pont audit verify`: walk the hash chain of an audit file and name the
//! first record that was altered, removed, inserted or reordered.

use std::fmt;
use std::path::Path;

use crate::audit::{AuditRecord, GENESIS_HASH, Head, head_path, record_hash};

/// An intact file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub records: u64,
    /// Whether the last record matches the sealed head (`<file>.head`).
    pub sealed: bool,
    /// Records written after the last seal (a run that did not end cleanly).
    pub unsealed_tail: u64,
}

/// The first break in the chain. Lines are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    Altered { line: usize, seq: Option<u64> },
    Removed { seq: u64, before_line: usize },
    Inserted { line: usize },
    Reordered { seq: u64, line: usize },
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
            Self::Unreadable(e) => write!(f, "cannot read the audit file: {e}"),
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

/// Verify an audit file (and its head, when present).
pub fn verify_audit(path: &Path) -> Result<Intact, Break> {
    let text =
        std::fs::read(path).map_err(|e| Break::Unreadable(format!("{}: {e}", path.display())))?;
    let lines: Vec<Line> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| Line {
            hash: record_hash(l),
            record: serde_json::from_slice(l).ok(),
        })
        .collect();
    let head: Option<Head> = std::fs::read(head_path(path))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(b) = first_break(&lines, head.as_ref()) {
        return Err(b);
    }
    check_head(&lines, head.as_ref())
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

fn check_head(lines: &[Line], head: Option<&Head>) -> Result<Intact, Break> {
    let records = lines.len() as u64;
    let Some(head) = head else {
        return Ok(Intact {
            records,
            sealed: false,
            unsealed_tail: records,
        });
    };
    if head.seq > records {
        return Err(Break::Removed {
            seq: records + 1,
            before_line: lines.len() + 1,
        });
    }
    let sealed_index = head.seq as usize;
    if sealed_index > 0 && lines[sealed_index - 1].hash != head.hash {
        return Err(Break::Altered {
            line: sealed_index,
            seq: Some(head.seq),
        });
    }
    Ok(Intact {
        records,
        sealed: head.seq == records,
        unsealed_tail: records - head.seq,
    })
}

#[cfg(test)]
mod tests;
