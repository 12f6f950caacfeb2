//! `chorus-subvention` end to end: the real `pont` binary runs the built
//! robot against the DS simulator and the sandbox's Chorus with a real
//! headless Chromium. Three subsidy dossiers en instruction; one was
//! already marked "Saisi dans Chorus" by an instructeur.

mod common;
mod robots_kit;

use std::collections::BTreeMap;

use common::Env;
use pont_ds::{AnnotationInput, AnnotationValue, ChampValue};
use pont_sandbox::apps::App;
use robots_kit::{Setup, annotation, champ, client, item};

const DEMARCHE: i64 = 101;

/// Marks a dossier "Saisi dans Chorus" as an instructeur would by hand.
async fn mark_entered(sb: &pont_sandbox::Sandbox, number: i64) {
    let c = client(sb);
    let d = c
        .dossier(&crate::common::ds_permits::read(number), number)
        .await
        .unwrap();
    let id = d
        .annotations
        .iter()
        .find(|a| a.label == "Saisi dans Chorus")
        .unwrap()
        .id
        .clone();
    let instructeur = c
        .resolve_instructeur(
            &crate::common::ds_permits::listing(DEMARCHE),
            DEMARCHE,
            &pont_sandbox::seed::robot_instructeur_email(DEMARCHE).unwrap(),
        )
        .await
        .unwrap();
    let key = c
        .dossier_key(&crate::common::ds_permits::read(number), number)
        .await
        .unwrap();
    c.modifier_annotations(
        &crate::common::ds_permits::act(pont_policy::DsAction::Annotations, key.number),
        &key,
        &instructeur,
        &[AnnotationInput {
            id,
            value: AnnotationValue::Checkbox(true),
        }],
    )
    .await
    .unwrap();
}

fn setup(sb: &pont_sandbox::Sandbox) -> Setup<'static> {
    let mut settings = BTreeMap::new();
    settings.insert("chorus-url", sb.app_url(App::Chorus));
    Setup {
        robot: "chorus-subvention",
        demarche: DEMARCHE,
        ds_actions: &["read", "annotations"],
        app: ("chorus", App::Chorus),
        mounts: &[],
        settings,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subsidies_are_entered_in_chorus_and_their_reference_written_back() {
    let sb = robots_kit::sandbox(DEMARCHE, 3).await;
    let before = robots_kit::dossiers(&sb, DEMARCHE).await;
    assert_eq!(before.len(), 3);
    let manual = before[1].number;
    mark_entered(&sb, manual).await;

    let env = Env::new();
    let cfg = robots_kit::config(&env, &sb, &setup(&sb));
    let ran = robots_kit::run(&cfg).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let summary = ran.json();
    assert_eq!(
        (&summary["done"], &summary["skipped"], &summary["failed"]),
        (&2.into(), &1.into(), &0.into()),
        "{summary}"
    );
    assert_eq!(item(&summary, manual)["status"], "skipped");

    // Chorus holds exactly the two others, each as the dossier says.
    let records = sb.app_records(App::Chorus);
    assert_eq!(records.len(), 2, "{records:?}");
    let today = robots_kit::today();
    for d in before.iter().filter(|d| d.number != manual) {
        let r = records
            .iter()
            .map(|r| &r.data)
            .find(|r| r["reference_ds"] == format!("DS-{}", d.number))
            .unwrap_or_else(|| panic!("no Chorus record for {}", d.number));
        let ChampValue::Siret(etab) = champ(d, "SIRET du porteur") else {
            panic!("SIRET")
        };
        assert_eq!(r["siret"], etab.siret.as_str());
        assert_eq!(
            r["raison_sociale"],
            etab.raison_sociale.as_deref().unwrap_or_default()
        );
        let ChampValue::DropDown(dispositif) = champ(d, "Dispositif") else {
            panic!("Dispositif")
        };
        assert_eq!(r["dispositif"], dispositif.as_str());
        let ChampValue::Decimal(montant) = champ(d, "Montant demandé (€)") else {
            panic!("Montant")
        };
        assert_eq!(r["montant_centimes"], (montant * 100.0).round() as i64);
        let ChampValue::Text(objet) = champ(d, "Intitulé du projet") else {
            panic!("Intitulé")
        };
        assert_eq!(r["objet"], objet.as_str());
        assert_eq!(r["date_decision"], today.as_str());

        // The reference Chorus gave is in the outcome and in DS.
        let reference = r["reference"].as_str().unwrap();
        assert_eq!(item(&summary, d.number)["reason"], reference);
        let after = robots_kit::dossier(&sb, d.number).await;
        assert_eq!(
            annotation(&after, "Numéro d’engagement juridique"),
            &ChampValue::Text(reference.into())
        );
        assert_eq!(
            annotation(&after, "Saisi dans Chorus"),
            &ChampValue::Checkbox(true)
        );
        assert_eq!(
            annotation(&after, "Date de saisie"),
            &ChampValue::Date(today.clone())
        );
        // The robot does not decide: the dossier stays en instruction.
        assert_eq!(after.state, pont_ds::DossierState::EnInstruction);
    }
    // The manually entered dossier was left alone.
    let untouched = robots_kit::dossier(&sb, manual).await;
    assert_eq!(
        annotation(&untouched, "Numéro d’engagement juridique"),
        &ChampValue::Empty
    );

    // The journal: every dossier final, the bytes typed into Chorus in the ledger.
    let queue = robots_kit::queue(&env);
    for d in &before {
        let expected = if d.number == manual {
            "skipped"
        } else {
            "done"
        };
        assert_eq!(queue[&d.number], expected, "{queue:?}");
    }
    let chorus = sb.app_url(App::Chorus);
    let row = robots_kit::ledger(&summary, "", &chorus).expect("Chorus in the ledger");
    assert!(row["bytes"].as_u64().unwrap() > 0, "{row}");
    assert!(
        item(&summary, before[0].number)["browser_actions"]
            .as_u64()
            .unwrap()
            >= 10
    );

    // A second run finds nothing left to do and enters nothing again.
    let again = robots_kit::run(&cfg).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let summary = again.json();
    assert_eq!(summary["done"], 0, "{summary}");
    assert_eq!(
        summary["items"].as_array().map(Vec::len),
        Some(0),
        "{summary}"
    );
    assert_eq!(sb.app_records(App::Chorus).len(), 2);
}
