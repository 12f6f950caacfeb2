//! `coherence-agents` end to end, with the real `pont` binary and real
//! Chromium against the sandbox: inconsistent declarations get one DS
//! correction request naming what is wrong; consistent ones are passed en
//! instruction, exported to Excel and entered in the HR tool (SIRH); every
//! dossier gets a row in the activity report and its verdict in the
//! annotations. The test judges each seeded declaration with its own
//! reading of the rules, so a robot that judged wrongly fails it.
//!
//! The Python port (`plugins/coherence-agents-py`) runs the very same tests:
//! each test body takes the robot it checks, so the two are shown equivalent.

mod common;
mod robots_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::Env;
use pont_ds::{ChampValue, CorrectionReason, Dossier, DossierState};
use pont_sandbox::{
    App, ApplicantEdit, AppsConfig, ChampEdit, ChampValue as ApplicantValue, Sandbox,
};
use pont_test_artifacts::{foreign_cache, foreign_wasm, plugin_manifest, wasm};
use robots_common as rc;

const DEMARCHE: i64 = 104;
const DOSSIERS: usize = 24;

/// The robot under test: its component, its manifest, and the compiled
/// component cache it runs with (`None`: the test's own, empty).
struct Robot {
    wasm: PathBuf,
    manifest: PathBuf,
    cache: Option<PathBuf>,
}

fn rust() -> Robot {
    Robot {
        wasm: wasm("coherence-agents"),
        manifest: plugin_manifest("coherence-agents"),
        cache: None,
    }
}

/// The Python port. Its 18 MB component is compiled once into a cache the
/// tests share, as an operator's runs share `~/.cache/pont`.
fn python() -> Robot {
    Robot {
        wasm: foreign_wasm("coherence-agents-py"),
        manifest: plugin_manifest("coherence-agents-py"),
        cache: Some(foreign_cache()),
    }
}

/// An empty workbook with one sheet and its header row.
fn workbook(path: &Path, sheet: &str, headers: &[&str]) {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name(sheet);
    for (i, h) in headers.iter().enumerate() {
        ws.cell_mut((u32::try_from(i).unwrap() + 1, 1))
            .set_value_string(*h);
    }
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}

fn config(env: &Env, sb: &Sandbox, robot: &Robot) -> PathBuf {
    let dir = env.path("rapports");
    std::fs::create_dir_all(&dir).unwrap();
    workbook(
        &dir.join("export-agents.xlsx"),
        "Agents",
        &[
            "Dossier",
            "Matricule",
            "Nom",
            "Prénom",
            "Courriel",
            "Date d’entrée",
            "Services",
            "Région",
            "Temps complet",
            "Rémunération",
            "SIRET",
            "IBAN",
        ],
    );
    workbook(
        &dir.join("rapport-activite.xlsx"),
        "Activité",
        &["Date", "Dossier", "Résultat", "Anomalies", "Référence SIRH"],
    );
    let extra = format!(
        "{ds}[grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"message\", \"annotations\", \"passer-en-instruction\"]\n\n\
         [grant.browser.sirh]\norigin = \"{sirh}\"\nstable-id = \"id\"\n\n\
         [grant.mounts.rapports]\npath = \"rapports\"\naccess = \"read-write\"\n\n\
         [limits]\nitem-timeout-secs = 120\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\n\n\
         [settings]\nsirh = \"{sirh}\"\n",
        ds = rc::ds_section(sb, DEMARCHE),
        sirh = sb.app_url(App::Sirh),
    );
    let cfg = env.config(&robot.wasm, &robot.manifest, &extra);
    if let Some(cache) = &robot.cache {
        let text = std::fs::read_to_string(&cfg).unwrap();
        let shared = format!("cache = {:?}", cache.display().to_string());
        std::fs::write(&cfg, text.replace("cache = \"cache\"", &shared)).unwrap();
    }
    cfg
}

/// ISO 13616 check digits.
fn iban_ok(text: &str) -> bool {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() != 27 || !s.starts_with("FR") {
        return false;
    }
    let moved = format!("{}{}", &s[4..], &s[..4]);
    let rem = moved.chars().fold(0u64, |r, c| match c.to_digit(36) {
        Some(v) if v >= 10 => (r * 100 + u64::from(v)) % 97,
        Some(v) => (r * 10 + u64::from(v)) % 97,
        None => 9999,
    });
    rem == 1
}

fn date(v: &ChampValue) -> Option<String> {
    match v {
        ChampValue::Date(s) => Some(s[..10].to_string()),
        _ => None,
    }
}

/// The champs a correction must name for this declaration (empty: consistent).
fn expected_anomalies(d: &Dossier) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let entree = date(&rc::champ(d, "Date d’entrée").value).unwrap();
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    if entree > today {
        out.insert("Date d’entrée");
    }
    for row in &rc::champ(d, "Affectations").rows {
        let debut = row
            .cells
            .iter()
            .find(|c| c.label == "Début")
            .and_then(|c| date(&c.value));
        if debut.is_none_or(|s| s < entree || s > today) {
            out.insert("Affectations");
        }
    }
    match &rc::champ(d, "Rémunération brute annuelle (€)").value {
        ChampValue::Decimal(x) if *x > 0.0 && *x <= 200_000.0 => {}
        _ => {
            out.insert("Rémunération brute annuelle (€)");
        }
    }
    if !iban_ok(&rc::text(d, "IBAN")) {
        out.insert("IBAN");
    }
    if !matches!(&rc::champ(d, "RIB").value, ChampValue::Files(f) if !f.is_empty()) {
        out.insert("RIB");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inconsistent_declarations_get_a_correction_and_consistent_ones_are_exported() {
    first_run(rust()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_inconsistent_declarations_get_a_correction_and_consistent_ones_are_exported() {
    first_run(python()).await;
}

async fn first_run(robot: Robot) {
    let apps = AppsConfig {
        reveal_delay_ms: 100,
        ..AppsConfig::default()
    };
    let sb = rc::sandbox(DEMARCHE, DOSSIERS, 104, apps).await;
    let before = rc::dossiers(&sb, DEMARCHE).await;
    let verdicts: BTreeMap<i64, BTreeSet<&str>> = before
        .iter()
        .map(|(n, d)| (*n, expected_anomalies(d)))
        .collect();
    let consistent: BTreeSet<i64> = verdicts
        .iter()
        .filter(|(_, a)| a.is_empty())
        .map(|(n, _)| *n)
        .collect();
    assert!(
        !consistent.is_empty() && consistent.len() < DOSSIERS,
        "{verdicts:?}"
    );

    let env = Env::new();
    let cfg = config(&env, &sb, &robot);
    let ran = rc::run(&cfg, &[], &[]).await;
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], DOSSIERS as u64, "{summary}");
    assert_eq!(summary["failed"], 0);

    check_ds(&sb, &verdicts).await;
    check_sirh(&sb, &before, &consistent);
    check_sheets(&env, &before, &verdicts);
    assert!(rc::ledger_reaches(&summary, &sb.app_url(App::Sirh)));
    let queue = rc::queue(&env.path("journal.sqlite"));
    assert!(queue.values().all(|(s, _)| s == "done"), "{queue:?}");
    sb.shutdown().await;
}

/// States, messages and annotations as DS has them now.
async fn check_ds(sb: &Sandbox, verdicts: &BTreeMap<i64, BTreeSet<&str>>) {
    let after = rc::dossiers(sb, DEMARCHE).await;
    let client = rc::client(sb);
    let robot = pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap();
    let sent = rc::applied(sb, "dossierEnvoyerMessage");
    let passed = rc::applied(sb, "dossierPasserEnInstruction");
    for (n, anomalies) in verdicts {
        let d = &after[n];
        let ok = anomalies.is_empty();
        assert_eq!(rc::annotation(d, "Cohérent"), &ChampValue::YesNo(ok), "{n}");
        let mine: Vec<_> = client
            .messages(&crate::common::ds_permits::read(*n), *n)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.email == robot)
            .collect();
        if ok {
            assert_eq!(d.state, DossierState::EnInstruction, "{n}");
            assert_eq!(passed.get(n), Some(&1), "{n}");
            assert!(mine.is_empty() && !sent.contains_key(n), "{n}: {mine:?}");
            continue;
        }
        assert_eq!(d.state, DossierState::EnConstruction, "{n}");
        assert!(!passed.contains_key(n), "{n}");
        assert_eq!(sent.get(n), Some(&1), "{n}");
        assert_eq!(mine.len(), 1, "{n}: {mine:?}");
        let only_missing = anomalies.iter().all(|a| *a == "RIB");
        let reason = &mine[0].correction.as_ref().expect("a correction").reason;
        let want = if only_missing {
            CorrectionReason::Incomplete
        } else {
            CorrectionReason::Incorrect
        };
        assert_eq!(reason, &want, "{n}");
        let ChampValue::Text(noted) = rc::annotation(d, "Anomalies relevées") else {
            panic!("{n}: anomalies annotation")
        };
        for champ in anomalies {
            assert!(
                mine[0].body.contains(champ),
                "{n}: {champ} not in {}",
                mine[0].body
            );
            assert!(noted.contains(champ), "{n}: {champ} not in {noted}");
        }
    }
}

/// The SIRH holds exactly the consistent agents, once each.
fn check_sirh(sb: &Sandbox, before: &BTreeMap<i64, Dossier>, consistent: &BTreeSet<i64>) {
    let records = sb.app_records(App::Sirh);
    assert_eq!(records.len(), consistent.len(), "{records:?}");
    let got: BTreeSet<(String, String, String)> = records
        .iter()
        .map(|r| {
            let s = |k: &str| r.data[k].as_str().unwrap().to_string();
            (s("matricule"), s("nom"), s("date_entree"))
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = consistent
        .iter()
        .map(|n| {
            let d = &before[n];
            let ChampValue::Integer(m) = rc::champ(d, "Matricule").value else {
                panic!("matricule of {n}")
            };
            (
                m.to_string(),
                rc::text(d, "Nom"),
                rc::text(d, "Date d’entrée"),
            )
        })
        .collect();
    assert_eq!(got, want);
}

/// Column `col` (1-based) of the data rows of a sheet, as text.
fn column(path: &Path, sheet: &str, col: u32) -> Vec<String> {
    let book = umya_spreadsheet::reader::xlsx::read(path).unwrap();
    let ws = book.sheet_by_name(sheet).unwrap();
    let rows = ws.highest_row();
    (2..=rows).map(|r| ws.value((col, r))).collect()
}

/// One export row per consistent agent, one report row per dossier.
fn check_sheets(
    env: &Env,
    before: &BTreeMap<i64, Dossier>,
    verdicts: &BTreeMap<i64, BTreeSet<&str>>,
) {
    let export = env.path("rapports/export-agents.xlsx");
    let numbers = column(&export, "Agents", 1);
    let want: Vec<String> = verdicts
        .iter()
        .filter(|(_, a)| a.is_empty())
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(numbers, want);
    let ibans = column(&export, "Agents", 12);
    for (n, iban) in want.iter().zip(&ibans) {
        let d = &before[&n.parse::<i64>().unwrap()];
        let typed: String = rc::text(d, "IBAN").split_whitespace().collect();
        assert_eq!(iban, &typed);
    }

    let report = env.path("rapports/rapport-activite.xlsx");
    let dossiers = column(&report, "Activité", 2);
    let results = column(&report, "Activité", 3);
    let refs = column(&report, "Activité", 5);
    assert_eq!(dossiers.len(), DOSSIERS);
    for ((n, result), reference) in dossiers.iter().zip(&results).zip(&refs) {
        let ok = verdicts[&n.parse::<i64>().unwrap()].is_empty();
        let want = if ok {
            "cohérent"
        } else {
            "correction demandée"
        };
        assert_eq!(result, want, "{n}");
        assert_eq!(reference.starts_with("AG-"), ok, "{n}: {reference}");
    }
}

/// An IBAN with valid check digits, the applicant's corrected one.
const GOOD_IBAN: &str = "FR76 3000 6000 0112 3456 7890 189";

/// The guide's loop: an inconsistent declaration gets a correction request;
/// the applicant corrects it in DS (which resolves the request); the next
/// run handles the dossier as a new episode and passes it en instruction.
/// DS saw exactly one correction request and one passage for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrected_declaration_is_checked_again_and_passed() {
    corrected(rust()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_a_corrected_declaration_is_checked_again_and_passed() {
    corrected(python()).await;
}

async fn corrected(robot: Robot) {
    let apps = AppsConfig {
        reveal_delay_ms: 100,
        ..AppsConfig::default()
    };
    let sb = rc::sandbox(DEMARCHE, 10, 104, apps).await;
    let before = rc::dossiers(&sb, DEMARCHE).await;
    // A declaration whose only faults the applicant can fix by typing.
    let fixable = ["IBAN", "Rémunération brute annuelle (€)"];
    let (number, anomalies) = before
        .iter()
        .map(|(n, d)| (*n, expected_anomalies(d)))
        .find(|(_, a)| !a.is_empty() && a.iter().all(|c| fixable.contains(c)))
        .expect("a declaration with a fixable anomaly in the seed");
    let env = Env::new();
    let cfg = config(&env, &sb, &robot);
    let first = rc::run(&cfg, &[], &[]).await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        rc::applied(&sb, "dossierEnvoyerMessage").get(&number),
        Some(&1)
    );

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let mut edits = Vec::new();
    for champ in &anomalies {
        let value = match *champ {
            "IBAN" => ApplicantValue::Text(GOOD_IBAN.into()),
            _ => ApplicantValue::Decimal(38_500.0),
        };
        edits.push(ChampEdit::label(*champ, value));
    }
    let outcome = sb
        .applicant_edit(number, ApplicantEdit::Champs(edits))
        .unwrap();
    assert!(outcome.correction_resolved, "the edit answers the request");

    let second = rc::run(&cfg, &[], &[]).await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let summary = second.json();
    let items = summary["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the corrected dossier: {summary}");
    assert_eq!(items[0]["number"], number);
    assert!(
        items[0]["reason"].as_str().unwrap().starts_with("cohérent"),
        "{summary}"
    );
    assert_eq!(
        rc::applied(&sb, "dossierEnvoyerMessage").get(&number),
        Some(&1)
    );
    assert_eq!(
        rc::applied(&sb, "dossierPasserEnInstruction").get(&number),
        Some(&1)
    );
    let after = rc::dossiers(&sb, DEMARCHE).await;
    assert_eq!(after[&number].state, DossierState::EnInstruction);
    assert_eq!(
        rc::annotation(&after[&number], "Cohérent"),
        &ChampValue::YesNo(true)
    );
    sb.shutdown().await;
}
