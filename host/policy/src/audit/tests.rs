//! The lock held between seals: other processes are kept out until the
//! seal, other logs of this process are not, and the chain stays one.

use std::fs::{File, TryLockError};
use std::path::Path;

use super::*;
use crate::audit_verify::verify_audit;

fn record(i: i64) -> NewRecord<'static> {
    NewRecord {
        run: "run-1",
        robot: "clerk",
        plugin: "00",
        item: Some(i),
        capability: "state",
        action: "get".into(),
        target: format!("key-{i}"),
        decision: Decision::Allow,
        reason: None,
        bytes: 0,
    }
}

/// Whether an open file of its own (as another process has) can lock it.
fn free_for_others(path: &Path) -> bool {
    let other = File::open(path).unwrap();
    match other.try_lock() {
        Ok(()) => {
            other.unlock().unwrap();
            true
        }
        Err(TryLockError::WouldBlock) => false,
        Err(TryLockError::Error(e)) => panic!("{e}"),
    }
}

#[test]
fn a_held_lock_keeps_other_processes_out_until_the_seal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&path).unwrap().hold_between_seals();
    log.append(record(1)).unwrap();
    log.append(record(2)).unwrap();
    assert!(!free_for_others(&path), "held between records");
    log.sync().unwrap();
    assert!(free_for_others(&path), "released at the seal");
    log.append(record(3)).unwrap();
    assert!(!free_for_others(&path), "held again by the next record");
    drop(log);
    assert!(free_for_others(&path), "released when the log is dropped");
    assert_eq!(verify_audit(&path).unwrap().records, 3);
}

#[test]
fn a_log_that_does_not_hold_releases_after_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&path).unwrap();
    log.append(record(1)).unwrap();
    assert!(free_for_others(&path));
}

/// A run's log holding the file between seals and a person's log of the
/// same process (the console in `pont serve`) appending meanwhile: the
/// person's records do not wait for the run's seal, and the chain is one.
#[test]
fn a_held_log_and_another_of_the_process_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let robot_path = path.clone();
    let robot = std::thread::spawn(move || {
        let mut log = AuditLog::open(&robot_path).unwrap().hold_between_seals();
        for i in 0..300 {
            log.append(record(i)).unwrap();
            if i % 50 == 49 {
                log.sync().unwrap();
            }
        }
        log.sync().unwrap();
    });
    let console = person_appends(&path, 30);
    robot.join().unwrap();
    assert_one_sealed_chain(console, &path, 330, 30);
}

/// A person's log (the console's) appending `n` actions to `path` while
/// another log writes it too.
pub(crate) fn person_appends(path: &Path, n: i64) -> AuditLog {
    let mut console = AuditLog::open(path).unwrap();
    for i in 0..n {
        let action = PersonAction {
            actor: "agent-é",
            interface: "console",
            robot: "clerk",
            item: Some(i),
            action: "review.retry",
            target: format!("dossier {i}"),
            decision: Decision::Allow,
            reason: None,
        };
        console.record_action(&action).unwrap();
    }
    console
}

/// Once both appenders are done: one chain of `records`, sealed (the
/// person's log seals last), `people` of them by the person.
pub(crate) fn assert_one_sealed_chain(
    mut console: AuditLog,
    path: &Path,
    records: u64,
    people: usize,
) {
    console.sync().unwrap();
    let intact = verify_audit(path).unwrap();
    assert_eq!(intact.records, records);
    assert!(intact.sealed, "{intact:?}");
    let by_people = read_records(path).unwrap();
    let by_people: Vec<_> = by_people.iter().filter(|r| r.actor.is_some()).collect();
    assert_eq!(by_people.len(), people);
    assert!(
        by_people
            .iter()
            .all(|r| r.actor.as_deref() == Some("agent-é"))
    );
}
