//! The `browser` capability end to end: the real `pont` binary drives a real headless
//! Chromium on the sandbox's web applications, through the gate. One robot fixture
//! (`browser-robot`), one scenario per `[settings] mode`.

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use common::{Env, Ran};
use pont_ds::{ChampValue, Dossier};
use pont_ds::{DossierFilter, DsClient};
use pont_sandbox::apps::App;
use pont_sandbox::{Sandbox, SandboxConfig};
use pont_test_artifacts::{fixture_manifest, wasm};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOKEN_VAR: &str = "PONT_TEST_DS_TOKEN";
const CPS_VAR: &str = "PONT_TEST_CPS_PASSWORD";
/// The sandbox's CPS password (its default configuration).
const CPS_PASSWORD: &str = "sandbox-cps-secret";

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 3,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn client(sb: &Sandbox) -> DsClient {
    DsClient::builder(sb.ds_url(), "sandbox-rw-all")
        .build()
        .unwrap()
}

/// The first seeded dossier of `demarche`.
async fn first_dossier(sb: &Sandbox, demarche: i64) -> Dossier {
    let page = client(sb)
        .dossiers(
            &crate::common::ds_permits::listing(demarche),
            demarche,
            &DossierFilter::default(),
            None,
        )
        .await
        .unwrap();
    page.items.into_iter().next().expect("a seeded dossier")
}

/// What a scenario needs besides the sandbox.
struct Scenario<'a> {
    mode: &'a str,
    demarche: i64,
    dossier: i64,
    /// Origin granted as the `page` application (a test page server, or a dummy).
    page: String,
    /// Origin granted as the `named` application (a dummy here: see browser_lockdown.rs).
    named: String,
    settings: BTreeMap<&'a str, String>,
}

fn config(env: &Env, sb: &Sandbox, sc: &Scenario<'_>) -> std::path::PathBuf {
    let instructeur = pont_sandbox::seed::robot_instructeur_email(sc.demarche).unwrap();
    let mut settings = format!("mode = \"{}\"\n", sc.mode);
    for (k, v) in &sc.settings {
        settings.push_str(&format!("{k} = \"{v}\"\n"));
    }
    let extra = format!(
        "[ds]\nendpoint = \"{ds}\"\ntoken = {{ env = \"{TOKEN_VAR}\" }}\ninstructeur = \"{instructeur}\"\n\n\
         [grant]\nlog = true\n\n[grant.ds]\ndemarches = [101, 103, 105, 106]\nactions = [\"read\"]\n\n\
         [grant.browser.chorus]\norigin = \"{chorus}\"\nstable-id = \"id\"\n\n\
         [grant.browser.cps]\norigin = \"{cps}\"\n\n\
         [grant.browser.actes]\norigin = \"{actes}\"\n\n\
         [grant.browser.page]\norigin = \"{page}\"\n\n\
         [grant.browser.named]\norigin = \"{named}\"\n\n\
         [grant.secrets.cps-password]\nenv = \"{CPS_VAR}\"\napps = [\"cps\"]\n\n\
         [limits]\nitem-timeout-secs = 120\n\n\
         [queue]\ndossiers = [{n}]\n\n[settings]\n{settings}",
        ds = sb.ds_url(),
        chorus = sb.app_url(App::Chorus),
        cps = sb.app_url(App::Cps),
        actes = sb.app_url(App::Actes),
        page = sc.page,
        named = sc.named,
        n = sc.dossier,
    );
    env.config(
        &wasm("browser-robot"),
        &fixture_manifest("browser-robot"),
        &extra,
    )
}

/// Runs `pont run --json` (debug logging on, so a leak in any log line shows) off the test's
/// runtime, which keeps serving the sandbox and the page server meanwhile.
async fn run(env: &Env, sb: &Sandbox, sc: &Scenario<'_>) -> Ran {
    let cfg = config(env, sb, sc);
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_pont"))
            .args(["run", "--allow-unsigned", "--json", cfg.to_str().unwrap()])
            .env(TOKEN_VAR, "sandbox-rw-all")
            .env(CPS_VAR, CPS_PASSWORD)
            .env("PONT_LOG", "debug")
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

fn scenario<'a>(mode: &'a str, demarche: i64, dossier: i64, sb: &Sandbox) -> Scenario<'a> {
    let mut settings = BTreeMap::new();
    settings.insert("chorus", sb.app_url(App::Chorus));
    settings.insert("cps", sb.app_url(App::Cps));
    settings.insert("actes", sb.app_url(App::Actes));
    Scenario {
        mode,
        demarche,
        dossier,
        page: "http://127.0.0.1:9".into(),
        named: "http://127.0.0.1:10".into(),
        settings,
    }
}

/// The single item of the JSON summary.
fn item(ran: &Ran) -> serde_json::Value {
    let json = ran.json();
    assert_eq!(json["items"].as_array().map(Vec::len), Some(1), "{json}");
    json["items"][0].clone()
}

/// `browser_actions`, `tools` and `tools_used` of the journal's item row.
fn kpis(env: &Env) -> (u32, u32, String) {
    let db = Connection::open(env.path("journal.sqlite")).unwrap();
    db.query_row(
        "SELECT browser_actions, tools, tools_used FROM items",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn champ<'a>(d: &'a Dossier, label: &str) -> &'a ChampValue {
    &d.champs.iter().find(|c| c.label == label).unwrap().value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_robot_fills_the_chorus_subsidy_form_from_a_dossier() {
    let sb = sandbox().await;
    let d = first_dossier(&sb, 101).await;
    let env = Env::new();
    let ran = run(&env, &sb, &scenario("chorus", 101, d.number, &sb)).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let item = item(&ran);
    assert_eq!(item["status"], "done", "{item}");

    let records = sb.app_records(App::Chorus);
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0].data;
    assert_eq!(r["reference"], item["reason"]);
    let ChampValue::Siret(etab) = champ(&d, "SIRET du porteur") else {
        panic!("SIRET champ")
    };
    assert_eq!(r["siret"], etab.siret.as_str());
    assert_eq!(
        r["raison_sociale"],
        etab.raison_sociale.as_deref().unwrap_or_default()
    );
    assert_eq!(r["reference_ds"], format!("DS-{}", d.number));
    let ChampValue::DropDown(dispositif) = champ(&d, "Dispositif") else {
        panic!("Dispositif champ")
    };
    assert_eq!(r["dispositif"], dispositif.as_str());
    let ChampValue::Decimal(montant) = champ(&d, "Montant demandé (€)") else {
        panic!("Montant champ")
    };
    assert_eq!(r["montant_centimes"], (montant * 100.0).round() as i64);
    let ChampValue::Date(date) = champ(&d, "Date de début des travaux") else {
        panic!("Date champ")
    };
    assert_eq!(r["date_decision"], date.as_str());
    let ChampValue::Text(objet) = champ(&d, "Intitulé du projet") else {
        panic!("Intitulé champ")
    };
    assert_eq!(r["objet"], objet.as_str());

    // KPIs: goto, select, 3 fills, click, 3 fills, click; DS and one application.
    let (actions, tools, used) = kpis(&env);
    assert_eq!(actions, 10);
    assert_eq!(
        (tools, used),
        (2, format!("ds,{}", sb.app_url(App::Chorus)))
    );
    assert_eq!(item["browser_actions"], 10);
    // The bytes sent to Chorus are in the egress ledger.
    let ledger = ran.json()["ledger"].to_string();
    assert!(ledger.contains(&sb.app_url(App::Chorus)), "{ledger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_secret_logs_in_and_the_secret_appears_nowhere() {
    let sb = sandbox().await;
    let env = Env::new();
    let ran = run(&env, &sb, &scenario("cps", 106, 10_600_001, &sb)).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let item = item(&ran);
    assert_eq!(item["status"], "done", "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("robot.cps"),
        "{item}"
    );
    let records = std::fs::read(env.path("audit.jsonl")).unwrap();
    assert!(String::from_utf8_lossy(&records).contains("use.browser"));

    let mut places = vec![
        ("stdout", ran.stdout.into_bytes()),
        ("stderr", ran.stderr.into_bytes()),
    ];
    for file in ["audit.jsonl", "journal.sqlite"] {
        places.push((file, std::fs::read(env.path(file)).unwrap()));
    }
    for (name, bytes) in places {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(CPS_PASSWORD), "the secret is in {name}");
    }
}

/// Serves one page whose own script fetches `target` and writes the outcome into `#outcome`.
async fn page_server(target: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let html = format!(
        "<!doctype html><html><body><h1>Page</h1><p id=\"outcome\"></p>\
         <script>fetch('{target}/demande?exfil=1',{{mode:'no-cors'}})\
         .then(function(){{document.getElementById('outcome').textContent='reached';}})\
         .catch(function(){{document.getElementById('outcome').textContent='blocked';}});</script>\
         </body></html>"
    );
    let task = tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf)).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = conn.write_all(resp.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (url, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ungranted_origins_are_denied_and_audited_even_from_page_scripts() {
    let sb = sandbox().await;
    let casier = sb.app_url(App::Casier);
    let (page, server) = page_server(casier.clone()).await;
    let env = Env::new();
    let mut sc = scenario("escape", 101, 1, &sb);
    sc.page = page.clone();
    sc.settings.insert("page", format!("{page}/"));
    sc.settings.insert("forbidden", format!("{casier}/demande"));
    let ran = run(&env, &sb, &sc).await;
    server.abort();
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let reason = item(&ran)["reason"].as_str().unwrap().to_string();
    assert!(reason.starts_with("goto: Error::Denied("), "{reason}");
    // A `no-cors` fetch resolves even on the proxy's 403, so the page's own verdict proves
    // nothing: what counts is that Casier saw nothing and the denial was audited.
    assert!(reason.contains("| fetch: "), "{reason}");
    // Casier never saw a request: neither the navigation nor the page's fetch.
    assert!(sb.app_requests(App::Casier).is_empty());

    let casier_origin = casier.trim_end_matches('/').to_string();
    let denials: Vec<serde_json::Value> = env
        .audit()
        .into_iter()
        .filter(|r| r["decision"] == "deny" && r["capability"] == "browser")
        .filter(|r| r["target"].as_str() == Some(casier_origin.as_str()))
        .collect();
    assert!(denials.len() >= 2, "{denials:?}");
    assert!(
        denials
            .iter()
            .any(|r| r["reason"].as_str().unwrap_or("").contains("proxy")),
        "no audit record of the proxy's denial: {denials:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_locators_fail_with_the_count_and_a_screenshot() {
    let sb = sandbox().await;
    let env = Env::new();
    let ran = run(&env, &sb, &scenario("strict", 101, 1, &sb)).await;
    let item = item(&ran);
    assert_eq!(item["outcome"], "business", "{item}");
    let reason = item["reason"].as_str().unwrap();
    assert!(reason.contains("matched 2 elements"), "{reason}");
    assert!(
        reason.contains("NotFound(") && reason.contains("absent"),
        "{reason}"
    );

    let db = Connection::open(env.path("journal.sqlite")).unwrap();
    let (path, size): (String, i64) = db
        .query_row(
            "SELECT path, size FROM evidence WHERE item = 1 AND name = 'browser-failure.png'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let png = std::fs::read(&path).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(png.len() as i64, size);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ds_attachment_is_uploaded_to_actes_byte_for_byte() {
    let sb = sandbox().await;
    let d = first_dossier(&sb, 105).await;
    let ChampValue::Files(files) = champ(&d, "Acte") else {
        panic!("Acte champ")
    };
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("acte");
    client(&sb)
        .download(&crate::common::ds_permits::read(0), &files[0], &local)
        .await
        .unwrap();
    let expected = sha256_hex(&std::fs::read(&local).unwrap());

    let env = Env::new();
    let ran = run(&env, &sb, &scenario("actes", 105, d.number, &sb)).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let reason = item(&ran)["reason"].as_str().unwrap().to_string();
    assert!(reason.ends_with(&expected), "{reason} vs {expected}");
    let records = sb.app_records(App::Actes);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].data["fichier"]["sha256"], expected.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_download_returns_the_chorus_certificate_as_a_blob() {
    let sb = sandbox().await;
    let env = Env::new();
    let ran = run(&env, &sb, &scenario("certificate", 103, 42, &sb)).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let reason = item(&ran)["reason"].as_str().unwrap().to_string();
    let records = sb.app_records(App::Chorus);
    let record = &records.last().expect("a payment record").data;
    let sha = record["attestation"]["sha256"].as_str().unwrap();
    assert!(reason.starts_with(sha), "{reason} vs {sha}");
    assert!(reason.contains("application/pdf"), "{reason}");
    let chorus = sb.app_url(App::Chorus);
    assert!(
        reason.contains(&format!("BrowserDownload(\"{chorus}\")")),
        "{reason}"
    );
    assert!(reason.ends_with("%PDF"), "{reason}");
    // The piece sent with the payment carried the robot's bytes.
    let pieces = record.to_string();
    assert!(pieces.contains(&sha256_hex(b"facture 42")), "{pieces}");
}
