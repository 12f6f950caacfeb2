//! The gate in the types, tried from outside: the hostile robot
//! (`tests/fixtures/escape`) makes DS calls the gate must refuse, and the DS
//! simulator's request counter shows that a refused call sent nothing. A
//! dossier the robot may not see looks the same whether it is in an
//! ungranted démarche or does not exist, and both are audited.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{Env, Ran};
use pont_sandbox::model::State;
use pont_sandbox::{Sandbox, Scenario, StateMix};
use pont_test_artifacts::{fixture_manifest, wasm};

const TOKEN_VAR: &str = "PONT_TEST_GATE_TYPES_DS_TOKEN";
const DEMARCHE: i64 = 101;
const FOREIGN_DEMARCHE: i64 = 102;
/// A dossier of the démarche the robot is not granted.
const FOREIGN: i64 = FOREIGN_DEMARCHE * 100_000 + 1;
/// A dossier number DS does not know.
const MISSING: i64 = FOREIGN_DEMARCHE * 100_000 + 99_999;

async fn sandbox() -> Sandbox {
    let sb = common::seeded_sandbox(DEMARCHE, 4, 3, State::EnConstruction).await;
    sb.world()
        .seed_scenario(&Scenario {
            demarche: FOREIGN_DEMARCHE,
            dossiers: 2,
            seed: 4,
            states: StateMix::only(State::EnInstruction),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    sb
}

/// Every GraphQL request the simulator received so far.
fn ds_requests(sb: &Sandbox) -> u32 {
    sb.world()
        .request_counts()
        .iter()
        .map(|c| c.allowed + c.throttled)
        .sum()
}

/// The escape robot granted DS `read` on [`DEMARCHE`] only (and, unused,
/// what else its manifest requests); `attacks` maps its dossiers to attacks.
fn config(env: &Env, sb: &Sandbox, attacks: &BTreeMap<i64, &str>) -> std::path::PathBuf {
    for dir in ["data", "out"] {
        std::fs::create_dir_all(env.path(dir)).unwrap();
    }
    let queue: Vec<String> = attacks.keys().map(i64::to_string).collect();
    let settings: String = attacks
        .iter()
        .map(|(n, a)| format!("\"{n}\" = \"{a}\"\n"))
        .collect();
    let unused = "http://127.0.0.1:9";
    let extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\n\
         [grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\"]\n\n\
         [grant.http.echo]\norigin = \"{unused}\"\n\n\
         [grant.http.by-name]\norigin = \"http://localhost:9\"\n\n\
         [grant.browser.chorus]\norigin = \"{unused}\"\n\n\
         [grant.secrets.token]\nenv = \"{TOKEN_VAR}\"\norigins = [\"{unused}\"]\n\n\
         [grant.mounts.data]\npath = \"data\"\naccess = \"read-only\"\n\n\
         [grant.mounts.out]\npath = \"out\"\naccess = \"read-write\"\n\n\
         [queue]\ndossiers = [{queue}]\nmax-attempts = 1\n\n\
         [settings]\nforeign = \"{FOREIGN}\"\nmissing = \"{MISSING}\"\n{settings}",
        ds = sb.ds_url(),
        instructeur = pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap(),
        queue = queue.join(", "),
    );
    env.config(&wasm("escape"), &fixture_manifest("escape"), &extra)
}

/// Run the escape robot on `attacks`; returns the run, its directory and
/// the DS requests the run made.
async fn run(sb: &Sandbox, attacks: &[&str]) -> (Ran, Env, u32) {
    let env = Env::new();
    let attacks: BTreeMap<i64, &str> = (0..).map(nth).zip(attacks.iter().copied()).collect();
    let cfg = config(&env, sb, &attacks).display().to_string();
    let before = ds_requests(sb);
    let ran = tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(["run", "--json", "--allow-unsigned", &cfg])
            .env(TOKEN_VAR, "sandbox-rw-all")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap();
    ran.assert_no_panic();
    let sent = ds_requests(sb).saturating_sub(before);
    (ran, env, sent)
}

/// The dossier of the `i`-th attack of a run.
fn nth(i: usize) -> i64 {
    DEMARCHE * 100_000 + 1 + i as i64
}

/// The reason each item ended with, in attack order.
fn reasons(ran: &Ran, attacks: usize) -> Vec<String> {
    let summary = ran.json();
    let items = summary["items"].as_array().unwrap();
    (0..attacks)
        .map(|i| {
            let item = items.iter().find(|it| it["number"] == nth(i));
            let reason = item.and_then(|it| it["reason"].as_str());
            reason.unwrap_or_default().to_string()
        })
        .collect()
}

/// The DS denials audited while handling the `i`-th attack.
fn denials(env: &Env, i: usize) -> Vec<serde_json::Value> {
    env.audit()
        .into_iter()
        .filter(|r| r["item"] == nth(i) && r["decision"] == "deny" && r["capability"] == "ds")
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_ds_call_sends_nothing_to_ds() {
    let sb = sandbox().await;
    // The same dossiers with attacks that make no DS call: the host's own
    // traffic (the queue), which the denied run must not exceed.
    let (_, _, baseline) = run(&sb, &["none", "none", "none"]).await;
    let denied = ["ds-action", "ds-foreign-refuser", "ds-demarche"];
    let (ran, env, sent) = run(&sb, &denied).await;
    for (i, (attack, reason)) in denied.iter().zip(reasons(&ran, 3)).enumerate() {
        assert!(reason.starts_with("stopped:"), "{attack}: {reason}");
        assert_eq!(denials(&env, i).len(), 1, "{attack}: one denial");
    }
    assert_eq!(
        sent, baseline,
        "the denied calls reached DS: {sent} requests against {baseline} without them"
    );
    // The refuser on a foreign dossier was decided on its action alone.
    let foreign = &denials(&env, 1)[0];
    assert_eq!(foreign["action"], "locate.refuser", "{foreign}");
    assert_eq!(foreign["target"], format!("dossier:{FOREIGN}"), "{foreign}");
    assert!(
        foreign["reason"]
            .as_str()
            .unwrap()
            .contains("not granted: DS action `refuser`"),
        "{foreign}"
    );
    assert_eq!(
        sb.world().dossier(FOREIGN).unwrap().state,
        State::EnInstruction
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_outside_the_grant_and_a_missing_one_look_the_same() {
    let sb = sandbox().await;
    let (ran, env, _) = run(&sb, &["ds-foreign-read", "ds-missing-read"]).await;
    let said = reasons(&ran, 2);
    let [foreign, missing] = [&said[0], &said[1]];
    assert!(foreign.starts_with("stopped:"), "{foreign}");
    assert_eq!(
        foreign.replace(&FOREIGN.to_string(), "N"),
        missing.replace(&MISSING.to_string(), "N"),
        "the robot can tell them apart"
    );
    assert!(!foreign.contains("démarche 102"), "{foreign}");
    // The operator can: each is audited with what really happened.
    let audit: Vec<_> = (0..2).flat_map(|i| denials(&env, i)).collect();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(
        audit[0]["target"],
        format!("demarche:{FOREIGN_DEMARCHE}/dossier:{FOREIGN}")
    );
    assert!(
        audit[0]["reason"]
            .as_str()
            .unwrap()
            .contains("not granted: démarche 102"),
        "{}",
        audit[0]
    );
    assert_eq!(audit[1]["target"], format!("dossier:{MISSING}"));
    assert!(
        audit[1]["reason"].as_str().unwrap().contains("not found"),
        "{}",
        audit[1]
    );
}
