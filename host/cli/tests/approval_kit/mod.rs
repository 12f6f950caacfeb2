//! The four-eyes world shared by the CLI test (`approval.rs`) and the
//! console's Chromium test: the sandbox with dossiers en construction in
//! démarche 101, the `refuser` fixture robot (refuses every dossier with
//! "Pièce justificative manquante (dossier N)"), its config with an
//! `[approval]` section, and readers of what reached DS.
//!
//! Include it with `#[path = "approval_kit/mod.rs"] mod approval_kit;`
//! from any test of `pont-cli` (it runs the `pont` binary of the crate).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use pont_sandbox::model::{Event, State};
use pont_sandbox::seed::robot_instructeur_email;
use pont_sandbox::{ApplicantEdit, Sandbox};
use pont_test_artifacts::{fixture_manifest, wasm};

pub const DEMARCHE: i64 = 101;
pub const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
pub const TOKEN: &str = "sandbox-rw-all";

/// The sandbox with `dossiers` en construction in démarche 101 (the other
/// démarches empty, no rate limit in the way).
pub async fn world(dossiers: usize) -> Sandbox {
    Sandbox::seeded(DEMARCHE, dossiers, 20, State::EnConstruction)
        .await
        .unwrap()
}

/// The dossier numbers of démarche 101, in order.
pub fn numbers(sb: &Sandbox) -> Vec<i64> {
    let st = sb.world().lock();
    let mut out: Vec<i64> = st
        .dossiers
        .values()
        .filter(|d| d.demarche == DEMARCHE)
        .map(|d| d.number)
        .collect();
    out.sort();
    out
}

/// The `refuser` robot's config in `dir` with `approval` as its
/// `[approval]` section body (e.g. `required = ["refuser"]`).
pub fn config(dir: &Path, sb: &Sandbox, approval: &str) -> PathBuf {
    config_with(dir, sb, approval, "")
}

/// [`config`] with the robot's `[settings]` body (`motif = "…"`, `justificatif = "…"`).
pub fn config_with(dir: &Path, sb: &Sandbox, approval: &str, settings: &str) -> PathBuf {
    let manifest = dir.join("pont.toml");
    std::fs::copy(fixture_manifest("refuser"), &manifest).unwrap();
    let text = format!(
        "[plugin]\npath = {:?}\nmanifest = {:?}\n\n\
         [paths]\njournal = \"journal.sqlite\"\naudit = \"audit.jsonl\"\ncache = \"cache\"\n\n\
         [ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"refuser\", \"message\"]\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\", \"en_instruction\"]\n\n\
         [approval]\n{approval}\n\n[settings]\n{settings}\n",
        wasm("refuser").display().to_string(),
        manifest.display().to_string(),
        sb.ds_url(),
        robot_instructeur_email(DEMARCHE).unwrap()
    );
    let path = dir.join("robot.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Run `pont` with the DS token and `vars` set, as the user `agent`.
pub fn pont_as(agent: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(args)
        .env(TOKEN_VAR, TOKEN)
        .env("USER", agent)
        .env("PONT_LOG", "warn")
        .env("NO_COLOR", "1")
        .envs(vars.iter().copied())
        .output()
        .expect("running pont")
}

/// `pont run` of `cfg`, asserting success; its JSON report.
pub fn run(cfg: &Path) -> serde_json::Value {
    let out = pont_as(
        "operator",
        &["run", "--allow-unsigned", "--json", s(cfg)],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "pont run failed:\n{stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every proposal of the robot (`pont review proposals --all --json`).
pub fn proposals(cfg: &Path) -> Vec<serde_json::Value> {
    let out = pont_as(
        "operator",
        &["review", "proposals", "--all", "--json", s(cfg)],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The refusals DS applied, per dossier: how many times, and the
/// motivation and instructeur e-mail of the dossier's refusal.
pub fn refusals(sb: &Sandbox) -> BTreeMap<i64, (usize, String, String)> {
    let mut counts = BTreeMap::<i64, usize>::new();
    for m in sb.world().mutation_log() {
        if m.applied && m.operation == "dossierRefuser" {
            *counts.entry(m.dossier.unwrap()).or_default() += 1;
        }
    }
    let world = sb.world();
    counts
        .into_iter()
        .map(|(n, count)| {
            let d = world.dossier(n).unwrap();
            let t = d
                .traitements
                .iter()
                .rev()
                .find(|t| t.event == Event::Refuse);
            let t = t.expect("a refused dossier has its traitement");
            let motivation = t.motivation.clone().unwrap_or_default();
            (n, (count, motivation, t.email.clone().unwrap_or_default()))
        })
        .collect()
}

/// The applicant writes to the instructeurs: the dossier's
/// `dateDerniereModification` moves (DS dates have whole seconds).
pub fn applicant_writes(sb: &Sandbox, number: i64) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sb.applicant_edit(
        number,
        ApplicantEdit::message("J'ajoute la pièce demandée."),
    )
    .unwrap();
}

/// The bodies of the messages the instructeurs sent on the dossier.
pub fn messages(sb: &Sandbox, number: i64) -> Vec<String> {
    let d = sb.world().dossier(number).unwrap();
    let robot_or_agent = |e: &str| !e.starts_with("usager");
    d.messages
        .iter()
        .filter(|m| robot_or_agent(&m.email))
        .map(|m| m.body.clone())
        .collect()
}

/// An instructeur of the dossier's groupe other than the robot's.
pub fn agent_instructeur(sb: &Sandbox, number: i64) -> String {
    let robot = robot_instructeur_email(DEMARCHE).unwrap();
    let st = sb.world().lock();
    let d = &st.dossiers[&number];
    let groupe = st.demarches[&DEMARCHE]
        .groupes
        .iter()
        .find(|g| g.id == d.groupe)
        .unwrap();
    groupe
        .instructeurs
        .iter()
        .map(|id| st.instructeurs[id].email.clone())
        .find(|e| *e != robot)
        .expect("a groupe with a human instructeur")
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
