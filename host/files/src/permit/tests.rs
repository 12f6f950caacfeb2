//! A permit serves the call it was made for and no other: another mount,
//! another path, the other direction or another size is refused, and
//! nothing on disk changes.

use std::io::Read;
use std::sync::Arc;

use pont_policy::{Action, EffectivePolicy, Gate, MountAccess, MountGrant, Permit};

use crate::{Access, ErrorKind, FilesError, Mount, Workbook};

/// Two read-write mounts, `a` and `b`, each holding `x.txt` and `y.txt`, and
/// a gate that grants both.
struct Host {
    dir: tempfile::TempDir,
    gate: Gate,
    a: Arc<Mount>,
    b: Arc<Mount>,
}

fn host() -> Host {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = EffectivePolicy::ds_only("files-test", &[], &[]);
    for name in ["a", "b"] {
        let root = dir.path().join(name);
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("x.txt"), format!("{name}:x")).unwrap();
        std::fs::write(root.join("y.txt"), format!("{name}:y")).unwrap();
        let grant = MountGrant {
            path: root,
            access: MountAccess::ReadWrite,
            quota_bytes: None,
        };
        policy.mounts.insert(name.into(), grant);
    }
    let gate = Gate::for_tool("files-test", policy, &dir.path().join("audit.jsonl")).unwrap();
    let open = |name: &str| {
        Arc::new(Mount::open(name, dir.path().join(name), Access::ReadWrite, None).unwrap())
    };
    let (a, b) = (open("a"), open("b"));
    Host { dir, gate, a, b }
}

impl Host {
    fn read(&self, mount: &str, path: &str) -> Permit {
        self.gate
            .authorize(None, &Action::FileRead { mount, path })
            .unwrap()
    }

    fn write(&self, mount: &str, path: &str, bytes: u64) -> Permit {
        let action = Action::FileWrite { mount, path, bytes };
        self.gate.authorize(None, &action).unwrap()
    }

    fn on_disk(&self, mount: &str, path: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(mount).join(path)).unwrap()
    }
}

fn contents(m: &Mount, permit: &Permit) -> String {
    let mut out = String::new();
    m.open_read(permit)
        .unwrap()
        .into_std()
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn refused<T: std::fmt::Debug>(r: crate::Result<T>) -> FilesError {
    let e = r.unwrap_err();
    assert!(matches!(e, FilesError::Unpermitted { .. }), "{e}");
    assert_eq!(e.kind(), ErrorKind::Denied);
    assert!(!e.to_string().contains('\n'), "{e}");
    e
}

#[test]
fn a_read_permit_reads_its_own_path_on_its_own_mount_only() {
    let h = host();
    let x = h.read("a", "x.txt");
    // The path comes from the permit: there is no way to ask for `y.txt` with it.
    assert_eq!(contents(&h.a, &x), "a:x");
    let e = refused(h.b.open_read(&x));
    assert!(e.to_string().contains("a read on mount `b`"), "{e}");
    refused(h.b.stat(&x));
    refused(h.b.entries(&x));
    refused(Workbook::open(h.b.clone(), &x));
}

#[test]
fn a_read_permit_cannot_write_and_a_write_permit_cannot_read() {
    let h = host();
    let read = h.read("a", "x.txt");
    let e = refused(h.a.write_bytes(&read, b"evil"));
    assert!(
        e.to_string()
            .contains("the permit for files.read does not cover a write"),
        "{e}"
    );
    refused(h.a.write_from_reader(&read, &b"evil"[..]));
    refused(h.a.remove(&read));
    refused(h.a.mkdir(&h.read("a", "d")));
    refused(h.a.rename(&read, &h.write("a", "z.txt", 0)));
    refused(h.a.rename(&h.write("a", "x.txt", 0), &h.read("a", "z.txt")));
    assert_eq!(h.on_disk("a", "x.txt"), "a:x");
    assert!(!h.dir.path().join("a/z.txt").exists());
    assert!(!h.dir.path().join("a/d").exists());

    let write = h.write("a", "y.txt", 0);
    refused(h.a.open_read(&write));
    refused(h.a.zip(&[write], std::io::Cursor::new(Vec::new())));
}

#[test]
fn a_write_permit_writes_the_bytes_it_was_charged_for_on_its_mount() {
    let h = host();
    let four = h.write("a", "x.txt", 4);
    refused(h.a.write_bytes(&four, b"longer than four"));
    refused(h.a.write_bytes(&four, b"abc"));
    refused(h.b.write_bytes(&four, b"abcd"));
    assert_eq!(
        (h.on_disk("a", "x.txt"), h.on_disk("b", "x.txt")),
        ("a:x".into(), "b:x".into())
    );
    h.a.write_bytes(&four, b"abcd").unwrap();
    assert_eq!(h.on_disk("a", "x.txt"), "abcd");
}

#[test]
fn permits_of_other_capabilities_serve_no_mount_call() {
    let h = host();
    let open = h
        .gate
        .authorize(None, &Action::MountOpen { mount: "a" })
        .unwrap();
    refused(h.a.open_read(&open));
    refused(h.a.remove(&open));
    let mut policy = EffectivePolicy::ds_only("files-test", &[], &[]);
    policy.state = true;
    let gate = Gate::for_tool("files-test", policy, &h.dir.path().join("state.jsonl")).unwrap();
    let state = gate
        .authorize(None, &Action::StateGet { key: "x.txt" })
        .unwrap();
    refused(h.a.open_read(&state));
}

#[test]
fn a_workbook_stores_only_under_a_write_permit_for_its_own_file() {
    let h = host();
    let csv = "Nom;Montant\nA;1\n";
    std::fs::write(h.dir.path().join("a/t.csv"), csv).unwrap();
    let mut wb = Workbook::open(h.a.clone(), &h.read("a", "t.csv")).unwrap();
    let bytes = b"nothing".to_vec();
    let len = bytes.len() as u64;
    let e = refused(wb.store(&h.write("a", "x.txt", len), bytes.clone()));
    assert!(e.to_string().contains("path `t.csv`"), "{e}");
    refused(wb.store(&h.write("b", "t.csv", len), bytes.clone()));
    refused(wb.store(&h.read("a", "t.csv"), bytes.clone()));
    refused(wb.store(&h.write("a", "t.csv", len + 1), bytes));
    assert_eq!(
        std::fs::read_to_string(h.dir.path().join("a/t.csv")).unwrap(),
        csv
    );
    assert_eq!(h.on_disk("a", "x.txt"), "a:x");
}
