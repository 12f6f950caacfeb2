//! Permits for the client's own tests: each from a real gate that grants
//! every DS action on the one démarche it is asked about, and audits to a
//! file of its own in a temporary directory.
#![allow(dead_code)]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use pont_policy::{Action, DsAction, EffectivePolicy, Gate, Permit};

/// Any granted démarche, for permits whose démarche the client does not check.
const ANY_DEMARCHE: i64 = 1;

fn gate(demarche: i64) -> Gate {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temporary directory"));
    let audit = dir
        .path()
        .join(format!("audit-{}.jsonl", N.fetch_add(1, Ordering::Relaxed)));
    let policy = EffectivePolicy::ds_only("pont-ds-tests", &[demarche], &DsAction::ALL);
    Gate::for_tool("pont-ds-tests", policy, &audit).expect("test gate")
}

fn allow(demarche: i64, action: &Action<'_>) -> Permit {
    gate(demarche).authorize(None, action).expect("granted")
}

/// Reading dossier `number` (its status, messages, files).
pub fn read(number: i64) -> Permit {
    let action = Action::DsRead {
        what: "test",
        demarche: None,
        dossier: Some(number),
    };
    allow(ANY_DEMARCHE, &action)
}

/// Reading démarche `number` or listing its dossiers.
pub fn listing(number: i64) -> Permit {
    let action = Action::DsRead {
        what: "test",
        demarche: Some(number),
        dossier: None,
    };
    allow(number, &action)
}

/// `action` on dossier `number`.
pub fn act(action: DsAction, number: i64) -> Permit {
    let action = Action::DsMutate {
        action,
        demarche: ANY_DEMARCHE,
        dossier: number,
        bytes: 0,
    };
    allow(ANY_DEMARCHE, &action)
}
