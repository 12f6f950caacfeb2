//! A robot using the `ds` capability against the DS simulator: reads and
//! changes go through the gate; ungranted démarches and actions are denied
//! and audited.

mod common;

use std::process::Command;

use common::{Env, Ran};
use pont_ds::{DossierFilter, DsClient};
use pont_sandbox::model::State;
use pont_sandbox::{Sandbox, SandboxConfig, Scenario, StateMix};
use pont_test_artifacts::{fixture_manifest, wasm};

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// The sandbox with démarche 101 seeded en construction; returns the
/// instructeur of its first groupe and that groupe's dossiers.
async fn world() -> (Sandbox, String, Vec<i64>) {
    let sb = Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 4,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sb.world()
        .seed_scenario(&Scenario {
            demarche: 101,
            dossiers: 6,
            seed: 5,
            states: StateMix::only(State::EnConstruction),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    let c = DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap();
    let dem = c
        .demarche(&crate::common::ds_permits::listing(101), 101)
        .await
        .unwrap();
    let groupe = &dem.groupes[0];
    let page = c
        .dossiers(
            &crate::common::ds_permits::listing(101),
            101,
            &DossierFilter::default(),
            None,
        )
        .await
        .unwrap();
    let numbers = page
        .items
        .iter()
        .filter(|d| d.groupe_instructeur.number == groupe.number)
        .map(|d| d.number)
        .collect();
    (sb, groupe.instructeurs[0].email.clone(), numbers)
}

fn config(
    env: &Env,
    sb: &Sandbox,
    instructeur: &str,
    demarches: &str,
    manifest: &std::path::Path,
    queue: &[i64],
) -> std::path::PathBuf {
    let extra = format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\n[grant]\nlog = true\n\n[grant.ds]\ndemarches = [{demarches}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n[queue]\ndossiers = {queue:?}\n",
        sb.ds_url()
    );
    env.config(&wasm("ds-clerk"), manifest, &extra)
}

fn run(cfg: &std::path::Path) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()])
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_reads_and_accepts_dossiers_once_each() {
    let (sb, instructeur, numbers) = world().await;
    assert!(numbers.len() >= 2, "{numbers:?}");
    let env = Env::new();
    let cfg = config(
        &env,
        &sb,
        &instructeur,
        "101",
        &fixture_manifest("ds-clerk"),
        &numbers,
    );
    let ran = tokio::task::spawn_blocking(move || run(&cfg))
        .await
        .unwrap();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.json()["done"], numbers.len());
    for n in &numbers {
        assert_eq!(sb.world().dossier(*n).unwrap().state, State::Accepte);
        let applied: Vec<String> = sb
            .world()
            .mutation_log()
            .into_iter()
            .filter(|m| m.dossier == Some(*n) && m.applied)
            .map(|m| m.operation)
            .collect();
        assert_eq!(
            applied,
            ["dossierPasserEnInstruction", "dossierAccepter"],
            "dossier {n}"
        );
    }
    // The ledger's DS line matches what the simulator received: one item per
    // mutation request, and the bytes of their GraphQL bodies as they arrived.
    let sent = common::robot_ds_bodies(&sb);
    let received: u64 = sent.iter().map(|b| b.bytes).sum();
    let applied = sb
        .world()
        .mutation_log()
        .iter()
        .filter(|m| m.applied)
        .count();
    let ledger = ran.json()["ledger"].clone();
    let ds_line = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["destination"].as_str().unwrap().starts_with("DS "))
        .unwrap_or_else(|| panic!("no DS line in {ledger}"))
        .clone();
    assert!(received > 0);
    assert_eq!(ds_line["bytes"], received, "{ledger}");
    assert_eq!(ds_line["items"], applied, "{ledger}");
    assert_eq!(sent.len(), applied, "one request per mutation: {sent:?}");
    // The token never reaches the journal, the audit log or the summary.
    for file in ["audit.jsonl", "journal.sqlite"] {
        let bytes = std::fs::read(env.path(file)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("sandbox-rw-all"),
            "token in {file}"
        );
    }
    assert!(!ran.stdout.contains("sandbox-rw-all") && !ran.stderr.contains("sandbox-rw-all"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ungranted_demarche_and_an_ungranted_action_are_denied_and_audited() {
    let (sb, instructeur, numbers) = world().await;
    let n = numbers[0];

    // Granted démarche 102 only: reading a dossier of 101 is denied.
    let env = Env::new();
    let cfg = config(
        &env,
        &sb,
        &instructeur,
        "102",
        &fixture_manifest("ds-clerk"),
        &[n],
    );
    let ran = tokio::task::spawn_blocking(move || run(&cfg))
        .await
        .unwrap();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let reason = ran.json()["items"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        // The robot hears what it would for a dossier that does not exist.
        reason.starts_with("read: DsError::Denied")
            && reason.contains("not found in the démarches granted to this robot")
            && !reason.contains("démarche 101"),
        "{reason}"
    );
    let denied: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|r| r["decision"] == "deny")
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0]["target"], format!("demarche:101/dossier:{n}"));
    // The operator learns the real reason from the audit log.
    assert!(
        denied[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not granted: démarche 101"),
        "{}",
        denied[0]
    );

    // A manifest that does not request `accepter`: the robot calls it anyway.
    let env = Env::new();
    let manifest = env.path("pont.toml");
    let text = std::fs::read_to_string(fixture_manifest("ds-clerk"))
        .unwrap()
        .replace(", \"accepter\"", "");
    std::fs::write(&manifest, text).unwrap();
    let cfg = config(&env, &sb, &instructeur, "101", &manifest, &[n]);
    let ran = tokio::task::spawn_blocking(move || run(&cfg))
        .await
        .unwrap();
    assert_eq!(ran.code, 3, "{}", ran.stderr);
    let reason = ran.json()["items"][0]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.starts_with("accepter: DsError::Denied") && reason.contains("DS action `accepter`"),
        "{reason}"
    );
    let audit = env.audit();
    let last = audit.last().unwrap();
    assert_eq!(
        (
            last["capability"].as_str(),
            last["action"].as_str(),
            last["decision"].as_str()
        ),
        (Some("ds"), Some("accepter"), Some("deny"))
    );
    // Passing en instruction was granted and done; accepting was never sent.
    let ops: Vec<String> = sb
        .world()
        .mutation_log()
        .into_iter()
        .filter(|m| m.dossier == Some(n))
        .map(|m| m.operation)
        .collect();
    assert_eq!(ops, ["dossierPasserEnInstruction"]);
}
