use std::path::Path;

use super::*;
use crate::audit::read_records;
use crate::{Manifest, MountAccess, PolicyError, RobotConfig};

const MANIFEST: &str = r#"
[robot]
name = "clerk"
version = "1.0.0"
publisher = "Préfecture"

[requests]
log = true
state = true
ds = ["read", "passer-en-instruction"]
browser = ["chorus"]
secrets = ["cps-password"]

[requests.mounts]
reports = "read-write"
ej = "read-only"
"#;

const CONFIG: &str = r#"
[plugin]
path = "clerk.wasm"

[ds]
endpoint = "http://127.0.0.1:8080/api/v2/graphql"
token = { env = "DS_TOKEN" }
instructeur = "robot@prefecture.gouv.fr"

[grant]
log = true
state = true

[grant.ds]
demarches = [1001]
actions = ["read", "passer-en-instruction", "accepter"]

[grant.browser.chorus]
origin = "http://127.0.0.1:9001"

[grant.mounts.reports]
path = "/srv/reports"
access = "read-write"

[grant.mounts.ej]
path = "/srv/ej"
access = "read-write"

[grant.secrets.cps-password]
env = "CPS"
apps = ["chorus"]

[paths]
journal = "j.sqlite"
audit = "a.jsonl"
"#;

fn load(manifest: &str, config: &str) -> Result<EffectivePolicy, PolicyError> {
    let m = Manifest::parse(manifest, Path::new("pont.toml")).unwrap();
    let c = RobotConfig::parse(config, Path::new("/etc/pont/clerk.toml")).unwrap();
    EffectivePolicy::compute(&m, &c)
}

fn gate(dir: &Path) -> Gate {
    let policy = load(MANIFEST, CONFIG).unwrap();
    let audit = AuditLog::open(&dir.join("audit.jsonl")).unwrap();
    let ctx = RunContext {
        run_id: "run-1".into(),
        robot: "clerk".into(),
        plugin_digest: "ab".repeat(32),
    };
    Gate::new(policy, ctx, audit)
}

#[test]
fn effective_policy_narrows_to_what_was_requested() {
    let p = load(MANIFEST, CONFIG).unwrap();
    assert!(
        !p.ds_actions.contains(&DsAction::Accepter),
        "granted but not requested"
    );
    assert_eq!(
        p.mounts["ej"].access,
        MountAccess::ReadOnly,
        "requested read-only"
    );
    assert!(p.unused_grants.iter().any(|u| u.contains("accepter")));
}

#[test]
fn missing_grants_are_all_listed() {
    let config = CONFIG
        .replace(
            "\"read\", \"passer-en-instruction\", \"accepter\"",
            "\"read\"",
        )
        .replace(
            "access = \"read-write\"\n\n[grant.mounts.ej]",
            "access = \"read-only\"\n\n[grant.mounts.ej]",
        )
        .replace(
            "[grant.secrets.cps-password]\nenv = \"CPS\"\napps = [\"chorus\"]\n",
            "",
        );
    let err = load(MANIFEST, &config).unwrap_err();
    let PolicyError::NotGranted { missing, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(missing.len(), 3, "{err}");
    let text = err.to_string();
    assert!(text.contains("DS action `passer-en-instruction`"), "{text}");
    assert!(
        text.contains("mount `reports` read-write (granted only read-only)"),
        "{text}"
    );
    assert!(text.contains("secret `cps-password`"), "{text}");
    assert!(!text.contains('\n'));
}

#[test]
fn memory_requested_above_the_limit_is_missing() {
    let manifest = format!("{MANIFEST}\n[requests.limits]\nmemory-mb = 512\n");
    let err = load(&manifest, CONFIG).unwrap_err().to_string();
    assert!(
        err.contains("memory 512 MiB (limits.memory-mb is 128)"),
        "{err}"
    );
}

#[test]
fn gate_allows_denies_and_audits_each_decision() {
    let dir = tempfile::tempdir().unwrap();
    let g = gate(dir.path());
    let origin = crate::Origin::parse("http://127.0.0.1:9001").unwrap();
    let evil = crate::Origin::parse("http://127.0.0.1:9999").unwrap();
    assert!(g.authorize(Some(7), &Action::Log { level: "info" }).is_ok());
    assert!(
        g.authorize(
            Some(7),
            &Action::DsRead {
                what: "dossier",
                demarche: Some(1001),
                dossier: Some(7)
            }
        )
        .is_ok()
    );
    let denied = g
        .authorize(
            Some(7),
            &Action::DsRead {
                what: "dossier",
                demarche: Some(2002),
                dossier: Some(7),
            },
        )
        .unwrap_err();
    assert!(denied.reason.contains("démarche 2002"), "{denied}");
    let denied = g
        .authorize(
            Some(7),
            &Action::DsMutate {
                action: DsAction::Accepter,
                demarche: 1001,
                dossier: 7,
                bytes: 0,
            },
        )
        .unwrap_err();
    assert!(denied.reason.contains("accepter"), "{denied}");
    assert!(
        g.authorize(
            None,
            &Action::FileWrite {
                mount: "ej",
                path: "a.xlsx",
                bytes: 3
            }
        )
        .is_err()
    );
    assert!(
        g.authorize(
            None,
            &Action::FileWrite {
                mount: "reports",
                path: "a.xlsx",
                bytes: 3
            }
        )
        .is_ok()
    );
    assert!(
        g.authorize(None, &Action::BrowserGoto { origin: &origin })
            .is_ok()
    );
    assert!(
        g.authorize(None, &Action::BrowserGoto { origin: &evil })
            .is_err()
    );
    assert!(
        g.authorize(
            None,
            &Action::HttpRequest {
                origin: &origin,
                method: "get",
                bytes: 0
            }
        )
        .is_err()
    );

    let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
    let decisions: Vec<_> = records
        .iter()
        .map(|r| (r.capability.as_str(), r.decision))
        .collect();
    assert_eq!(
        decisions,
        vec![
            ("log", Decision::Allow),
            ("ds", Decision::Allow),
            ("ds", Decision::Deny),
            ("ds", Decision::Deny),
            ("files", Decision::Deny),
            ("files", Decision::Allow),
            ("browser", Decision::Allow),
            ("browser", Decision::Deny),
            ("http", Decision::Deny),
        ]
    );
    assert_eq!(records[2].target, "demarche:2002/dossier:7");
    assert_eq!(records[5].bytes, 3);
    assert!(
        records
            .iter()
            .all(|r| r.run == "run-1" && r.robot == "clerk")
    );
}

#[test]
fn audit_chain_links_records_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    {
        let g = gate(dir.path());
        g.authorize(None, &Action::Log { level: "info" }).unwrap();
        g.authorize(None, &Action::StateGet { key: "k" }).unwrap();
    }
    {
        let g = gate(dir.path());
        g.authorize(None, &Action::StateKeys { prefix: "" })
            .unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let records = read_records(&path).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].prev, crate::GENESIS_HASH);
    for i in 1..3 {
        assert_eq!(records[i].prev, crate::record_hash(lines[i - 1].as_bytes()));
        assert_eq!(records[i].seq, i as u64 + 1);
    }
}

#[test]
fn unsupported_operations_are_denied_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let g = gate(dir.path());
    let d = g
        .authorize(
            Some(1),
            &Action::Unsupported {
                capability: "sheets",
                operation: "open",
            },
        )
        .unwrap_err();
    assert!(d.reason.contains("not supported"));
    let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
    assert_eq!(records[0].decision, Decision::Deny);
}

#[test]
fn escaping_paths_are_denied_and_backend_refusals_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let g = gate(dir.path());
    let read = |path| Action::FileRead {
        mount: "reports",
        path,
    };
    assert!(g.authorize(Some(1), &read("a/b.xlsx")).is_ok());
    let d = g.authorize(Some(1), &read("../secret")).unwrap_err();
    assert!(d.reason.contains("`..`"), "{d}");
    let d = g.authorize(Some(1), &read("/etc/passwd")).unwrap_err();
    assert!(d.reason.contains("absolute"), "{d}");
    assert!(
        g.authorize(Some(1), &Action::MountOpen { mount: "ej" })
            .is_ok()
    );
    assert!(
        g.authorize(Some(1), &Action::MountOpen { mount: "other" })
            .is_err()
    );
    let write = Action::FileWrite {
        mount: "reports",
        path: "big.bin",
        bytes: 9,
    };
    let d = g.refuse(Some(1), &write, "quota exceeded".into());
    assert_eq!(d.reason, "quota exceeded");

    let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_str(), r.decision))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("read", "reports:a/b.xlsx", Decision::Allow),
            ("read", "reports:../secret", Decision::Deny),
            ("read", "reports:/etc/passwd", Decision::Deny),
            ("open", "ej", Decision::Allow),
            ("open", "other", Decision::Deny),
            ("write", "reports:big.bin", Decision::Deny),
        ]
    );
    assert_eq!(records[5].reason.as_deref(), Some("quota exceeded"));
    assert_eq!(records[5].bytes, 9);
}

#[test]
fn a_budget_refuses_writes_past_it_and_the_refusal_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!("{CONFIG}\n[budgets]\n\"mount.reports\" = 1000\nds = 10\n");
    let policy = load(MANIFEST, &config).unwrap();
    let audit = AuditLog::open(&dir.path().join("audit.jsonl")).unwrap();
    let ctx = RunContext {
        run_id: "run-1".into(),
        robot: "clerk".into(),
        plugin_digest: "ab".repeat(32),
    };
    let gate = Gate::new(policy, ctx, audit);
    let write = |bytes| Action::FileWrite {
        mount: "reports",
        path: "out.csv",
        bytes,
    };
    assert!(gate.authorize(Some(1), &write(600)).is_ok());
    let denied = gate.authorize(Some(1), &write(600)).unwrap_err();
    assert!(denied.reason.contains("mount.reports"), "{}", denied.reason);
    assert!(
        gate.authorize(Some(1), &write(400)).is_ok(),
        "exactly the budget"
    );
    // Another destination has its own budget; DS bytes are metered at the
    // wire, request by request, through the same meter.
    let denied = gate
        .meter(Some(1), crate::Egress::Ds, "dossierPasserEnInstruction", 11)
        .unwrap_err();
    assert!(denied.reason.contains("`ds`"), "{}", denied.reason);
    gate.meter(Some(1), crate::Egress::Ds, "dossierPasserEnInstruction", 10)
        .unwrap();
    assert_eq!(gate.egress_used(&crate::Egress::Ds), 10);
    gate.sync_audit().unwrap();
    let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
    let denies: Vec<_> = records
        .iter()
        .filter(|r| r.decision == Decision::Deny)
        .collect();
    assert_eq!(denies.len(), 2, "{records:?}");
    assert!(denies[0].reason.as_deref().unwrap().contains("budget"));
    let ds = denies[1];
    assert_eq!(
        (
            ds.capability.as_str(),
            ds.action.as_str(),
            ds.target.as_str()
        ),
        ("ds", "dossierPasserEnInstruction", "ds")
    );
    assert_eq!(ds.bytes, 11);
}

#[test]
fn a_budget_for_an_ungranted_mount_or_an_unknown_key_is_named() {
    let bad = format!("{CONFIG}\n[budgets]\n\"mount.elsewhere\" = 1\n");
    let err = RobotConfig::parse(&bad, Path::new("/etc/pont/clerk.toml")).unwrap_err();
    assert!(err.to_string().contains("budgets.mount.elsewhere"), "{err}");
    let bad = format!("{CONFIG}\n[budgets]\nchorus = 1\n");
    let err = RobotConfig::parse(&bad, Path::new("/etc/pont/clerk.toml")).unwrap_err();
    assert!(err.to_string().contains("budgets.chorus"), "{err}");
}

#[test]
fn robot_blobs_are_allowed_and_audited_with_their_name_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let g = gate(dir.path());
    let create = Action::BlobCreate {
        name: "rapport.pdf",
        bytes: 4096,
    };
    let permit = g.authorize(Some(3), &create).unwrap();
    assert_eq!(
        permit.scope(),
        &crate::Scope::Blob {
            name: "rapport.pdf".into(),
            bytes: 4096
        }
    );
    let records = read_records(&dir.path().join("audit.jsonl")).unwrap();
    let r = &records[0];
    assert_eq!(
        (r.capability.as_str(), r.action.as_str()),
        ("blob", "create")
    );
    assert_eq!((r.target.as_str(), r.bytes), ("rapport.pdf", 4096));
    assert_eq!(r.decision, Decision::Allow);
}
