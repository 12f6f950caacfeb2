//! The seals against cut tails, deleted, garbled and rewritten heads, with
//! an in-memory journal standing in for the runtime's SQLite one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::audit::{AuditLog, Decision, NewRecord, Seal, SealStore, head_path};
use crate::audit_verify::{Break, SealBook, verify_audit, verify_audit_with};

/// A journal in memory: the seal store of the log and the book of verify.
#[derive(Debug, Clone)]
struct MemJournal {
    location: PathBuf,
    seals: Arc<Mutex<HashMap<PathBuf, Seal>>>,
}

impl MemJournal {
    fn new(dir: &Path) -> Self {
        Self {
            location: dir.join("journal.sqlite"),
            seals: Arc::default(),
        }
    }
}

impl SealStore for MemJournal {
    fn location(&self) -> &Path {
        &self.location
    }
    fn load(&self, audit: &Path) -> Result<Option<Seal>, String> {
        Ok(self.seals.lock().unwrap().get(audit).cloned())
    }
    fn store(&self, audit: &Path, seal: &Seal) -> Result<(), String> {
        self.seals
            .lock()
            .unwrap()
            .insert(audit.to_owned(), seal.clone());
        Ok(())
    }
}

impl SealBook for MemJournal {
    fn seal(&self, journal: &Path, audit: &Path) -> Result<Option<Seal>, String> {
        if journal != self.location {
            return Err(format!("no journal at {}", journal.display()));
        }
        self.load(audit)
    }
}

fn record(i: usize) -> NewRecord<'static> {
    NewRecord {
        run: "run-1",
        robot: "clerk",
        plugin: "00",
        item: Some(i as i64),
        capability: "state",
        action: "get".into(),
        target: format!("key-{i}"),
        decision: Decision::Allow,
        reason: None,
        bytes: 0,
    }
}

/// Append `n` records (in one sealed run) through a log that keeps its
/// seals in `journal`.
fn run(path: &Path, journal: &MemJournal, n: usize) {
    let mut log = AuditLog::open(path)
        .unwrap()
        .with_seal_store(Box::new(journal.clone()))
        .unwrap();
    for i in 0..n {
        log.append(record(i)).unwrap();
    }
    log.sync().unwrap();
}

fn verify(path: &Path, journal: &MemJournal, given: bool) -> Result<crate::Intact, Break> {
    let j = given.then_some(journal.location.as_path());
    verify_audit_with(path, j, Some(journal))
}

fn cut_tail(path: &Path, keep: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let kept: Vec<String> = text.lines().take(keep).map(str::to_string).collect();
    let body: String = kept.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(path, body).unwrap();
    kept
}

/// Write the head an editor would write to match the cut file, keeping the
/// head's format and its journal field.
fn rewrite_head(path: &Path, kept: &[String]) {
    let head = head_path(path);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&head).unwrap()).unwrap();
    v["seq"] = kept.len().into();
    v["hash"] = crate::record_hash(kept.last().unwrap().as_bytes()).into();
    std::fs::write(&head, serde_json::to_vec(&v).unwrap()).unwrap();
}

fn setup(n: usize) -> (tempfile::TempDir, PathBuf, MemJournal) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let journal = MemJournal::new(dir.path());
    run(&path, &journal, n);
    (dir, path, journal)
}

#[test]
fn an_untouched_file_verifies_with_its_journal_named_by_the_head() {
    let (_dir, path, journal) = setup(4);
    run(&path, &journal, 3);
    for given in [false, true] {
        let intact = verify(&path, &journal, given).unwrap();
        assert_eq!(intact.records, 7);
        assert!(intact.sealed);
        assert_eq!(intact.journal.as_deref(), Some(journal.location.as_path()));
    }
}

#[test]
fn a_cut_tail_with_the_head_deleted_is_caught_by_the_journal() {
    let (_dir, path, journal) = setup(6);
    cut_tail(&path, 4);
    std::fs::remove_file(head_path(&path)).unwrap();
    let b = verify(&path, &journal, true).unwrap_err();
    assert_eq!(
        b,
        Break::Removed {
            seq: 5,
            before_line: 5
        }
    );
    // Without the journal, a missing head over records is a break too.
    let b = verify_audit(&path).unwrap_err();
    assert_eq!(
        b,
        Break::SealMissing {
            records: 4,
            sealed: None
        }
    );
}

#[test]
fn a_cut_tail_with_the_head_rewritten_to_match_is_caught_by_the_journal() {
    let (_dir, path, journal) = setup(6);
    let kept = cut_tail(&path, 3);
    rewrite_head(&path, &kept);
    // The head alone is fooled; the journal it names is not.
    assert!(verify_audit(&path).is_ok());
    for given in [false, true] {
        let b = verify(&path, &journal, given).unwrap_err();
        assert_eq!(b.to_string(), "record 4 was removed (before line 4)");
    }
}

#[test]
fn a_head_rolled_back_or_unknown_to_the_journal_is_a_break() {
    let (_dir, path, journal) = setup(5);
    let kept: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    rewrite_head(&path, &kept[..2]);
    let b = verify(&path, &journal, false).unwrap_err();
    assert_eq!(
        b,
        Break::HeadBehind {
            head: 2,
            journal: 5
        }
    );
    journal.seals.lock().unwrap().clear();
    let b = verify(&path, &journal, false).unwrap_err();
    assert!(matches!(b, Break::NotInJournal { .. }), "{b}");
}

#[test]
fn a_garbled_or_hand_written_head_is_a_break() {
    let (_dir, path, journal) = setup(3);
    let head = head_path(&path);
    let good = std::fs::read(&head).unwrap();
    let hand_written = {
        let v: serde_json::Value = serde_json::from_slice(&good).unwrap();
        serde_json::json!({"seq": v["seq"], "hash": v["hash"]}).to_string()
    };
    for bad in [
        b"{\"seq\":3,\"ha".to_vec(),
        b"".to_vec(),
        vec![0xff; 40],
        hand_written.into_bytes(),
    ] {
        std::fs::write(&head, &bad).unwrap();
        for b in [
            verify_audit(&path).unwrap_err(),
            verify(&path, &journal, true).unwrap_err(),
        ] {
            assert!(matches!(b, Break::HeadGarbled(_)), "{bad:?}: {b}");
        }
    }
    std::fs::write(&head, good).unwrap();
    assert!(verify(&path, &journal, false).is_ok());
}

#[test]
fn a_deleted_head_over_an_intact_file_is_a_break() {
    let (_dir, path, journal) = setup(3);
    std::fs::remove_file(head_path(&path)).unwrap();
    let b = verify(&path, &journal, true).unwrap_err();
    assert_eq!(
        b,
        Break::SealMissing {
            records: 3,
            sealed: Some(3)
        }
    );
}

#[test]
fn records_never_sealed_verify_as_an_unsealed_tail_given_the_journal() {
    // A host killed during the first item: records, no head, no seal.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let journal = MemJournal::new(dir.path());
    let mut log = AuditLog::open(&path)
        .unwrap()
        .with_seal_store(Box::new(journal.clone()))
        .unwrap();
    log.append(record(0)).unwrap();
    log.append(record(1)).unwrap();
    drop(log);
    let intact = verify(&path, &journal, true).unwrap();
    assert_eq!(
        (intact.records, intact.sealed, intact.unsealed_tail),
        (2, false, 2)
    );
    assert!(verify_audit(&path).is_err());
}

#[test]
fn a_journal_named_by_the_head_that_is_gone_is_a_break() {
    let (dir, path, _journal) = setup(2);
    let elsewhere = MemJournal::new(&dir.path().join("moved"));
    let b = verify_audit_with(&path, None, Some(&elsewhere)).unwrap_err();
    assert!(matches!(b, Break::JournalUnreadable(_)), "{b}");
}

#[test]
fn a_cut_file_is_refused_for_appending_so_it_is_not_resealed() {
    let (_dir, path, journal) = setup(4);
    let kept = cut_tail(&path, 2);
    rewrite_head(&path, &kept);
    let err = AuditLog::open(&path)
        .unwrap()
        .with_seal_store(Box::new(journal.clone()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 records but 4 were sealed"), "{err}");
    assert!(verify(&path, &journal, true).is_err());
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn every_cut_of_a_sealed_tail_is_detected_whatever_happens_to_the_head() {
    let mut rng = Lcg(7);
    for round in 0..200 {
        let (_dir, path, journal) = setup(1 + rng.below(10));
        let n = std::fs::read_to_string(&path).unwrap().lines().count();
        let kept = cut_tail(&path, rng.below(n));
        let head = head_path(&path);
        let treatment = rng.below(4);
        match treatment {
            0 => {}
            1 => std::fs::remove_file(&head).unwrap(),
            2 if !kept.is_empty() => rewrite_head(&path, &kept),
            2 => std::fs::remove_file(&head).unwrap(),
            _ => std::fs::write(&head, b"garbage").unwrap(),
        }
        // Without the journal, an emptied file with no head is not detected.
        let given = rng.below(2) == 0 || treatment == 1 || kept.is_empty();
        let b = verify(&path, &journal, given);
        assert!(
            b.is_err(),
            "round {round}: {n} records cut to {}, head treatment {treatment}: {b:?}",
            kept.len()
        );
    }
}
