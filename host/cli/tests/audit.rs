//! `pont audit verify` on the audit log of a real run of the hello robot:
//! a cut tail is caught whether the head beside the file is kept, deleted,
//! garbled or rewritten to match, because the journal keeps the seal too.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, Ran};
use pont_test_artifacts::{plugin_manifest, wasm};

const HELLO_GRANTS: &str =
    "[grant]\nlog = true\nstate = true\n\n[queue]\ndossiers = [11, 12, 13]\n";

/// A finished run of hello: 15 sealed records, its config and its files.
struct Sealed {
    env: Env,
    cfg: PathBuf,
    audit: PathBuf,
    head: PathBuf,
}

impl Sealed {
    fn new() -> Self {
        let env = Env::new();
        let cfg = env.config(&wasm("hello"), &plugin_manifest("hello"), HELLO_GRANTS);
        let ran = env.pont(&["run", "--allow-unsigned", cfg.to_str().unwrap()]);
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        let audit = env.path("audit.jsonl");
        let head = env.path("audit.jsonl.head");
        assert!(head.is_file(), "the run left no head");
        Self {
            env,
            cfg,
            audit,
            head,
        }
    }

    /// `pont audit verify FILE`, then `pont audit verify --config CFG`.
    fn verify_both(&self) -> [Ran; 2] {
        let file = self.audit.to_str().unwrap();
        [
            self.env.pont(&["audit", "verify", file]),
            self.env
                .pont(&["audit", "verify", "--config", self.cfg.to_str().unwrap()]),
        ]
    }

    /// Keep only the first `keep` records.
    fn cut_tail(&self, keep: usize) -> Vec<String> {
        let text = std::fs::read_to_string(&self.audit).unwrap();
        let kept: Vec<String> = text.lines().take(keep).map(str::to_string).collect();
        assert!(kept.len() < text.lines().count());
        std::fs::write(
            &self.audit,
            kept.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        kept
    }
}

fn assert_broken(ran: &Ran, what: &str, needle: &str) {
    assert_eq!(ran.code, 8, "{what}: {}{}", ran.stdout, ran.stderr);
    ran.assert_no_panic();
    assert!(ran.error_line().contains(needle), "{what}: {}", ran.stderr);
}

fn snapshot(paths: &[&Path]) -> Vec<Vec<u8>> {
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn restore(paths: &[&Path], bytes: &[Vec<u8>]) {
    for (p, b) in paths.iter().zip(bytes) {
        std::fs::write(p, b).unwrap();
    }
}

#[test]
fn an_untouched_log_verifies_and_a_garbled_head_does_not() {
    let s = Sealed::new();
    for ran in s.verify_both() {
        assert_eq!(ran.code, 0, "{}", ran.stderr);
        assert!(
            ran.stdout
                .contains("intact (15 records, sealed), the seal matches the journal"),
            "{}",
            ran.stdout
        );
    }
    let files = [s.audit.as_path(), s.head.as_path()];
    let good = snapshot(&files);
    for garbled in [&b"{\"seq\":15,"[..], b"", b"\xff\xfe not json"] {
        std::fs::write(&s.head, garbled).unwrap();
        for ran in s.verify_both() {
            assert_broken(&ran, "garbled head", "its head is not a valid seal");
        }
    }
    restore(&files, &good);
    for ran in s.verify_both() {
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    }
}

#[test]
fn a_cut_tail_is_caught_with_the_head_deleted_or_rewritten_to_match() {
    let s = Sealed::new();
    let files = [s.audit.as_path(), s.head.as_path()];
    let good = snapshot(&files);

    // Tail cut, head deleted.
    s.cut_tail(12);
    std::fs::remove_file(&s.head).unwrap();
    let [plain, with_config] = s.verify_both();
    assert_broken(&plain, "head deleted", "its head (the seal) is missing");
    assert_broken(&with_config, "head deleted", "record 13 was removed");

    // Tail cut, head rewritten to seal the cut file (format and journal kept).
    restore(&files, &good);
    let kept = s.cut_tail(10);
    let mut head: serde_json::Value = serde_json::from_slice(&good[1]).unwrap();
    head["seq"] = 10.into();
    head["hash"] = pont_policy::record_hash(kept[9].as_bytes()).into();
    std::fs::write(&s.head, head.to_string()).unwrap();
    for ran in s.verify_both() {
        assert_broken(&ran, "head rewritten", "record 11 was removed");
    }

    // The same, with the journal pointer dropped: only `--config` still
    // knows where the seal is, and a head without it is not a valid seal.
    let hand_written = serde_json::json!({"seq": head["seq"], "hash": head["hash"]});
    std::fs::write(&s.head, hand_written.to_string()).unwrap();
    for ran in s.verify_both() {
        assert_broken(&ran, "hand-written head", "its head is not a valid seal");
    }
    head["journal"] = serde_json::Value::Null;
    std::fs::write(&s.head, head.to_string()).unwrap();
    let [_, with_config] = s.verify_both();
    assert_broken(
        &with_config,
        "head without journal",
        "record 11 was removed",
    );

    // A later run refuses to append to (and so reseal) the cut file.
    let again = s
        .env
        .pont(&["run", "--allow-unsigned", s.cfg.to_str().unwrap()]);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(
        again.error_line().contains("10 records but 15 were sealed"),
        "{}",
        again.stderr
    );
    restore(&files, &good);
    for ran in s.verify_both() {
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    }
}
