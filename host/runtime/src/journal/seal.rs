//! The journal's copy of each audit file's seal (record count and last
//! hash). The head beside the audit file can be deleted or rewritten by
//! anyone who can edit the log directory; this copy lives in the journal's
//! SQLite file, elsewhere, so a cut tail still shows when the head is gone.

use std::path::{Path, PathBuf};

use pont_policy::{Seal, SealBook, SealStore};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{Journal, now};

/// The seal stored for `audit` (a canonical path), if any.
fn read(conn: &Connection, audit: &Path) -> rusqlite::Result<Option<Seal>> {
    conn.query_row(
        "SELECT seq, hash FROM audit_seals WHERE audit = ?1",
        [audit.to_string_lossy()],
        |r| {
            Ok(Seal {
                seq: r.get::<_, i64>(0)?.max(0) as u64,
                hash: r.get(1)?,
            })
        },
    )
    .optional()
}

impl Journal {
    pub fn audit_seal(&self, audit: &Path) -> rusqlite::Result<Option<Seal>> {
        read(&self.conn(), audit)
    }

    pub fn set_audit_seal(&self, audit: &Path, seal: &Seal) -> rusqlite::Result<()> {
        self.conn().execute(
            "INSERT INTO audit_seals (audit, seq, hash, sealed_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (audit) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, sealed_at = excluded.sealed_at",
            params![audit.to_string_lossy(), seal.seq as i64, seal.hash, now()],
        )?;
        Ok(())
    }

    /// This journal as the audit log's seal store; `path` is where it lives
    /// (written into the audit head, so made absolute).
    pub fn seal_store(&self, path: &Path) -> JournalSeals {
        JournalSeals {
            journal: self.clone(),
            location: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
        }
    }
}

/// The journal keeping the audit log's seals during a run.
#[derive(Debug)]
pub struct JournalSeals {
    journal: Journal,
    location: PathBuf,
}

impl SealStore for JournalSeals {
    fn location(&self) -> &Path {
        &self.location
    }

    fn load(&self, audit: &Path) -> Result<Option<Seal>, String> {
        self.journal.audit_seal(audit).map_err(|e| e.to_string())
    }

    fn store(&self, audit: &Path, seal: &Seal) -> Result<(), String> {
        self.journal
            .set_audit_seal(audit, seal)
            .map_err(|e| format!("journal: {e}"))
    }
}

/// Reads seals for `pont audit verify`: opens the journal read-only, never
/// creates or migrates it. A journal older than the seal table holds none.
#[derive(Debug, Default)]
pub struct JournalSealBook;

impl SealBook for JournalSealBook {
    fn seal(&self, journal: &Path, audit: &Path) -> Result<Option<Seal>, String> {
        if !journal.is_file() {
            return Err("no such journal".into());
        }
        let conn = Connection::open_with_flags(journal, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| e.to_string())?;
        let has_table: bool = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'audit_seals'",
                [],
                |r| r.get::<_, i64>(0).map(|n| n > 0),
            )
            .map_err(|e| e.to_string())?;
        if !has_table {
            return Ok(None);
        }
        read(&conn, audit).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(seq: u64) -> Seal {
        Seal {
            seq,
            hash: format!("{seq:064x}"),
        }
    }

    #[test]
    fn an_older_journal_gains_the_seal_table_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            for step in &super::super::schema::MIGRATIONS[..3] {
                c.execute_batch(step).unwrap();
            }
            c.pragma_update(None, "user_version", 3).unwrap();
            c.execute_batch("INSERT INTO state VALUES ('r', 'k', x'01', 'now')")
                .unwrap();
        }
        let audit = Path::new("/var/log/pont/a.jsonl");
        // Before the upgrade the book finds no table, hence no seal.
        assert_eq!(JournalSealBook.seal(&path, audit).unwrap(), None);
        let j = Journal::open(&path).unwrap();
        let get = pont_policy::Action::StateGet { key: "k" };
        let get = super::super::state_limits::test_permit(dir.path(), &get);
        assert_eq!(j.state_get(&get, "r").unwrap().as_deref(), Some(&[1u8][..]));
        j.set_audit_seal(audit, &seal(3)).unwrap();
        j.set_audit_seal(audit, &seal(7)).unwrap();
        assert_eq!(j.audit_seal(audit).unwrap(), Some(seal(7)));
        assert_eq!(JournalSealBook.seal(&path, audit).unwrap(), Some(seal(7)));
        let other = Path::new("/var/log/pont/b.jsonl");
        assert_eq!(JournalSealBook.seal(&path, other).unwrap(), None);
    }

    #[test]
    fn the_book_neither_creates_nor_misreads_a_journal() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.sqlite");
        assert!(JournalSealBook.seal(&missing, Path::new("/a")).is_err());
        assert!(!missing.exists());
        let junk = dir.path().join("junk.sqlite");
        std::fs::write(&junk, b"not a database, just text").unwrap();
        assert!(JournalSealBook.seal(&junk, Path::new("/a")).is_err());
    }
}
