use std::path::Path;

use super::*;
use crate::audit::{AuditLog, Decision, NewRecord};

fn write_log(path: &Path, n: usize) {
    let mut log = AuditLog::open(path).unwrap();
    for i in 0..n {
        log.append(NewRecord {
            run: "run-1",
            robot: "clerk",
            plugin: "00",
            item: Some(100 + i as i64),
            capability: "state",
            action: "get".into(),
            target: format!("key-{i}"),
            decision: if i % 3 == 0 {
                Decision::Deny
            } else {
                Decision::Allow
            },
            reason: None,
            bytes: i as u64,
        })
        .unwrap();
    }
    log.sync().unwrap();
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

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(
        path,
        lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .unwrap();
}

#[test]
fn an_untouched_file_verifies_across_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    write_log(&path, 5);
    write_log(&path, 4);
    let intact = verify_audit(&path).unwrap();
    assert_eq!(intact.records, 9);
    assert!(intact.sealed);
}

#[test]
fn every_single_edit_is_detected_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    let head = head_path(&path);
    let mut rng = Lcg(42);
    for round in 0..400 {
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&head);
        let n = 2 + rng.below(12);
        write_log(&path, n);
        let mut ls = lines(&path);
        let k = rng.below(n);
        let edit = rng.below(4);
        let verdict = match edit {
            0 => {
                // Alter one field of record k.
                let field = [
                    "\"item\":1",
                    "\"decision\":\"allow\"",
                    "\"seq\":",
                    "\"prev\":\"",
                    "\"target\":\"key-",
                ][rng.below(5)];
                let changed = match field {
                    "\"item\":1" => ls[k].replacen("\"item\":1", "\"item\":9", 1),
                    "\"decision\":\"allow\"" if ls[k].contains(field) => {
                        ls[k].replace(field, "\"decision\":\"deny\"")
                    }
                    "\"decision\":\"allow\"" => {
                        ls[k].replace("\"decision\":\"deny\"", "\"decision\":\"allow\"")
                    }
                    "\"seq\":" => ls[k].replacen("\"seq\":", "\"seq\":7", 1),
                    "\"prev\":\"" => {
                        // Keep it a 64-digit hex: flip its first digit.
                        let at = ls[k].find("\"prev\":\"").unwrap() + 8;
                        let mut c = ls[k].clone();
                        let d = if &c[at..at + 1] == "f" { "e" } else { "f" };
                        c.replace_range(at..at + 1, d);
                        c
                    }
                    _ => ls[k].replacen("\"target\":\"key-", "\"target\":\"kez-", 1),
                };
                assert_ne!(changed, ls[k], "round {round}: the edit changed nothing");
                ls[k] = changed;
                write_lines(&path, &ls);
                let b = verify_audit(&path).unwrap_err();
                assert!(
                    matches!(b, Break::Altered { line, .. } if line == k + 1),
                    "round {round}: altered line {}: {b}",
                    k + 1
                );
                b
            }
            1 => {
                ls.remove(k);
                write_lines(&path, &ls);
                let b = verify_audit(&path).unwrap_err();
                assert!(
                    matches!(b, Break::Removed { seq, .. } if seq == k as u64 + 1),
                    "round {round}: removed {}: {b}",
                    k + 1
                );
                b
            }
            2 => {
                let copy = ls[rng.below(n)].clone();
                let at = rng.below(n + 1);
                ls.insert(at, copy.clone());
                write_lines(&path, &ls);
                let b = verify_audit(&path).unwrap_err();
                // A copy of its neighbour may be named in the neighbour's place.
                let named = match &b {
                    Break::Inserted { line } | Break::Altered { line, .. } => ls[line - 1].clone(),
                    Break::Reordered { line, .. } => ls[line - 1].clone(),
                    other => panic!("round {round}: insertion at {} reported as {other}", at + 1),
                };
                assert_eq!(named, copy, "round {round}: insertion at {}: {b}", at + 1);
                b
            }
            _ => {
                let j = (k + 1 + rng.below(n - 1)) % n;
                let (a, z) = (k.min(j), k.max(j));
                ls.swap(a, z);
                write_lines(&path, &ls);
                let b = verify_audit(&path).unwrap_err();
                assert!(
                    matches!(b, Break::Reordered { seq, .. } if seq == a as u64 + 1)
                        || matches!(b, Break::Inserted { line } if line == a + 1 && z == a + 1),
                    "round {round}: swapped {} and {}: {b}",
                    a + 1,
                    z + 1
                );
                b
            }
        };
        assert!(verify_audit(&path).is_err(), "round {round}: {verdict}");
    }
}

#[test]
fn removing_the_sealed_tail_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.jsonl");
    write_log(&path, 3);
    let mut ls = lines(&path);
    ls.pop();
    write_lines(&path, &ls);
    assert_eq!(
        verify_audit(&path).unwrap_err(),
        Break::Removed {
            seq: 3,
            before_line: 3
        }
    );
}

/// A gate's log and a person's (the console) appending to one file from
/// two threads, each with its own open file: one chain, sealed at its end.
#[test]
fn two_appenders_of_one_file_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let robot_path = path.clone();
    let robot = std::thread::spawn(move || write_log(&robot_path, 300));
    let console = crate::audit::tests::person_appends(&path, 30);
    robot.join().unwrap();
    // The robot's log sealed last only if it finished last; seal again.
    crate::audit::tests::assert_one_sealed_chain(console, &path, 330, 30);
    // A gate decision's line has no actor field at all.
    let first = lines(&path)
        .into_iter()
        .find(|l| l.contains("key-0"))
        .unwrap();
    assert!(!first.contains("actor"), "{first}");
}
