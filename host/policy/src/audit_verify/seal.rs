//! The end of an audit file held against its seals: the head beside it and
//! the copy in the journal.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{Break, Intact, Line};
use crate::audit::{Head, Seal};

/// Reads the journal's copy of a seal. The runtime implements it over the
/// SQLite journal; this crate has no database.
pub trait SealBook {
    /// The seal the journal at `journal` holds for the audit file `audit`
    /// (a canonical path), `None` if it holds none.
    fn seal(&self, journal: &Path, audit: &Path) -> Result<Option<Seal>, String>;
}

/// The journal consulted, and the seal it holds for the file.
pub(super) struct Witness {
    journal: PathBuf,
    seal: Option<Seal>,
}

/// Read the journal's seal: from `journal` if given, else from the journal
/// the head names; `None` when neither names one.
pub(super) fn witness(
    path: &Path,
    journal: Option<&Path>,
    head: Option<&Head>,
    book: &dyn SealBook,
) -> Result<Option<Witness>, Break> {
    let Some(journal) = journal.or(head.and_then(|h| h.journal.as_deref())) else {
        return Ok(None);
    };
    let key = std::fs::canonicalize(path)
        .map_err(|e| Break::Unreadable(format!("{}: {e}", path.display())))?;
    let seal = book
        .seal(journal, &key)
        .map_err(|e| Break::JournalUnreadable(format!("{}: {e}", journal.display())))?;
    Ok(Some(Witness {
        journal: journal.to_owned(),
        seal,
    }))
}

/// Hold an unbroken chain against the journal's seal, then the head's, then
/// the two against each other.
pub(super) fn check(
    lines: &[Line],
    head: Option<&Head>,
    witness: Option<Witness>,
) -> Result<Intact, Break> {
    if let Some(seal) = witness.as_ref().and_then(|w| w.seal.as_ref()) {
        holds(lines, seal)?;
    }
    if let Some(head) = head {
        holds(lines, &head.seal())?;
    }
    let records = lines.len() as u64;
    let sealed = match (head, &witness) {
        (Some(head), Some(w)) => agree(head, w).map(|()| head.seq)?,
        (Some(head), None) => head.seq,
        (None, _) if records == 0 => 0,
        // Given the journal, which never sealed this file: a host that
        // stopped before its first seal.
        (None, Some(Witness { seal: None, .. })) => 0,
        (None, w) => {
            return Err(Break::SealMissing {
                records,
                sealed: w.as_ref().and_then(|w| w.seal.as_ref()).map(|s| s.seq),
            });
        }
    };
    Ok(Intact {
        records,
        sealed: head.is_some() && sealed == records,
        unsealed_tail: records - sealed,
        journal: witness.map(|w| w.journal),
    })
}

/// Whether the file still holds what `seal` sealed.
fn holds(lines: &[Line], seal: &Seal) -> Result<(), Break> {
    let records = lines.len() as u64;
    if seal.seq > records {
        return Err(Break::Removed {
            seq: records + 1,
            before_line: lines.len() + 1,
        });
    }
    let at = seal.seq as usize;
    if at > 0 && lines[at - 1].hash != seal.hash {
        return Err(Break::Altered {
            line: at,
            seq: Some(seal.seq),
        });
    }
    Ok(())
}

/// The head is written before the journal at each seal, so it is never
/// behind it, and never seals what the journal does not know.
fn agree(head: &Head, w: &Witness) -> Result<(), Break> {
    match &w.seal {
        None => Err(Break::NotInJournal {
            journal: w.journal.clone(),
        }),
        Some(s) if s.seq > head.seq => Err(Break::HeadBehind {
            head: head.seq,
            journal: s.seq,
        }),
        Some(_) => Ok(()),
    }
}

/// The message of a break between the file and its seals.
pub(super) fn describe(b: &Break, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match b {
        Break::SealMissing {
            records,
            sealed: Some(s),
        } => write!(
            f,
            "its head (the seal) is missing, though the journal sealed {s} of its {records} records: the head was deleted"
        ),
        Break::SealMissing {
            records,
            sealed: None,
        } => write!(
            f,
            "its head (the seal) is missing but it has {records} records: the head was deleted, or the host stopped during the file's first item (`--config` tells which)"
        ),
        Break::HeadGarbled(e) => write!(f, "its head is not a valid seal ({e})"),
        Break::NotInJournal { journal } => write!(
            f,
            "its head seals records that the journal {} never sealed: the head was rewritten, or that is not this file's journal",
            journal.display()
        ),
        Break::HeadBehind { head, journal } => write!(
            f,
            "its head seals {head} records but the journal sealed {journal}: the head was rewritten"
        ),
        Break::JournalUnreadable(e) => write!(f, "cannot read the journal's seal: {e}"),
        Break::Unreadable(e) => write!(f, "cannot read the audit file: {e}"),
        other => write!(f, "{other:?}"),
    }
}

#[cfg(test)]
mod tests;
