//! Helpers shared by the end-to-end tests of the guide's robots
//! (`robot_*.rs`): a sandbox seeded for one démarche, the robot config's
//! DS section, the real `pont` binary run off the test's runtime, and the
//! journal's tables.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use pont_ds::{Champ, ChampValue, Dossier, DossierFilter, DsClient};
use pont_sandbox::model::State;
use pont_sandbox::{AppsConfig, Sandbox, SandboxConfig, Scenario, StateMix};
use rusqlite::Connection;

use crate::common::Ran;

/// The variable the robot configs read the DS token from.
pub const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// A sandbox whose démarche `demarche` holds `dossiers` en construction
/// (the other démarches are empty), with the rate limit out of the way.
pub async fn sandbox(demarche: i64, dossiers: usize, seed: u64, apps: AppsConfig) -> Sandbox {
    let sb = Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 0,
        rate_limit: 1_000_000,
        apps,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sb.world()
        .seed_scenario(&Scenario {
            demarche,
            dossiers,
            seed,
            states: StateMix::only(State::EnConstruction),
            deleted: 0,
            pending_deleted: 0,
        })
        .unwrap();
    sb
}

/// The `[ds]` section for the robot's own instructeur account.
pub fn ds_section(sb: &Sandbox, demarche: i64) -> String {
    format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\nrequests-per-minute = 100000\n\n",
        sb.ds_url(),
        pont_sandbox::seed::robot_instructeur_email(demarche).unwrap()
    )
}

pub fn client(sb: &Sandbox) -> DsClient {
    DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap()
}

/// Every dossier of `demarche`, by number, as DS gives them now.
pub async fn dossiers(sb: &Sandbox, demarche: i64) -> BTreeMap<i64, Dossier> {
    let c = client(sb);
    let mut out = BTreeMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = c
            .dossiers(
                &crate::common::ds_permits::listing(demarche),
                demarche,
                &DossierFilter::default(),
                after.as_deref(),
            )
            .await
            .unwrap();
        for d in page.items {
            out.insert(d.number, d);
        }
        if !page.has_next_page {
            return out;
        }
        after = page.end_cursor;
    }
}

/// Runs `pont run --allow-unsigned --json <extra args> cfg` with these
/// environment variables, off the runtime that serves the sandbox.
pub async fn run(cfg: &Path, extra: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut args: Vec<String> = vec!["run".into(), "--allow-unsigned".into(), "--json".into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(cfg.to_str().unwrap().to_string());
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(&args)
            .env(TOKEN_VAR, "sandbox-rw-all")
            .envs(env)
            .env("PONT_LOG", "info")
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
    .unwrap()
}

/// The champ labelled `label`.
pub fn champ<'a>(d: &'a Dossier, label: &str) -> &'a Champ {
    d.champs
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("dossier {} has no champ {label}", d.number))
}

/// The annotation labelled `label`.
pub fn annotation<'a>(d: &'a Dossier, label: &str) -> &'a ChampValue {
    &d.annotations
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("dossier {} has no annotation {label}", d.number))
        .value
}

/// The text of a text-like champ.
pub fn text(d: &Dossier, label: &str) -> String {
    match &champ(d, label).value {
        ChampValue::Text(s) | ChampValue::Date(s) | ChampValue::DropDown(s) => s.clone(),
        other => panic!("champ {label} of {}: {other:?}", d.number),
    }
}

/// The queue table: dossier → (status, attempts).
pub fn queue(journal: &Path) -> BTreeMap<i64, (String, u32)> {
    let c = Connection::open(journal).unwrap();
    let mut st = c
        .prepare("SELECT number, status, attempts FROM queue")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// `(number, attempt, outcome, reason)` of every attempt in the journal.
pub fn attempts(journal: &Path) -> Vec<(i64, u32, String, String)> {
    let c = Connection::open(journal).unwrap();
    let mut st = c
        .prepare("SELECT number, attempt, outcome, reason FROM items ORDER BY number, attempt")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// How many times DS applied `operation` to each dossier.
pub fn applied(sb: &Sandbox, operation: &str) -> BTreeMap<i64, usize> {
    let mut out = BTreeMap::new();
    for m in sb.world().mutation_log() {
        if m.applied
            && m.operation == operation
            && let Some(d) = m.dossier
        {
            *out.entry(d).or_default() += 1;
        }
    }
    out
}

/// Whether the run summary's ledger has a row towards `destination` with at
/// least one item (a GET without a body sends no bytes, yet is accounted).
pub fn ledger_reaches(summary: &serde_json::Value, destination: &str) -> bool {
    summary["ledger"].as_array().is_some_and(|rows| {
        rows.iter().any(|r| {
            r["destination"]
                .as_str()
                .is_some_and(|d| d.contains(destination))
                && r["items"].as_u64().unwrap_or(0) > 0
        })
    })
}
