//! The third-party web apps, driven at the HTTP level as a browser would submit their forms:
//! ports, Chorus (subsidy and payment) and @ctes. CPS, referential, casier and contrôle are in
//! `apps_more.rs`.

mod common_apps;

use common_apps::*;
use pont_sandbox::App;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};

#[tokio::test]
async fn each_app_has_its_own_port_and_request_log() {
    let env = start().await;
    let mut ports: Vec<u16> = App::ALL
        .iter()
        .map(|a| {
            let u = env.sb.app_url(*a);
            assert!(u.starts_with("http://127.0.0.1:"), "{u}");
            u.rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    ports.push(env.sb.addr().port());
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), App::ALL.len() + 1);

    assert!(env.sb.app_requests(App::Casier).is_empty());
    let (s, html) = env.get(App::Casier, "/demande").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("<label for=\"nom\">") && html.contains("data-testid=\"demande-envoyer\"")
    );
    env.records(App::Casier).await; // control endpoints are not logged
    let log = env.sb.app_requests(App::Casier);
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str()),
        ("GET", "/demande")
    );
    for app in [
        App::Chorus,
        App::Actes,
        App::Cps,
        App::Controle,
        App::Referentiel,
    ] {
        assert!(env.sb.app_requests(app).is_empty(), "{app:?} saw a request");
    }
    env.sb.shutdown().await;
}

#[tokio::test]
async fn chorus_subsidy_two_steps() {
    let env = start().await;
    let (s, html) = env.get(App::Chorus, "/subvention").await;
    assert_eq!(s, StatusCode::OK);
    for id in [
        "dispositif",
        "siret",
        "raison_sociale",
        "reference_ds",
        "etape1-suivant",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Step 1 invalid: re-rendered with messages and typed values, nothing recorded.
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention",
            &[
                ("dispositif", "XYZ"),
                ("siret", "12345"),
                ("raison_sociale", "ACME"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"erreurs\""));
    assert!(
        html.contains("id=\"siret-error\"")
            && html.contains("Le SIRET doit comporter 14 chiffres.")
    );
    assert!(html.contains("id=\"dispositif-error\"") && html.contains("id=\"reference_ds-error\""));
    assert!(html.contains("value=\"ACME\""));
    let bad_key = format!(
        "{}{}",
        &siret("1234567890123")[..13],
        (siret("1234567890123").as_bytes()[13] - b'0' + 1) % 10
    );
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention",
            &[
                ("dispositif", "DETN"),
                ("siret", &bad_key),
                ("raison_sociale", "ACME"),
                ("reference_ds", "10100001"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("clé de contrôle"));

    // Step 1 valid → step 2 with a draft id.
    let sir = siret("4423012345678");
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention",
            &[
                ("dispositif", "CATNAT"),
                ("siret", &sir),
                ("raison_sociale", "Commune d’Exemple"),
                ("reference_ds", "10100001"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Étape 2 sur 2"));
    let draft = attr_value(&html, "brouillon");
    assert_eq!(draft.len(), 24);
    assert!(
        env.records(App::Chorus).await.is_empty(),
        "nothing recorded after step 1"
    );

    // Step 2 invalid.
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention/montants",
            &[
                ("brouillon", &draft),
                ("montant", "-3"),
                ("date_decision", "31/02/2025"),
                ("objet", ""),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"montant-error\"")
            && html.contains("id=\"date_decision-error\"")
            && html.contains("id=\"objet-error\"")
    );
    assert!(env.records(App::Chorus).await.is_empty());

    // Step 2 valid → confirmation with a Chorus reference, revealed after a delay.
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention/montants",
            &[
                ("brouillon", &draft),
                ("montant", "12 500,50"),
                ("date_decision", "2025-03-14"),
                ("objet", "Réfection de la voirie"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<div id=\"confirmation\" hidden data-delay-ms=\"300\">"));
    assert!(html.contains("setTimeout("));
    let reference = attr_value(&html, "reference-chorus");
    assert!(reference.starts_with("CHO-SUB-"), "{reference}");
    let recs = env.records(App::Chorus).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["form"], "subvention");
    let d = &recs[0]["data"];
    assert_eq!(d["reference"], reference.as_str());
    assert_eq!(d["dispositif"], "CATNAT");
    assert_eq!(d["siret"], sir.as_str());
    assert_eq!(d["raison_sociale"], "Commune d’Exemple");
    assert_eq!(d["reference_ds"], "10100001");
    assert_eq!(d["montant_centimes"], 1_250_050);
    assert_eq!(d["date_decision"], "2025-03-14");
    assert_eq!(d["objet"], "Réfection de la voirie");

    // The same draft cannot complete twice.
    let (s, html) = env
        .post_form(
            App::Chorus,
            "/subvention/montants",
            &[
                ("brouillon", &draft),
                ("montant", "1"),
                ("date_decision", "2025-03-14"),
                ("objet", "x"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"session-expiree\""));
    assert_eq!(env.records(App::Chorus).await.len(), 1);
    env.sb.shutdown().await;
}

#[tokio::test]
async fn chorus_payment_with_attachments_and_certificate() {
    let env = start().await;
    let (_, html) = env.get(App::Chorus, "/paiement").await;
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("id=\"pieces\""));

    let (s, html) = env
        .post_multipart(
            App::Chorus,
            "/paiement",
            &[
                Part::Text("numero_ej", "12AB"),
                Part::Text("montant", "100"),
                Part::Text("reference", "10300001"),
                Part::File("pieces", "", b""),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"numero_ej-error\"")
            && html.contains("Au moins une pièce justificative est obligatoire.")
    );
    assert!(env.records(App::Chorus).await.is_empty());

    let facture = b"%PDF-1.4 facture".to_vec();
    let rib: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let (s, html) = env
        .post_multipart(
            App::Chorus,
            "/paiement",
            &[
                Part::Text("numero_ej", "2100001234"),
                Part::Text("montant", "4 200,00"),
                Part::Text("reference", "10300001"),
                Part::File("pieces", "facture.pdf", &facture),
                Part::File("pieces", "rib.bin", &rib),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("<div id=\"resultat-paiement\" hidden"));
    let link = href_of(&html, "lien-attestation");
    let recs = env.records(App::Chorus).await;
    assert_eq!(recs.len(), 1);
    let d = &recs[0]["data"];
    assert_eq!(d["numero_ej"], "2100001234");
    assert_eq!(d["montant_centimes"], 420_000);
    assert_eq!(d["reference"], "10300001");
    assert_eq!(d["pieces"][0]["filename"], "facture.pdf");
    assert_eq!(d["pieces"][0]["sha256"], sha256_hex(&facture).as_str());
    assert_eq!(d["pieces"][1]["size"], 5000);
    assert_eq!(d["pieces"][1]["sha256"], sha256_hex(&rib).as_str());
    assert_eq!(d["attestation"]["url"], link.as_str());

    let r = env
        .http
        .get(env.url(App::Chorus, &link))
        .send()
        .await
        .expect("download");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_TYPE], "application/pdf");
    let disp = r.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        disp.starts_with("attachment;") && disp.contains(".pdf"),
        "{disp}"
    );
    let pdf = r.bytes().await.expect("bytes");
    assert!(pdf.starts_with(b"%PDF-1.") && pdf.ends_with(b"%%EOF\n"));
    assert_eq!(d["attestation"]["sha256"], sha256_hex(&pdf).as_str());
    assert_eq!(d["attestation"]["size"], pdf.len());
    let (s, _) = env
        .get(App::Chorus, "/paiement/CHO-PAI-999999/attestation.pdf")
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    env.sb.shutdown().await;
}

#[tokio::test]
async fn actes_deposit_and_archive() {
    let env = start().await;
    let (s, html) = env
        .post_multipart(
            App::Actes,
            "/depot",
            &[
                Part::Text("categorie", "42"),
                Part::Text("objet", "Délibération"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"fichier-error\"") && html.contains("id=\"categorie-error\""));
    assert!(env.records(App::Actes).await.is_empty());

    let acte: Vec<u8> = b"acte n 12 ".repeat(300);
    let (s, html) = env
        .post_multipart(
            App::Actes,
            "/depot",
            &[
                Part::File("fichier", "deliberation.pdf", &acte),
                Part::Text("categorie", "7"),
                Part::Text("objet", "Budget primitif"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let numero = attr_value(&html, "numero-depot");
    let recs = env.records(App::Actes).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["data"]["numero"], numero.as_str());
    assert_eq!(recs[0]["data"]["categorie"], "7");
    assert_eq!(
        recs[0]["data"]["fichier"]["sha256"],
        sha256_hex(&acte).as_str()
    );

    let (s, html) = env.get(App::Actes, "/archive").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("id=\"depot-{numero}\"")));
    assert!(html.contains(&sha256_hex(&acte)) && html.contains("<td class=\"taille\">3000</td>"));
    assert!(html.contains("<div id=\"archive-chargee\" hidden"));
    env.sb.shutdown().await;
}
