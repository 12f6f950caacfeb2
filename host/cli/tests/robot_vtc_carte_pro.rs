//! `vtc-carte-pro` end to end: a small peak of VTC card dossiers, run with
//! `--parallel 8` (five items at once against a browser cap of four
//! sessions, so items queue for a session) by the real `pont` binary with
//! real Chromium against the sandbox. Every dossier is re-entered once in
//! the casier judiciaire form and once in the contrôle du droit à conduire;
//! the contrôle answers after a delay, which the robot waits out with the
//! `waiting` outcome (no instance, no browser session, no attempt held); the
//! answer lands in the DS annotations and a suspended licence goes to review.

mod common;
mod robots_common;

use std::collections::{BTreeMap, BTreeSet};

use common::Env;
use pont_ds::{ChampValue, Dossier, DossierState};
use pont_sandbox::{App, AppsConfig, Sandbox};
use pont_test_artifacts::{plugin_manifest, wasm};
use robots_common as rc;

const DEMARCHE: i64 = 102;
/// Enough dossiers to show the behaviour (parallel items, waits, a suspended
/// licence) in CI. The guide's peak of 200 is a benchmark: `benches/run`
/// runs this test with `PONT_TEST_VTC_PEAK=200`.
const PEAK: usize = 5;

/// The peak, or another size (`PONT_TEST_VTC_PEAK=200` in `benches/run`).
fn peak() -> usize {
    std::env::var("PONT_TEST_VTC_PEAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PEAK)
}
/// The contrôle's external processing time: long enough that every dossier
/// waits at least once, short enough for CI.
const CONTROLE_DELAY_MS: u64 = 400;

fn config(env: &Env, sb: &Sandbox) -> std::path::PathBuf {
    let extra = format!(
        "{ds}[grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"annotations\"]\n\n\
         [grant.browser.casier]\norigin = \"{casier}\"\nstable-id = \"id\"\n\n\
         [grant.browser.controle]\norigin = \"{controle}\"\nstable-id = \"id\"\n\n\
         [limits]\nitem-timeout-secs = 120\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\nmax-attempts = 2\nretry-backoff-ms = 250\n\n\
         [report]\nbaseline-minutes = 20\n\n\
         [settings]\ncasier = \"{casier}\"\ncontrole = \"{controle}\"\nattente-controle-secs = \"0.3\"\n",
        ds = rc::ds_section(sb, DEMARCHE),
        casier = sb.app_url(App::Casier),
        controle = sb.app_url(App::Controle),
    );
    env.config(
        &wasm("vtc-carte-pro"),
        &plugin_manifest("vtc-carte-pro"),
        &extra,
    )
}

fn permis(d: &Dossier) -> String {
    rc::text(d, "Numéro du permis de conduire")
}

/// What the casier form must have received for a dossier.
fn casier_key(d: &Dossier) -> (String, String, String, String) {
    let ChampValue::Commune(lieu) = &rc::champ(d, "Commune de naissance").value else {
        panic!("commune of {}", d.number)
    };
    (
        rc::text(d, "Nom"),
        rc::text(d, "Prénom"),
        rc::text(d, "Date de naissance"),
        lieu.name.clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peak_of_dossiers_goes_through_casier_and_controle_once_each() {
    let apps = AppsConfig {
        controle_delay_ms: CONTROLE_DELAY_MS,
        reveal_delay_ms: 100,
        ..AppsConfig::default()
    };
    let peak = peak();
    let sb = rc::sandbox(DEMARCHE, peak, 102, apps).await;
    let before = rc::dossiers(&sb, DEMARCHE).await;
    assert_eq!(before.len(), peak);
    let env = Env::new();
    let cfg = config(&env, &sb);
    // More items at once than browser sessions (4): the others queue for
    // a free session instead of failing.
    let ran = rc::run(&cfg, &["--parallel", "8"], &[]).await;
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();

    // Suspended licences (permit numbers ending in 9) go to a person.
    let suspended: BTreeSet<i64> = before
        .values()
        .filter(|d| permis(d).ends_with('9'))
        .map(|d| d.number)
        .collect();
    assert!(!suspended.is_empty() && suspended.len() < peak);
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["needs_review"], suspended.len() as u64);
    assert_eq!(summary["done"], (peak - suspended.len()) as u64);

    // Each form saw every dossier exactly once, retries included.
    let casier = sb.app_records(App::Casier);
    assert_eq!(casier.len(), peak);
    let mut expected: Vec<_> = before.values().map(casier_key).collect();
    let mut got: Vec<_> = casier
        .iter()
        .map(|r| {
            let s = |k: &str| r.data[k].as_str().unwrap().to_string();
            (
                s("nom"),
                s("prenoms"),
                s("date_naissance"),
                s("lieu_naissance"),
            )
        })
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert!(casier.iter().all(|r| r.data["motif"] == "carte_vtc"));
    let controle = sb.app_records(App::Controle);
    assert_eq!(controle.len(), peak);
    let permits: BTreeSet<String> = controle
        .iter()
        .map(|r| r.data["numero_permis"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = before.values().map(permis).collect();
    assert_eq!(permits, expected);

    check_ds(&sb, &before, &suspended).await;
    check_journal(&env, &summary, &suspended, peak);
    check_kpi(&cfg);
    assert!(rc::ledger_reaches(&summary, &sb.app_url(App::Casier)));
    assert!(rc::ledger_reaches(&summary, &sb.app_url(App::Controle)));
    sb.shutdown().await;
}

/// The contrôle's delay is the dossiers' external delay in the KPI report,
/// not robot time.
fn check_kpi(cfg: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["report", cfg.to_str().unwrap(), "--since", "2000-01-01"])
        .args(["--until", "2100-01-01", "--format", "csv"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = text
        .lines()
        .find(|l| l.starts_with("vtc-carte-pro,") && !l.contains("guide"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("external delay"), "{row}");
}

/// Every dossier en instruction (passed once), with the contrôle's answer
/// and its time in the annotations.
async fn check_ds(sb: &Sandbox, before: &BTreeMap<i64, Dossier>, suspended: &BTreeSet<i64>) {
    let after = rc::dossiers(sb, DEMARCHE).await;
    let passed = rc::applied(sb, "dossierPasserEnInstruction");
    for (n, d) in &after {
        assert_eq!(d.state, DossierState::EnInstruction, "dossier {n}");
        assert_eq!(passed.get(n), Some(&1), "dossier {n} passed once");
        let valide = !suspended.contains(n);
        assert_eq!(
            rc::annotation(d, "Droit à conduire vérifié"),
            &ChampValue::YesNo(valide),
            "dossier {n}"
        );
        assert!(
            matches!(rc::annotation(d, "Date de vérification"), ChampValue::Datetime(t) | ChampValue::Date(t) if t.starts_with("20")),
            "dossier {n}: {:?}",
            rc::annotation(d, "Date de vérification")
        );
        // The applicant's data did not change (file URLs are re-signed on each read).
        let values = |d: &Dossier| -> Vec<ChampValue> {
            d.champs
                .iter()
                .map(|c| c.value.clone())
                .filter(|v| !matches!(v, ChampValue::Files(_)))
                .collect()
        };
        assert_eq!(values(d), values(&before[n]), "dossier {n}");
    }
}

/// Every dossier waited at least once outside the robot (a pass that ended
/// `waiting`, "en attente"), in its first and only attempt, then finished;
/// no attempt failed; the final outcomes are journaled.
fn check_journal(env: &Env, summary: &serde_json::Value, suspended: &BTreeSet<i64>, peak: usize) {
    let journal = env.path("journal.sqlite");
    let queue = rc::queue(&journal);
    assert_eq!(queue.len(), peak);
    for (n, (status, attempts)) in &queue {
        let want = if suspended.contains(n) {
            "review"
        } else {
            "done"
        };
        assert_eq!(status, want, "dossier {n}");
        assert_eq!(*attempts, 1, "dossier {n}: a wait used an attempt");
    }
    let passes = rc::attempts(&journal);
    let waits = passes
        .iter()
        .filter(|(_, _, outcome, reason)| outcome == "waiting" && reason.contains("en attente"))
        .count();
    assert!(waits >= peak, "{waits} waits");
    assert!(
        passes
            .iter()
            .all(|(_, attempt, o, _)| *attempt == 1 && o != "system"),
        "a pass failed or used another attempt: {passes:?}"
    );
    let items = summary["items"].as_array().unwrap();
    assert_eq!(items.len(), peak);
    let reasons: Vec<&str> = items
        .iter()
        .filter(|i| i["status"] == "done")
        .map(|i| i["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("CJ-") && r.contains("DAC-") && r.contains("valide")),
        "{reasons:?}"
    );
}
