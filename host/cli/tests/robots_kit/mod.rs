//! What the end-to-end tests of `chorus-subvention`, `chorus-paiement` and
//! `pj-actes` share: a sandbox seeded with dossiers en instruction, the
//! robot config (DS, one browser application, mounts, settings), the real
//! `pont` binary run off the test's runtime, DS reads through `pont-ds`, and
//! the journal's tables.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use pont_ds::{ChampValue, Dossier, DossierFilter, DsClient};
use pont_sandbox::Sandbox;
use pont_sandbox::apps::App;
use pont_sandbox::model::State;
use rusqlite::Connection;
use sha2::{Digest, Sha256};

use crate::common::{Env, Ran};

pub const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";

/// A sandbox whose démarche holds `dossiers` en instruction (the other
/// démarches are empty), with DS's rate limit out of the way.
pub async fn sandbox(demarche: i64, dossiers: usize) -> Sandbox {
    crate::common::seeded_sandbox(demarche, dossiers, 8, State::EnInstruction).await
}

pub fn client(sb: &Sandbox) -> DsClient {
    DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap()
}

/// Every dossier of the démarche, in order of arrival.
pub async fn dossiers(sb: &Sandbox, demarche: i64) -> Vec<Dossier> {
    let page = client(sb)
        .dossiers(
            &crate::common::ds_permits::listing(demarche),
            demarche,
            &DossierFilter::default(),
            None,
        )
        .await
        .unwrap();
    page.items
}

pub async fn dossier(sb: &Sandbox, number: i64) -> Dossier {
    client(sb)
        .dossier(&crate::common::ds_permits::read(number), number)
        .await
        .unwrap()
}

/// What a robot's config needs beyond the plugin: its app, mounts, settings.
pub struct Setup<'a> {
    pub robot: &'a str,
    pub demarche: i64,
    pub ds_actions: &'a [&'a str],
    /// The browser application label and the sandbox app behind it.
    pub app: (&'a str, App),
    /// Mount name → (directory under the test dir, access).
    pub mounts: &'a [(&'a str, &'a str, &'a str)],
    pub settings: BTreeMap<&'a str, String>,
}

/// Writes the robot config: the queue is the démarche's dossiers en instruction.
pub fn config(env: &Env, sb: &Sandbox, s: &Setup<'_>) -> PathBuf {
    let instructeur = pont_sandbox::seed::robot_instructeur_email(s.demarche).unwrap();
    let actions: Vec<String> = s.ds_actions.iter().map(|a| format!("{a:?}")).collect();
    let mut extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\nrequests-per-minute = 100000\n\n\
         [grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{d}]\nactions = [{a}]\n\n\
         [grant.browser.{app}]\norigin = \"{origin}\"\nstable-id = \"id\"\n\n",
        ds = sb.ds_url(),
        d = s.demarche,
        a = actions.join(", "),
        app = s.app.0,
        origin = sb.app_url(s.app.1),
    );
    for (name, dir, access) in s.mounts {
        std::fs::create_dir_all(env.path(dir)).unwrap();
        extra.push_str(&format!(
            "[grant.mounts.{name}]\npath = \"{dir}\"\naccess = \"{access}\"\n\n"
        ));
    }
    extra.push_str(&format!(
        "[limits]\nitem-timeout-secs = 180\n\n[queue]\ndemarche = {}\nstates = [\"en_instruction\"]\n\n[settings]\n",
        s.demarche
    ));
    for (k, v) in &s.settings {
        extra.push_str(&format!("{k:?} = {v:?}\n"));
    }
    env.config(
        &pont_test_artifacts::wasm(s.robot),
        &pont_test_artifacts::plugin_manifest(s.robot),
        &extra,
    )
}

/// `pont run --json` on `cfg`, off the test's runtime (which keeps serving
/// the sandbox meanwhile).
pub async fn run(cfg: &Path) -> Ran {
    let cfg = cfg.to_path_buf();
    let ran = tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()])
            .env(TOKEN_VAR, "sandbox-rw-all")
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
    .unwrap();
    ran.assert_no_panic();
    ran
}

/// The run summary's item for dossier `n`.
pub fn item(summary: &serde_json::Value, n: i64) -> serde_json::Value {
    summary["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"] == n)
        .unwrap_or_else(|| panic!("no item {n} in {summary}"))
        .clone()
}

/// The ledger row from `source` to `destination` (substrings), if any.
pub fn ledger<'a>(
    summary: &'a serde_json::Value,
    source: &str,
    destination: &str,
) -> Option<&'a serde_json::Value> {
    summary["ledger"].as_array()?.iter().find(|r| {
        r["source"].as_str().unwrap_or("").contains(source)
            && r["destination"]
                .as_str()
                .unwrap_or("")
                .contains(destination)
    })
}

/// The journal's queue: dossier → status.
pub fn queue(env: &Env) -> BTreeMap<i64, String> {
    let c = Connection::open(env.path("journal.sqlite")).unwrap();
    let mut st = c.prepare("SELECT number, status FROM queue").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Today in UTC, as the robots date their work.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The bytes of a DS file, downloaded by the test itself.
pub async fn download(sb: &Sandbox, file: &pont_ds::DsFile) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    client(sb)
        .download(&crate::common::ds_permits::read(0), file, &path)
        .await
        .unwrap();
    std::fs::read(&path).unwrap()
}

pub fn champ<'a>(d: &'a Dossier, label: &str) -> &'a ChampValue {
    &d.champs
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("no champ {label}"))
        .value
}

pub fn annotation<'a>(d: &'a Dossier, label: &str) -> &'a ChampValue {
    &d.annotations
        .iter()
        .find(|c| c.label == label)
        .unwrap_or_else(|| panic!("no annotation {label}"))
        .value
}

pub fn files(v: &ChampValue) -> Vec<pont_ds::DsFile> {
    match v {
        ChampValue::Files(f) => f.clone(),
        _ => Vec::new(),
    }
}

/// The values of a sheet's row as a person reads them (dates in their
/// number format), 1-based row, `cols` columns.
pub fn row(path: &Path, sheet: &str, row: u32, cols: u32) -> Vec<String> {
    let book = umya_spreadsheet::reader::xlsx::read(path).unwrap();
    let ws = book.sheet_by_name(sheet).unwrap();
    (1..=cols).map(|c| ws.formatted_value((c, row))).collect()
}

/// A workbook with `header` on row 1 of `sheet` (bold), the rows given, and
/// a second sheet "Notes" the robots must leave alone.
pub fn workbook(path: &Path, sheet: &str, header: &[&str], rows: &[Vec<String>]) {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name(sheet);
    for (i, h) in header.iter().enumerate() {
        let col = u32::try_from(i).unwrap() + 1;
        ws.cell_mut((col, 1)).set_value_string(*h);
        ws.style_mut((col, 1)).font_mut().set_bold(true);
    }
    for (r, values) in rows.iter().enumerate() {
        for (c, v) in values.iter().enumerate() {
            let cell = ws.cell_mut((u32::try_from(c).unwrap() + 1, u32::try_from(r).unwrap() + 2));
            match v.parse::<f64>() {
                Ok(n) if !v.starts_with('0') || v == "0" => cell.set_value_number(n),
                _ => cell.set_value_string(v.clone()),
            };
        }
    }
    let notes = book.new_sheet("Notes").unwrap();
    notes
        .cell_mut((1, 1))
        .set_value_string("Tenu par le service");
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}
