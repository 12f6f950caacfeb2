//! `chorus-paiement` end to end: the real `pont` binary runs the built robot
//! against the DS simulator and the sandbox's Chorus with a real headless
//! Chromium, an EJ base and an activity report written here as xlsx.
//! Four dossiers en instruction: two payable, one whose EJ is not in the
//! base, one asking more than its EJ engaged (both for a person).

mod common;
mod robots_kit;

use std::collections::{BTreeMap, BTreeSet};

use common::Env;
use pont_ds::{ChampValue, Dossier};
use pont_sandbox::apps::App;
use robots_kit::{Setup, annotation, champ, client, files, item, sha256_hex};

const DEMARCHE: i64 = 103;
const BASE: &str = "ref/base-ej.xlsx";
const REPORT: &str = "rapports/rapport-activite.xlsx";
const REPORT_HEADER: [&str; 8] = [
    "Date",
    "Dossier",
    "EJ",
    "Bénéficiaire",
    "Montant (€)",
    "Numéro de paiement",
    "Pièces jointes",
    "Montant engagé (€)",
];

fn ej(d: &Dossier) -> String {
    // An `EngagementJuridiqueChamp` (DS's own type): its number is its text.
    match champ(d, "Numéro d’engagement juridique") {
        ChampValue::Text(t) => t.clone(),
        ChampValue::EngagementJuridique(ej) => ej.numero.clone(),
        other => panic!("EJ champ: {other:?}"),
    }
}

fn montant(d: &Dossier) -> f64 {
    match champ(d, "Montant à payer (€)") {
        ChampValue::Decimal(m) => *m,
        other => panic!("montant: {other:?}"),
    }
}

fn siret(d: &Dossier) -> String {
    match champ(d, "SIRET du bénéficiaire") {
        ChampValue::Siret(e) => e.siret.clone(),
        other => panic!("SIRET: {other:?}"),
    }
}

/// The EJ base: filler engagements, the first two dossiers' EJs with room to
/// pay, the fourth's engaged for half its amount; the third's is missing.
fn write_base(env: &Env, ds: &[Dossier]) {
    let mut rows: Vec<Vec<String>> = (0..40)
        .map(|i| {
            vec![
                format!("{}", 2_200_000_000u64 + i),
                "73282932000074".into(),
                format!("Autre bénéficiaire {i}"),
                "1000".into(),
            ]
        })
        .collect();
    for (k, d) in ds.iter().enumerate() {
        let engaged = match k {
            0 | 1 => montant(d) + 1000.0,
            3 => montant(d) / 2.0,
            _ => continue,
        };
        rows.insert(
            7 * k,
            vec![
                ej(d),
                siret(d),
                format!("Bénéficiaire {k}"),
                format!("{engaged:.2}"),
            ],
        );
    }
    robots_kit::workbook(
        &env.path(BASE),
        "EJ",
        &["EJ", "SIRET", "Bénéficiaire", "Montant engagé (€)"],
        &rows,
    );
}

fn setup(sb: &pont_sandbox::Sandbox) -> Setup<'static> {
    let mut settings = BTreeMap::new();
    settings.insert("chorus-url", sb.app_url(App::Chorus));
    Setup {
        robot: "chorus-paiement",
        demarche: DEMARCHE,
        ds_actions: &["read", "message", "annotations"],
        app: ("chorus", App::Chorus),
        mounts: &[
            ("referentiel", "ref", "read-only"),
            ("rapports", "rapports", "read-write"),
        ],
        settings,
    }
}

/// The invoices' SHA-256, downloaded from DS by the test.
async fn invoice_hashes(sb: &pont_sandbox::Sandbox, d: &Dossier) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in files(champ(d, "Facture")) {
        out.insert(sha256_hex(&robots_kit::download(sb, &f).await));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_go_through_chorus_and_their_certificates_back_to_ds() {
    let sb = robots_kit::sandbox(DEMARCHE, 4).await;
    let ds = robots_kit::dossiers(&sb, DEMARCHE).await;
    assert_eq!(ds.len(), 4);
    let env = Env::new();
    let cfg = robots_kit::config(&env, &sb, &setup(&sb));
    write_base(&env, &ds);
    let base_before = std::fs::read(env.path(BASE)).unwrap();
    let existing = vec![
        "2026-01-05".into(),
        "10399999".into(),
        "2100000001".into(),
        "Saisie manuelle".into(),
        "12.5".into(),
        "CHO-PAI-MANUEL".into(),
        "1".into(),
        "100".into(),
    ];
    robots_kit::workbook(&env.path(REPORT), "Paiements", &REPORT_HEADER, &[existing]);

    let ran = robots_kit::run(&cfg).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(
        (
            &summary["done"],
            &summary["needs_review"],
            &summary["failed"]
        ),
        (&2.into(), &2.into(), &0.into()),
        "{summary}"
    );
    let missing = item(&summary, ds[2].number);
    assert!(
        missing["reason"]
            .as_str()
            .unwrap()
            .contains("absent de la base"),
        "{missing}"
    );
    let short = item(&summary, ds[3].number);
    assert!(
        short["reason"]
            .as_str()
            .unwrap()
            .contains("supérieur au montant engagé"),
        "{short}"
    );

    let records = sb.app_records(App::Chorus);
    assert_eq!(records.len(), 2, "{records:?}");
    let today = robots_kit::today();
    for (k, d) in ds.iter().take(2).enumerate() {
        let r = &records
            .iter()
            .find(|r| r.data["reference"] == format!("DS-{}", d.number))
            .unwrap_or_else(|| panic!("no payment for {}", d.number))
            .data;
        assert_eq!(r["numero_ej"], ej(d).as_str());
        assert_eq!(r["montant_centimes"], (montant(d) * 100.0).round() as i64);
        // Every invoice reached Chorus byte for byte.
        let sent: BTreeSet<String> = r["pieces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sha256"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(sent, invoice_hashes(&sb, d).await, "dossier {}", d.number);
        let numero = r["numero_paiement"].as_str().unwrap();
        assert_eq!(item(&summary, d.number)["reason"], numero);

        // The certificate Chorus made is the one attached to the DS message.
        let messages = client(&sb)
            .messages(&crate::common::ds_permits::read(d.number), d.number)
            .await
            .unwrap();
        let sent_back: Vec<_> = messages
            .iter()
            .filter(|m| !m.attachments.is_empty())
            .collect();
        assert_eq!(sent_back.len(), 1, "{messages:?}");
        assert!(sent_back[0].body.contains(numero), "{}", sent_back[0].body);
        let pdf = robots_kit::download(&sb, &sent_back[0].attachments[0]).await;
        assert_eq!(
            sha256_hex(&pdf),
            r["attestation"]["sha256"].as_str().unwrap()
        );
        assert!(pdf.starts_with(b"%PDF"));

        // Annotations: payment number, certificate added, report row.
        let after = robots_kit::dossier(&sb, d.number).await;
        let row = 3 + k as i64;
        assert_eq!(
            annotation(&after, "Numéro de demande de paiement"),
            &ChampValue::Text(numero.into())
        );
        assert_eq!(
            annotation(&after, "Certificat de paiement ajouté"),
            &ChampValue::Checkbox(true)
        );
        assert_eq!(
            annotation(&after, "Ligne du rapport d’activité"),
            &ChampValue::Integer(row)
        );

        // The report's row says the same.
        let cells = robots_kit::row(&env.path(REPORT), "Paiements", row as u32, 8);
        assert_eq!(cells[0], today);
        assert_eq!(cells[1], d.number.to_string());
        assert_eq!(cells[2], ej(d));
        assert_eq!(cells[3], format!("Bénéficiaire {k}"));
        assert!((cells[4].parse::<f64>().unwrap() - montant(d)).abs() < 0.001);
        assert_eq!(cells[5], numero);
        assert_eq!(cells[6], files(champ(d, "Facture")).len().to_string());
    }
    // The dossiers for a person: nothing sent, nothing written.
    for d in &ds[2..] {
        let after = robots_kit::dossier(&sb, d.number).await;
        assert_eq!(
            annotation(&after, "Numéro de demande de paiement"),
            &ChampValue::Empty
        );
        assert_ne!(
            annotation(&after, "Certificat de paiement ajouté"),
            &ChampValue::Checkbox(true)
        );
        let messages = client(&sb)
            .messages(&crate::common::ds_permits::read(d.number), d.number)
            .await
            .unwrap();
        assert!(messages.iter().all(|m| m.attachments.is_empty()));
    }

    // The report kept its first row and its other sheet; the base is untouched.
    let book = umya_spreadsheet::reader::xlsx::read(env.path(REPORT)).unwrap();
    let ws = book.sheet_by_name("Paiements").unwrap();
    assert_eq!(ws.highest_row(), 4);
    assert_eq!(ws.value((6, 2)), "CHO-PAI-MANUEL");
    assert!(ws.style((1, 1)).font().is_some_and(|f| f.bold()));
    assert_eq!(
        book.sheet_by_name("Notes").unwrap().value((1, 1)),
        "Tenu par le service"
    );
    assert_eq!(std::fs::read(env.path(BASE)).unwrap(), base_before);

    // The journal: two done, two waiting for a person. The ledger counts
    // what went to Chorus (typed fields and invoices) and to DS (the
    // messages with their certificates, the annotations).
    let queue = robots_kit::queue(&env);
    assert_eq!(queue[&ds[0].number], "done");
    assert_eq!(queue[&ds[1].number], "done");
    assert_eq!(queue[&ds[2].number], "review");
    assert_eq!(queue[&ds[3].number], "review");
    let chorus = sb.app_url(App::Chorus);
    let invoices: u64 = ds[..2]
        .iter()
        .flat_map(|d| files(champ(d, "Facture")))
        .map(|f| f.byte_size)
        .sum();
    let to_chorus = robots_kit::ledger(&summary, "robot", &chorus).expect("Chorus in the ledger");
    assert!(
        to_chorus["bytes"].as_u64().unwrap() >= invoices,
        "{to_chorus}"
    );
    let certificates: u64 = records
        .iter()
        .map(|r| r.data["attestation"]["size"].as_u64().unwrap())
        .sum();
    let to_ds = robots_kit::ledger(&summary, "robot", "DS ").expect("DS in the ledger");
    assert!(to_ds["bytes"].as_u64().unwrap() >= certificates, "{to_ds}");
}
