//! Driving the sandbox's third-party apps through a real headless Chromium: forms, strict
//! locators, uploads and downloads, checked against what the apps recorded.

mod common;

use std::time::{Duration, Instant};

use pont_browser::{BrowserError, Locator};
use pont_sandbox::apps::App;
use pont_sandbox::{Sandbox, SandboxConfig};

use common::{browser, session, session_with, sha256_hex};

const WAIT: Duration = Duration::from_secs(10);

fn id(v: &str) -> Locator {
    Locator::StableId(v.into())
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

fn ok<T>(r: Result<T, BrowserError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chorus_subsidy_two_steps_is_recorded_as_typed() {
    let sb = sandbox().await;
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let (s, _) = session(&b, &[&chorus]).await;

    ok(s.goto(&format!("{chorus}/subvention")).await, "goto");
    ok(
        ok(s.find(&id("dispositif")).await, "dispositif")
            .select("CATNAT")
            .await,
        "select",
    );
    let siret = ok(
        s.find(&Locator::Label("SIRET du bénéficiaire".into()))
            .await,
        "siret",
    );
    ok(siret.fill("732 829 320 00074").await, "fill siret");
    let raison = Locator::Role {
        role: "textbox".into(),
        name: "Raison sociale".into(),
    };
    ok(
        ok(s.find(&raison).await, "raison")
            .fill("Commune de Pont")
            .await,
        "fill",
    );
    ok(
        ok(s.find(&id("reference_ds")).await, "ref")
            .fill("DS-4242")
            .await,
        "fill ref",
    );
    let next = Locator::Role {
        role: "button".into(),
        name: "Suivant".into(),
    };
    ok(
        ok(s.find(&next).await, "suivant").click().await,
        "click suivant",
    );

    let montant = ok(s.wait_for(&id("montant"), WAIT).await, "step 2");
    ok(montant.fill("1 234,50").await, "montant");
    ok(
        ok(s.find(&id("date_decision")).await, "date")
            .fill("2024-03-15")
            .await,
        "date",
    );
    let objet = Locator::Label("Objet de la subvention".into());
    ok(
        ok(s.find(&objet).await, "objet")
            .fill("Réfection du pont")
            .await,
        "objet",
    );
    let valider = Locator::Css("[data-testid=\"etape2-valider\"]".into());
    ok(
        ok(s.find(&valider).await, "valider").click().await,
        "valider",
    );

    let reference = ok(
        s.wait_for(&id("reference-chorus"), WAIT).await,
        "confirmation",
    );
    let reference = ok(reference.text().await, "text");
    assert!(reference.starts_with("CHO-SUB-"), "{reference}");
    let png = ok(s.screenshot().await, "screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    let records = sb.app_records(App::Chorus);
    assert_eq!(records.len(), 1, "{records:?}");
    let d = &records[0].data;
    assert_eq!(records[0].form, "subvention");
    assert_eq!(d["reference"], reference.as_str());
    assert_eq!(d["dispositif"], "CATNAT");
    assert_eq!(d["siret"], "73282932000074");
    assert_eq!(d["raison_sociale"], "Commune de Pont");
    assert_eq!(d["reference_ds"], "DS-4242");
    assert_eq!(d["montant_centimes"], 123_450);
    assert_eq!(d["date_decision"], "2024-03-15");
    assert_eq!(d["objet"], "Réfection du pont");
    // goto, select, 3 fills, click, 3 fills, click.
    assert_eq!(s.actions(), 10);
    s.close().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locators_are_strict_and_bounded() {
    let sb = sandbox().await;
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let (s, _) = session_with(&b, &[&chorus], Some(Duration::from_millis(600))).await;
    ok(s.goto(&chorus).await, "goto");

    let err = s.find(&Locator::Css("a".into())).await.err();
    assert!(
        matches!(&err, Some(BrowserError::Ambiguous { count: 2, .. })),
        "{err:?}"
    );
    let msg = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("locator css `a` matched 2 elements"), "{msg}");

    let start = Instant::now();
    let err = s.find(&id("absent")).await.err();
    assert!(
        matches!(err, Some(BrowserError::NotFound { .. })),
        "{err:?}"
    );
    assert!(start.elapsed() >= Duration::from_millis(600));
    assert!(start.elapsed() < Duration::from_secs(5));

    let err = s
        .wait_for(&id("absent"), Duration::from_millis(300))
        .await
        .err();
    assert!(matches!(err, Some(BrowserError::Timeout { .. })), "{err:?}");

    let err = s.find(&Locator::Css("a[".into())).await.err();
    assert!(matches!(err, Some(BrowserError::Unsupported(_))), "{err:?}");

    // The role locator finds the link by its text and follows it.
    let link = Locator::Role {
        role: "link".into(),
        name: "Demander un paiement".into(),
    };
    ok(ok(s.find(&link).await, "link").click().await, "click");
    ok(s.wait_for(&id("numero_ej"), WAIT).await, "paiement form");
    assert!(ok(s.current_url().await, "url").ends_with("/paiement"));
    s.close().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actes_upload_keeps_bytes_and_archive_reads_as_table() {
    let sb = sandbox().await;
    let actes = sb.app_url(App::Actes);
    let b = browser().await;
    let (s, _) = session(&b, &[&actes]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = dir.path().join("deliberation.bin");
    std::fs::write(&file, &bytes).unwrap_or_else(|e| panic!("{e}"));

    ok(s.goto(&format!("{actes}/depot")).await, "goto");
    ok(
        ok(s.find(&id("fichier")).await, "fichier")
            .upload(&file)
            .await,
        "upload",
    );
    ok(
        ok(s.find(&id("categorie")).await, "cat")
            .select("7 — Finances locales")
            .await,
        "sel",
    );
    ok(
        ok(s.find(&id("objet")).await, "objet")
            .fill("Budget 2024")
            .await,
        "objet",
    );
    ok(
        ok(s.find(&id("depot-envoyer")).await, "envoyer")
            .click()
            .await,
        "click",
    );
    let numero = ok(
        ok(s.wait_for(&id("numero-depot"), WAIT).await, "n")
            .text()
            .await,
        "t",
    );

    let records = sb.app_records(App::Actes);
    assert_eq!(records.len(), 1, "{records:?}");
    let d = &records[0].data;
    assert_eq!(d["categorie"], "7");
    assert_eq!(d["fichier"]["sha256"], sha256_hex(&bytes).as_str());
    assert_eq!(d["fichier"]["size"], bytes.len());

    ok(s.goto(&format!("{actes}/archive")).await, "archive");
    let table = ok(s.wait_for(&id("archive"), WAIT).await, "table");
    let t = ok(table.read_table().await, "read_table");
    assert_eq!(t.headers.first().map(String::as_str), Some("Numéro"));
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.rows[0][0], numero);
    assert_eq!(t.rows[0][5], sha256_hex(&bytes));

    let up = s
        .traffic()
        .get(
            &pont_browser::Origin::from_url(&actes)
                .ok()
                .unwrap_or_else(|| panic!()),
        )
        .copied()
        .unwrap_or_default();
    assert!(up.bytes_up >= bytes.len() as u64, "{up:?}");
    s.close().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chorus_payment_certificate_is_downloaded() {
    let sb = sandbox().await;
    let chorus = sb.app_url(App::Chorus);
    let b = browser().await;
    let (s, _) = session(&b, &[&chorus]).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let piece = dir.path().join("facture.txt");
    std::fs::write(&piece, b"facture 42").unwrap_or_else(|e| panic!("{e}"));

    ok(s.goto(&format!("{chorus}/paiement")).await, "goto");
    ok(
        ok(s.find(&id("numero_ej")).await, "ej")
            .fill("1234567890")
            .await,
        "ej",
    );
    ok(
        ok(s.find(&id("montant")).await, "m").fill("1500").await,
        "montant",
    );
    ok(
        ok(s.find(&id("reference")).await, "r").fill("DS-42").await,
        "reference",
    );
    ok(
        ok(s.find(&id("pieces")).await, "p").upload(&piece).await,
        "upload",
    );
    ok(
        ok(s.find(&id("paiement-envoyer")).await, "e").click().await,
        "click",
    );
    let link = ok(s.wait_for(&id("lien-attestation"), WAIT).await, "lien");
    ok(link.click().await, "download click");
    let path = ok(s.expect_download(Duration::from_secs(20)).await, "download");
    assert!(path.starts_with(s.download_dir()));
    let pdf = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF"), "{path:?}");

    let records = sb.app_records(App::Chorus);
    let d = &records.last().unwrap_or_else(|| panic!("no record")).data;
    assert_eq!(d["attestation"]["sha256"], sha256_hex(&pdf).as_str());
    let err = s.expect_download(Duration::from_millis(300)).await.err();
    assert!(matches!(err, Some(BrowserError::Timeout { .. })), "{err:?}");
    s.close().await;
    b.shutdown().await;
}
