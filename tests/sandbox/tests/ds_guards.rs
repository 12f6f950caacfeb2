//! DS's refusals and asynchronous states that depend on more than a dossier's state, posted
//! as GraphQL over loopback: the virus scan of a fresh upload, the degraded-SIRET refusal,
//! annotation value validation and the one-pending-correction rule.

mod common;

use common::*;
use pont_sandbox::util::champ_id;
use serde_json::{Value, json};

const UPLOAD: &str = "mutation($i: CreateDirectUploadInput!) { createDirectUpload(input: $i) { directUpload { url headers signedBlobId } } }";
const MESSAGE: &str = "mutation($i: DossierEnvoyerMessageInput!) { dossierEnvoyerMessage(input: $i) { message { id body } errors { message } } }";
const SCANS: &str = "query($n: Int!) { dossier(number: $n) { messages { attachments { filename virusScanResult } } champs { ... on PieceJustificativeChamp { files { virusScanResult } } } } }";
const DECIDE: &str = "mutation($i: DossierAccepterInput!) { dossierAccepter(input: $i) { dossier { state } errors { message } } }";
const REFUSE: &str = "mutation($i: DossierRefuserInput!) { dossierRefuser(input: $i) { dossier { state } errors { message } } }";
const ANNOTATE: &str = "mutation($i: DossierModifierAnnotationsInput!) { dossierModifierAnnotations(input: $i) { annotations { id stringValue } errors { message } } }";
const DEGRADED: &str =
    "Les informations du SIRET du dossier ne sont pas complètes. Veuillez réessayer plus tard.";

async fn seeded(demarche: i64, state: &str, n: usize) -> Env {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": demarche, "dossiers": n, "state": state }),
    )
    .await;
    env
}

/// Uploads `bytes` with DS's direct-upload flow and sends them as a message attachment.
async fn send_attachment(env: &Env, n: i64) {
    let (id, instr, _, _) = env.dossier_ids(n).await;
    let bytes = b"%PDF-1.4 attestation".to_vec();
    let d = env
        .data(RW, UPLOAD, json!({ "i": { "dossierId": id, "filename": "attestation.pdf", "byteSize": bytes.len(),
            "checksum": pont_sandbox::util::md5_base64(&bytes), "contentType": "application/pdf" } }))
        .await;
    let up = &d["createDirectUpload"]["directUpload"];
    let headers: serde_json::Map<String, Value> =
        serde_json::from_str(up["headers"].as_str().unwrap()).unwrap();
    let mut put = env.http.put(up["url"].as_str().unwrap()).body(bytes);
    for (k, v) in &headers {
        put = put.header(k.as_str(), v.as_str().unwrap());
    }
    assert_eq!(put.send().await.unwrap().status().as_u16(), 201);
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr, "body": "Ci-joint",
        "attachment": up["signedBlobId"] } });
    let d = env.data(RW, MESSAGE, input).await;
    assert!(d["dossierEnvoyerMessage"]["errors"].is_null(), "{d}");
}

/// `virusScanResult` of the dossier's last message attachment, and of its seeded files.
async fn scans(env: &Env, n: i64) -> (String, Vec<String>) {
    let d = env.data(RW, SCANS, json!({ "n": n })).await;
    let last = d["dossier"]["messages"]
        .as_array()
        .and_then(|m| m.last())
        .map(|m| m["attachments"][0]["virusScanResult"].clone());
    let seeded = d["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["files"].as_array().cloned().unwrap_or_default())
        .map(|f| f["virusScanResult"].as_str().unwrap().to_owned())
        .collect();
    let last = last.and_then(|v| v.as_str().map(str::to_owned));
    (last.unwrap_or_default(), seeded)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_upload_is_pending_until_scanned() {
    let env = seeded(103, "en_instruction", 3).await;
    // Scanned when the fault control says so.
    send_attachment(&env, 10300001).await;
    let (fresh, seeded_files) = scans(&env, 10300001).await;
    assert_eq!(fresh, "pending");
    assert!(!seeded_files.is_empty() && seeded_files.iter().all(|s| s == "safe"));
    let r = env.control("faults/virus-scan", json!({})).await;
    assert_eq!(r["finished"], 1);
    assert_eq!(scans(&env, 10300001).await.0, "safe");

    // Scanned after the configured delay.
    env.control("faults", json!({ "virus_scan_ms": 300 })).await;
    send_attachment(&env, 10300002).await;
    assert_eq!(scans(&env, 10300002).await.0, "pending");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(scans(&env, 10300002).await.0, "safe");
}

/// The demandeur's SIRET of dossier `n`.
async fn siret(env: &Env, n: i64) -> String {
    let q =
        "query($n: Int!) { dossier(number: $n) { demandeur { ... on PersonneMorale { siret } } } }";
    let d = env.data(RW, q, json!({ "n": n })).await;
    d["dossier"]["demandeur"]["siret"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn decide(env: &Env, mutation: &str, n: i64) -> Value {
    let (id, instr, _, _) = env.dossier_ids(n).await;
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr, "motivation": "Vu" } });
    let d = env.data(RW, mutation, input).await;
    d.as_object().unwrap().values().next().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_degraded_siret_refuses_the_decision_until_its_data_is_back() {
    let env = seeded(101, "en_instruction", 3).await;
    let (one, two) = (siret(&env, 10100001).await, siret(&env, 10100002).await);
    assert_ne!(one[..9], two[..9], "seeded entreprises differ");
    // The entreprise (SIREN) of dossier 1 has no API Entreprise data.
    env.control("faults", json!({ "degraded_sirets": [&one[..9]] }))
        .await;
    for mutation in [DECIDE, REFUSE] {
        let p = decide(&env, mutation, 10100001).await;
        assert_eq!(p["errors"][0]["message"], DEGRADED, "{p}");
        assert!(p["dossier"].is_null());
    }
    let log = env.log().await;
    assert!(log.iter().all(|e| e["applied"] == false), "{log:?}");
    // Read with a fragment on it, the demandeur is a PersonneMoraleIncomplete, as in DS.
    let q = "query($n: Int!) { dossier(number: $n) { demandeur { __typename
        ... on PersonneMoraleIncomplete { siret } } } }";
    let d = env.data(RW, q, json!({ "n": 10100001 })).await;
    assert_eq!(
        d["dossier"]["demandeur"],
        json!({ "__typename": "PersonneMoraleIncomplete", "siret": one })
    );
    // Another entreprise is unaffected.
    let p = decide(&env, DECIDE, 10100002).await;
    assert_eq!(p["dossier"]["state"], "accepte", "{p}");
    // Data back: the decision goes through.
    env.control("faults", json!({})).await;
    let p = decide(&env, DECIDE, 10100001).await;
    assert_eq!(p["dossier"]["state"], "accepte", "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_personne_morale_is_degraded_without_any_fault() {
    let env = seeded(107, "en_instruction", 12).await;
    let q = "query($n: Int!) { dossier(number: $n) { demandeur { __typename } } }";
    let mut incomplete = None;
    for n in 10700001..=10700012 {
        let d = env.data(RW, q, json!({ "n": n })).await;
        if d["dossier"]["demandeur"]["__typename"] == "PersonneMoraleIncomplete" {
            incomplete = Some(n);
            break;
        }
    }
    let n = incomplete.expect("the catalogue seeds a PersonneMoraleIncomplete");
    let p = decide(&env, DECIDE, n).await;
    assert_eq!(p["errors"][0]["message"], DEGRADED, "{p}");
}

fn messages(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|m| m["message"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn annotate(env: &Env, n: i64, items: Value) -> Value {
    let (id, instr, _, _) = env.dossier_ids(n).await;
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr, "annotations": items } });
    env.data(RW, ANNOTATE, input).await["dossierModifierAnnotations"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotation_values_are_validated_as_ds_does() {
    let env = seeded(107, "en_instruction", 2).await;
    let montant = champ_id(107_502, None);
    let avis = champ_id(107_501, None);
    let range = "doit être un nombre compris entre 0.0 et 1000000.0";
    for (value, expected) in [
        (
            json!(12.3456),
            vec!["doit comprendre entre 1 et 3 chiffres après le point"],
        ),
        (json!(-5), vec!["doit être un nombre positif", range]),
        (json!(2_000_000), vec![range]),
        (
            json!(1e20),
            vec![
                range,
                "doit comprendre entre 1 et 3 chiffres après le point",
            ],
        ),
    ] {
        let p = annotate(
            &env,
            10700001,
            json!([{ "id": montant, "value": { "decimalNumber": value } }]),
        )
        .await;
        assert_eq!(messages(&p), expected, "{value}");
        assert_eq!(p["annotations"], json!([]));
    }
    // A valid value alongside: it is saved, the refused one is not; lookup errors come
    // before validation errors, as in DS.
    let p = annotate(
        &env,
        10700001,
        json!([
            { "id": montant, "value": { "decimalNumber": -1.5 } },
            { "id": avis, "value": { "textarea": "Favorable" } },
            { "id": avis, "value": { "checkbox": true } },
        ]),
    )
    .await;
    let wrong = format!("L‘annotation \"{avis}\" n’est pas de type attendu");
    assert_eq!(
        messages(&p),
        vec![wrong.as_str(), "doit être un nombre positif", range]
    );
    assert_eq!(p["annotations"].as_array().unwrap().len(), 1);
    let p = annotate(
        &env,
        10700001,
        json!([{ "id": montant, "value": { "decimalNumber": 1234.5 } }]),
    )
    .await;
    assert!(p["errors"].is_null(), "{p}");
    assert_eq!(p["annotations"][0]["id"], montant);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_downs_and_deprecated_mutations_refuse_out_of_range_values() {
    let env = seeded(106, "en_instruction", 2).await;
    let decision = champ_id(106_502, None);
    let p = annotate(
        &env,
        10600001,
        json!([{ "id": decision, "value": { "dropDownList": "Peut-être" } }]),
    )
    .await;
    assert_eq!(messages(&p), vec!["doit être dans les options proposées"]);
    let p = annotate(
        &env,
        10600001,
        json!([{ "id": decision, "value": { "dropDownList": "Acceptée" } }]),
    )
    .await;
    assert!(p["errors"].is_null(), "{p}");

    let env = seeded(103, "en_instruction", 2).await;
    let (id, instr, _, _) = env.dossier_ids(10300001).await;
    let q = "mutation($i: DossierModifierAnnotationIntegerNumberInput!) { dossierModifierAnnotationIntegerNumber(input: $i) { annotation { id } errors { message } } }";
    let input = |v: i64| json!({ "i": { "dossierId": id, "instructeurId": instr, "annotationId": champ_id(103_503, None), "value": v } });
    let d = env.data(RW, q, input(-1)).await;
    let p = &d["dossierModifierAnnotationIntegerNumber"];
    assert_eq!(messages(p), vec!["doit être un nombre positif"]);
    assert!(p["annotation"].is_null());
    let d = env.data(RW, q, input(7)).await;
    assert!(
        d["dossierModifierAnnotationIntegerNumber"]["errors"].is_null(),
        "{d}"
    );
}

async fn message(env: &Env, n: i64, correction: Option<&str>, other_groupe: bool) -> Value {
    let (id, mine, other, _) = env.dossier_ids(n).await;
    let instr = if other_groupe { other } else { mine };
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr, "body": "Pièce illisible",
        "correction": correction } });
    env.data(RW, MESSAGE, input).await["dossierEnvoyerMessage"].clone()
}

/// The dossier's state and how many messages it has.
async fn state_and_messages(env: &Env, n: i64) -> (Value, usize) {
    let q = "query($n: Int!) { dossier(number: $n) { state messages { id } } }";
    let d = env.data(RW, q, json!({ "n": n })).await;
    let count = d["dossier"]["messages"].as_array().map_or(0, Vec::len);
    (d["dossier"]["state"].clone(), count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pending_correction_at_a_time() {
    let env = seeded(104, "en_instruction", 3).await;
    let n = 10400001;
    let p = message(&env, n, Some("incorrect"), false).await;
    assert!(p["errors"].is_null(), "{p}");
    let (state, before) = state_and_messages(&env, n).await;
    assert_eq!(state, "en_construction");
    // A second correction while the first is pending: refused, no message sent; DS checks
    // this before the instructeur's access.
    for other_groupe in [false, true] {
        let p = message(&env, n, Some("incomplete"), other_groupe).await;
        assert_eq!(
            messages(&p),
            vec!["Une demande de correction est déjà en attente sur ce dossier"]
        );
        assert!(p["message"].is_null());
    }
    assert_eq!(state_and_messages(&env, n).await.1, before);
    // A plain message still goes.
    assert!(message(&env, n, None, false).await["errors"].is_null());
    // Once the usager answered, a new correction may be asked.
    env.control(
        &format!("dossiers/{n}/applicant"),
        json!({ "answer_correction": {} }),
    )
    .await;
    let p = message(&env, n, Some("outdated"), false).await;
    assert!(p["errors"].is_null(), "{p}");

    let env = seeded(104, "accepte", 1).await;
    let p = message(&env, 10400001, Some("incorrect"), false).await;
    assert_eq!(
        messages(&p),
        vec!["Le dossier ne peut pas faire l’objet d’une demande de correction car il est accepté"]
    );
}
