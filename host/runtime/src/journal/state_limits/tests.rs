use pont_policy::{Action, EffectivePolicy, Gate, Permit};

use super::*;

/// A journal and a gate that grants state.
struct Store {
    dir: tempfile::TempDir,
    journal: Journal,
    gate: Gate,
}

fn store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let mut policy = EffectivePolicy::ds_only("state-test", &[], &[]);
    policy.state = true;
    let gate = Gate::for_tool("state-test", policy, &dir.path().join("audit.jsonl")).unwrap();
    Store { dir, journal, gate }
}

const ROOMY: StateBounds = StateBounds {
    max_keys: 100,
    max_bytes: 1 << 20,
};

impl Store {
    fn permit(&self, action: Action<'_>) -> Permit {
        self.gate.authorize(None, &action).unwrap()
    }

    fn get(&self, robot: &str, key: &str) -> Option<Vec<u8>> {
        let p = self.permit(Action::StateGet { key });
        self.journal.state_get(&p, robot).unwrap()
    }

    fn set(&self, robot: &str, key: &str, value: &[u8], bounds: StateBounds) -> StateSet {
        let bytes = value.len() as u64;
        let p = self.permit(Action::StateSet { key, bytes });
        self.journal
            .state_set_bounded(&p, robot, value, bounds)
            .unwrap()
    }

    fn keys(&self, robot: &str, prefix: &str) -> Vec<String> {
        let p = self.permit(Action::StateKeys { prefix });
        self.journal.state_keys(&p, robot).unwrap()
    }

    fn delete(&self, robot: &str, key: &str) -> bool {
        let p = self.permit(Action::StateDelete { key });
        self.journal.state_delete(&p, robot).unwrap()
    }
}

fn refused(s: StateSet) -> String {
    match s {
        StateSet::Refused(why) => why,
        StateSet::Written => panic!("written"),
    }
}

fn unpermitted<T: std::fmt::Debug>(r: Result<T, StateError>) -> String {
    match r {
        Err(StateError::Unpermitted(e)) => e.to_string(),
        other => panic!("not refused for its permit: {other:?}"),
    }
}

#[test]
fn state_store_round_trips_and_survives_reopen() {
    let s = store();
    for (robot, key, value) in [
        ("r", "a/1", &b"one"[..]),
        ("r", "a/2", &b"two"[..]),
        ("r", "b", &b"bee"[..]),
        ("other", "a/3", &b"x"[..]),
        ("r", "a/1", &b"uno"[..]),
    ] {
        assert!(matches!(s.set(robot, key, value, ROOMY), StateSet::Written));
    }
    let Store { dir, journal, gate } = s;
    drop(journal);
    let journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let s = Store { dir, journal, gate };
    assert_eq!(s.get("r", "a/1").as_deref(), Some(&b"uno"[..]));
    assert_eq!(s.keys("r", "a/"), vec!["a/1", "a/2"]);
    assert_eq!(s.keys("r", "").len(), 3);
    assert!(s.delete("r", "b"));
    assert!(!s.delete("r", "b"));
    assert_eq!(s.get("r", "b"), None);
}

#[test]
fn keys_and_bytes_are_bounded_per_robot_and_replacing_is_not_adding() {
    let s = store();
    let b = StateBounds {
        max_keys: 2,
        max_bytes: 20,
    };
    assert!(matches!(s.set("r", "a", b"12345", b), StateSet::Written));
    assert!(matches!(s.set("r", "b", b"12345", b), StateSet::Written));
    assert!(refused(s.set("r", "c", b"1", b)).contains("limits.state-keys"));
    // Another robot has its own store.
    assert!(matches!(s.set("other", "c", b"1", b), StateSet::Written));
    // Replacing `a` with a larger value: 1 + 13 + 6 = 20 bytes, allowed; one more is not.
    assert!(matches!(s.set("r", "a", &[0; 13], b), StateSet::Written));
    assert!(refused(s.set("r", "a", &[0; 14], b)).contains("limits.state-mb"));
    assert_eq!(s.get("r", "a").unwrap().len(), 13);
}

#[test]
fn a_permit_serves_its_own_operation_key_and_size_only() {
    let s = store();
    assert!(matches!(
        s.set("r", "k", b"secret", ROOMY),
        StateSet::Written
    ));
    let get = s.permit(Action::StateGet { key: "k" });
    // A read permit neither writes nor deletes; the key is always the permit's.
    let e = unpermitted(s.journal.state_set_bounded(&get, "r", b"", ROOMY));
    assert_eq!(e, "the permit for state.get does not cover state set");
    unpermitted(s.journal.state_delete(&get, "r"));
    unpermitted(s.journal.state_keys(&get, "r"));
    // A write counted for 3 bytes does not write 6.
    let three = s.permit(Action::StateSet { key: "k", bytes: 3 });
    let e = unpermitted(s.journal.state_set_bounded(&three, "r", b"sixsix", ROOMY));
    assert!(e.contains("a value of 6 bytes"), "{e}");
    unpermitted(s.journal.state_get(&three, "r"));
    let listing = s.permit(Action::StateKeys { prefix: "" });
    unpermitted(s.journal.state_get(&listing, "r"));
    assert_eq!(s.get("r", "k").as_deref(), Some(&b"secret"[..]));
}
