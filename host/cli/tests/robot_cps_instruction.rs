//! `cps-instruction` end to end, with the real `pont` binary and real
//! Chromium against the sandbox: in order of arrival, each CPS request is
//! passed en instruction, checked against the health professional directory
//! (HTTP, bearer token set by the host from a secret) and the internal list
//! of oppositions (a sheet on a read-only mount), decided in the CPS tool
//! (password typed by the host), then accepted or refused in DS with a
//! motivation that says why. Neither secret appears anywhere.

mod common;
mod robots_common;

use std::collections::BTreeMap;

use common::Env;
use pont_ds::{ChampValue, Dossier, DossierState};
use pont_sandbox::apps::referentiel;
use pont_sandbox::{App, AppsConfig, Sandbox};
use pont_test_artifacts::{plugin_manifest, wasm};
use robots_common as rc;

const DEMARCHE: i64 = 106;
const DOSSIERS: usize = 6;
const CPS_VAR: &str = "PONT_TEST_CPS_PASSWORD";
const CPS_PASSWORD: &str = "sandbox-cps-secret";
const REF_VAR: &str = "PONT_TEST_REFERENTIEL_TOKEN";
const REF_TOKEN: &str = "sandbox-referentiel";

/// Why a request must be refused, or `None` when it must be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Accept,
    Unknown,
    Inactive,
    Opposition,
}

fn rpps(d: &Dossier) -> String {
    rc::text(d, "Numéro RPPS")
}

/// The directory's verdict, then the opposition list (which names `opposed`).
fn expect(d: &Dossier, opposed: &str) -> Expect {
    match referentiel::lookup(&rpps(d)) {
        None => Expect::Unknown,
        Some(p) if !p.actif => Expect::Inactive,
        Some(_) if rpps(d) == opposed => Expect::Opposition,
        Some(_) => Expect::Accept,
    }
}

/// The internal list: one opposition, on an RPPS the directory knows as active.
fn internal_list(env: &Env, rpps: &str) {
    let dir = env.path("interne");
    std::fs::create_dir_all(&dir).unwrap();
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Oppositions");
    ws.cell_mut((1, 1)).set_value_string("RPPS");
    ws.cell_mut((2, 1)).set_value_string("Motif");
    ws.cell_mut((1, 2)).set_value_string("10000000001");
    ws.cell_mut((2, 2)).set_value_string("Suspension ordinale");
    ws.cell_mut((1, 3)).set_value_string(rpps);
    ws.cell_mut((2, 3))
        .set_value_string("Interdiction d’exercer");
    umya_spreadsheet::writer::xlsx::write(&book, dir.join("liste-interne.xlsx")).unwrap();
}

fn config(env: &Env, sb: &Sandbox) -> std::path::PathBuf {
    let extra = format!(
        "{ds}[grant]\nlog = true\nstate = true\n\n\
         [grant.ds]\ndemarches = [{DEMARCHE}]\nactions = [\"read\", \"passer-en-instruction\", \"annotations\", \"accepter\", \"refuser\"]\n\n\
         [grant.browser.cps]\norigin = \"{cps}\"\nstable-id = \"id\"\n\n\
         [grant.http.referentiel]\norigin = \"{referentiel}\"\n\n\
         [grant.mounts.interne]\npath = \"interne\"\naccess = \"read-only\"\n\n\
         [grant.secrets.cps-password]\nenv = \"{CPS_VAR}\"\napps = [\"cps\"]\n\n\
         [grant.secrets.referentiel-token]\nenv = \"{REF_VAR}\"\norigins = [\"{referentiel}\"]\n\n\
         [limits]\nitem-timeout-secs = 120\n\n\
         [queue]\ndemarche = {DEMARCHE}\nstates = [\"en_construction\"]\n\n\
         [settings]\ncps = \"{cps}\"\nreferentiel = \"{referentiel}\"\n",
        ds = rc::ds_section(sb, DEMARCHE),
        cps = sb.app_url(App::Cps),
        referentiel = sb.app_url(App::Referentiel),
    );
    env.config(
        &wasm("cps-instruction"),
        &plugin_manifest("cps-instruction"),
        &extra,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_checked_decided_in_the_cps_tool_and_answered_with_the_reason() {
    let apps = AppsConfig {
        reveal_delay_ms: 100,
        cps_demandes: DOSSIERS,
        ..AppsConfig::default()
    };
    let sb = rc::sandbox(DEMARCHE, DOSSIERS, 106, apps).await;
    let before = rc::dossiers(&sb, DEMARCHE).await;
    let opposed = before
        .values()
        .map(rpps)
        .find(|r| referentiel::lookup(r).is_some_and(|p| p.actif))
        .expect("an active professional");
    let expected: BTreeMap<i64, Expect> = before
        .iter()
        .map(|(n, d)| (*n, expect(d, &opposed)))
        .collect();
    for kind in [Expect::Accept, Expect::Opposition] {
        assert!(expected.values().any(|e| *e == kind), "{expected:?}");
    }
    assert!(
        expected
            .values()
            .any(|e| matches!(e, Expect::Unknown | Expect::Inactive)),
        "{expected:?}"
    );

    let env = Env::new();
    internal_list(&env, &opposed);
    let cfg = config(&env, &sb);
    let ran = rc::run(&cfg, &[], &[(CPS_VAR, CPS_PASSWORD), (REF_VAR, REF_TOKEN)]).await;
    ran.assert_no_panic();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(summary["done"], DOSSIERS as u64, "{summary}");

    check_ds(&sb, &before, &expected).await;
    check_cps(&sb, &expected);
    check_referentiel(&sb, &before);
    assert!(rc::ledger_reaches(&summary, &sb.app_url(App::Cps)));
    assert!(
        rc::ledger_reaches(&summary, &sb.app_url(App::Referentiel)),
        "{}",
        summary["ledger"]
    );
    let mut places = vec![
        ("stdout", ran.stdout.clone().into_bytes()),
        ("stderr", ran.stderr.clone().into_bytes()),
    ];
    for file in ["audit.jsonl", "journal.sqlite"] {
        places.push((file, std::fs::read(env.path(file)).unwrap()));
    }
    for (name, bytes) in places {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(CPS_PASSWORD),
            "the CPS password is in {name}"
        );
        assert!(
            !text.contains(REF_TOKEN),
            "the referential token is in {name}"
        );
    }
    sb.shutdown().await;
}

/// Decisions, motivations and annotations in DS; each mutation once, and the
/// decisions in order of arrival.
async fn check_ds(sb: &Sandbox, before: &BTreeMap<i64, Dossier>, expected: &BTreeMap<i64, Expect>) {
    let after = rc::dossiers(sb, DEMARCHE).await;
    let passed = rc::applied(sb, "dossierPasserEnInstruction");
    let accepted = rc::applied(sb, "dossierAccepter");
    let refused = rc::applied(sb, "dossierRefuser");
    for (n, want) in expected {
        let d = &after[n];
        let number = rpps(&before[n]);
        let motivation = d.motivation.clone().unwrap_or_default();
        assert!(motivation.contains(&number), "{n}: {motivation}");
        assert_eq!(passed.get(n), Some(&1), "{n}");
        let (state, words, decision) = match want {
            Expect::Accept => (DossierState::Accepte, "est actif", "Acceptée"),
            Expect::Unknown => (DossierState::Refuse, "inconnu du répertoire", "Refusée"),
            Expect::Inactive => (DossierState::Refuse, "n’est plus active", "Refusée"),
            Expect::Opposition => (DossierState::Refuse, "Interdiction d’exercer", "Refusée"),
        };
        assert_eq!(d.state, state, "{n}: {motivation}");
        assert!(motivation.contains(words), "{n}: {motivation}");
        let once = if state == DossierState::Accepte {
            &accepted
        } else {
            &refused
        };
        assert_eq!(once.get(n), Some(&1), "{n}");
        assert_eq!(
            rc::annotation(d, "Décision"),
            &ChampValue::DropDown(decision.into()),
            "{n}"
        );
    }
    let decided: Vec<i64> = sb
        .world()
        .mutation_log()
        .iter()
        .filter(|m| {
            m.applied && matches!(m.operation.as_str(), "dossierAccepter" | "dossierRefuser")
        })
        .filter_map(|m| m.dossier)
        .collect();
    let in_order: Vec<i64> = expected.keys().copied().collect();
    assert_eq!(decided, in_order, "decisions not in order of arrival");
}

/// One decision per request in the CPS tool, in order, with its reason.
fn check_cps(sb: &Sandbox, expected: &BTreeMap<i64, Expect>) {
    let records = sb.app_records(App::Cps);
    let got: Vec<(i64, String)> = records
        .iter()
        .map(|r| {
            (
                r.data["dossier"].as_i64().unwrap(),
                r.data["decision"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(i64, String)> = expected
        .iter()
        .map(|(n, e)| {
            let d = if *e == Expect::Accept {
                "accepter"
            } else {
                "refuser"
            };
            (*n, d.to_string())
        })
        .collect();
    assert_eq!(got, want);
    assert!(records.iter().all(|r| {
        r.data["commentaire"]
            .as_str()
            .is_some_and(|c| c.contains("RPPS"))
    }));
}

/// The directory was asked once per request, with the token (a request
/// without it would have failed the dossier).
fn check_referentiel(sb: &Sandbox, before: &BTreeMap<i64, Dossier>) {
    let mut paths: Vec<String> = sb
        .app_requests(App::Referentiel)
        .into_iter()
        .map(|r| r.path)
        .filter(|p| p.starts_with("/api/"))
        .collect();
    let mut want: Vec<String> = before
        .values()
        .map(|d| format!("/api/professionnels/{}", rpps(d)))
        .collect();
    paths.sort();
    want.sort();
    assert_eq!(paths, want);
}
