//! Issue 17's client acceptance, through the real `pont` binary against the
//! simulator's fault controls: DS answers as it really does (partial data,
//! timeouts, expired file URLs, values added after the schema) and the run
//! still processes what it can, sending to review only what it cannot read.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Env, Ran};
use pont_sandbox::fidelity::NewValues;
use pont_sandbox::model::State;
use pont_sandbox::seed::robot_instructeur_email;
use pont_sandbox::{AttachmentSpec, Faults, Sandbox};
use pont_test_artifacts::{fixture_manifest, wasm};

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const LISTED: i64 = 101;
/// Démarche `pj-actes`, whose dossiers have pièce-justificative champs.
const FILES: i64 = 105;

/// The `[ds]` section and its grant for `demarche`.
fn ds_section(sb: &Sandbox, demarche: i64) -> String {
    format!(
        "[ds]\nendpoint = \"{}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{}\"\n\
         requests-per-minute = 100000\n\n[grant]\nlog = true\n\n[grant.ds]\n\
         demarches = [{demarche}]\nactions = [\"read\", \"passer-en-instruction\", \"accepter\"]\n\n",
        sb.ds_url(),
        robot_instructeur_email(demarche).unwrap()
    )
}

/// The scripted robot (done for every dossier) over démarche 101's listing.
fn listing_config(env: &Env, sb: &Sandbox) -> PathBuf {
    let extra = format!(
        "{}[queue]\ndemarche = {LISTED}\nretry-backoff-ms = 10\n",
        ds_section(sb, LISTED)
    );
    env.config(&wasm("scripted"), &fixture_manifest("scripted"), &extra)
}

fn run(cfg: &std::path::Path) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_pont"))
        .args(["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()])
        .env(TOKEN_VAR, "sandbox-rw-all")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let ran = Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    ran.assert_no_panic();
    ran
}

async fn run_async(cfg: PathBuf) -> Ran {
    tokio::task::spawn_blocking(move || run(&cfg))
        .await
        .unwrap()
}

/// The numbers of démarche 101's dossiers, in the simulator.
fn numbers(sb: &Sandbox) -> Vec<i64> {
    let lo = LISTED * 100_000;
    sb.world()
        .lock()
        .dossiers
        .range(lo..lo + 100_000)
        .map(|(n, _)| *n)
        .collect()
}

/// The run's items with this status: `(number, reason)`.
fn items(ran: &Ran, status: &str) -> Vec<(i64, String)> {
    ran.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == status)
        .map(|i| {
            let reason = i["reason"].as_str().unwrap_or_default().to_string();
            (i["number"].as_i64().unwrap(), reason)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_ds_cannot_give_goes_to_review_and_the_rest_of_its_page_is_processed() {
    let sb = common::seeded_sandbox(LISTED, 20, 3, State::EnConstruction).await;
    let all = numbers(&sb);
    let bad = all[7];
    sb.world().set_faults(Faults {
        invalid_null: vec![bad],
        ..Faults::default()
    });
    let env = Env::new();
    let ran = run_async(listing_config(&env, &sb)).await;
    let done = items(&ran, "done");
    assert_eq!(done.len(), 19, "{}\n{}", ran.stdout, ran.stderr);
    assert!(done.iter().all(|(n, _)| *n != bad));
    let review = items(&ran, "needs-review");
    assert_eq!(review.len(), 1, "{}", ran.stdout);
    assert_eq!(review[0].0, bad);
    assert!(
        review[0].1.contains("invalid_null") && review[0].1.contains("usager"),
        "{}",
        review[0].1
    );
    assert_eq!(ran.json()["to_review"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demarche_whose_full_pages_time_out_is_read_completely_with_smaller_pages() {
    let sb = common::seeded_sandbox(LISTED, 120, 4, State::EnConstruction).await;
    // 100 dossiers cost 1 s and 50 cost 500 ms, past the 400 ms timeout;
    // 25 cost 250 ms and come back whole.
    sb.world().set_faults(Faults {
        slow_dossier_ms: 10,
        timeout_ms: 400,
        ..Faults::default()
    });
    let env = Env::new();
    let ran = run_async(listing_config(&env, &sb)).await;
    let done = items(&ran, "done");
    assert_eq!(done.len(), 120, "{}\n{}", ran.stdout, ran.stderr);
    let mut seen: Vec<i64> = done.iter().map(|(n, _)| *n).collect();
    seen.sort_unstable();
    assert_eq!(seen, numbers(&sb));
    let pages = sb
        .world()
        .received
        .all()
        .iter()
        .filter(|b| b.operation == "DossiersPage")
        .count();
    // Two timed-out asks (100, 50), then pages of at most 50.
    assert!(pages >= 2 + 120 / 50, "{pages} page requests");
}

/// The pj-saver robot on one dossier of démarche 105 with one attachment.
fn files_config(env: &Env, sb: &Sandbox, dossier: i64) -> PathBuf {
    std::fs::create_dir_all(env.path("out")).unwrap();
    let extra = format!(
        "{}[grant.mounts.out]\npath = \"out\"\naccess = \"read-write\"\n\n\
         [settings]\nonly = \"piece.pdf\"\n\n[queue]\ndossiers = [{dossier}]\nmax-attempts = 1\n",
        ds_section(sb, FILES)
    );
    env.config(&wasm("pj-saver"), &fixture_manifest("pj-saver"), &extra)
}

async fn with_attachment() -> (Sandbox, i64) {
    let sb = common::seeded_sandbox(FILES, 2, 5, State::EnInstruction).await;
    let lo = FILES * 100_000;
    let dossier = *sb
        .world()
        .lock()
        .dossiers
        .range(lo..lo + 100_000)
        .next()
        .unwrap()
        .0;
    let spec = AttachmentSpec {
        dossier,
        size: 4096,
        corrupt: false,
        filename: Some("piece.pdf".into()),
    };
    sb.world().attach(&spec).unwrap();
    (sb, dossier)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_file_url_is_refreshed_once_then_fails_clearly() {
    let (sb, dossier) = with_attachment().await;
    sb.world().set_faults(Faults {
        expired_urls: 1,
        ..Faults::default()
    });
    let env = Env::new();
    let ran = run_async(files_config(&env, &sb, dossier)).await;
    let done = items(&ran, "done");
    assert_eq!(done.len(), 1, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        std::fs::metadata(env.path("out/piece.pdf")).unwrap().len(),
        4096
    );
    // Read once by the robot, once more for the fresh URL.
    let reads = |sb: &Sandbox| {
        sb.world()
            .received
            .all()
            .iter()
            .filter(|b| b.operation == "GetDossier")
            .count()
    };
    assert_eq!(reads(&sb), 2);

    // A URL that expires again after the re-read: one re-read, then a clear error.
    let (sb, dossier) = with_attachment().await;
    sb.world().set_faults(Faults {
        expired_urls: 10,
        ..Faults::default()
    });
    let env = Env::new();
    let ran = run_async(files_config(&env, &sb, dossier)).await;
    let failed = items(&ran, "failed");
    assert_eq!(failed.len(), 1, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        failed[0].1.contains("expired too") && failed[0].1.contains("piece.pdf"),
        "{}",
        failed[0].1
    );
    assert_eq!(reads(&sb), 2);
    assert_eq!(
        sb.world().lock().faults.expired_urls,
        8,
        "two downloads tried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_ds_added_later_sends_its_item_to_review() {
    let sb = common::seeded_sandbox(LISTED, 6, 6, State::EnConstruction).await;
    let all = numbers(&sb);
    let odd = all[2];
    sb.world().set_faults(Faults {
        new_values: Some(NewValues {
            dossier: odd,
            state: Some("en_attente_de_signature".into()),
            champ_type: Some("NouveauChamp".into()),
        }),
        ..Faults::default()
    });
    let env = Env::new();
    let ran = run_async(listing_config(&env, &sb)).await;
    assert_eq!(
        items(&ran, "done").len(),
        5,
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let review = items(&ran, "needs-review");
    assert_eq!(review.len(), 1, "{}", ran.stdout);
    assert_eq!(review[0].0, odd);
    let why = &review[0].1;
    assert!(
        why.contains("state `en_attente_de_signature`") && why.contains("of a new type"),
        "{why}"
    );
}
