//! Mutations: DS's guards and messages, the direct-upload flow, and the mutation log.

mod common;

use common::*;
use serde_json::{Value, json};

const PASSER: &str = "mutation($i: DossierPasserEnInstructionInput!) { dossierPasserEnInstruction(input: $i) { dossier { id state } errors { message } } }";
const ACCEPTER: &str = "mutation($i: DossierAccepterInput!) { dossierAccepter(input: $i) { dossier { state dateTraitement motivation motivationAttachment { filename checksum } traitements { state emailAgentTraitant } } errors { message } } }";
const UPLOAD: &str = "mutation($i: CreateDirectUploadInput!) { createDirectUpload(input: $i) { directUpload { url headers blobId signedBlobId } } }";

fn md5_b64(b: &[u8]) -> String {
    pont_sandbox::util::md5_base64(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_token_cannot_mutate() {
    let env = small().await;
    let (id, instructeur, _, _) = env.dossier_ids(10100001).await;
    let d = env
        .data(
            RO,
            PASSER,
            json!({ "i": { "dossierId": id, "instructeurId": instructeur } }),
        )
        .await;
    assert_eq!(
        d["dossierPasserEnInstruction"]["errors"][0]["message"],
        "Le jeton utilisé est configuré seulement en lecture"
    );
    assert!(d["dossierPasserEnInstruction"]["dossier"].is_null());
    let log = env.log().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["applied"], false);
    assert_eq!(log[0]["token"], RO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepter_twice_is_already_accepted_and_applied_once() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 106, "dossiers": 5, "state": "en_instruction" }),
    )
    .await;
    let (id, instructeur, _, state) = env.dossier_ids(10600002).await;
    assert_eq!(state, "en_instruction");
    let input =
        json!({ "i": { "dossierId": id, "instructeurId": instructeur, "motivation": "Conforme" } });
    let d = env.data(RW, ACCEPTER, input.clone()).await;
    let p = &d["dossierAccepter"];
    assert!(p["errors"].is_null(), "{p}");
    assert_eq!(p["dossier"]["state"], "accepte");
    assert_eq!(p["dossier"]["motivation"], "Conforme");
    assert_eq!(
        p["dossier"]["traitements"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["state"],
        "accepte"
    );
    let d = env.data(RW, ACCEPTER, input).await;
    assert_eq!(
        d["dossierAccepter"]["errors"][0]["message"],
        "Le dossier est déjà accepté"
    );
    assert!(d["dossierAccepter"]["dossier"].is_null());
    // Passing an accepted dossier en instruction: "déjà accepté" too.
    let d = env
        .data(
            RW,
            PASSER,
            json!({ "i": { "dossierId": id, "instructeurId": instructeur } }),
        )
        .await;
    assert_eq!(
        d["dossierPasserEnInstruction"]["errors"][0]["message"],
        "Le dossier est déjà accepté"
    );
    let applied: Vec<Value> = env
        .log()
        .await
        .into_iter()
        .filter(|e| e["applied"] == true && e["operation"] == "dossierAccepter")
        .collect();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0]["dossier"], 10600002);
    assert_eq!(applied[0]["transition"], "en_instruction→accepte");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_instructeur_and_unknown_ids() {
    let env = small().await;
    let (id, _, other, _) = env.dossier_ids(10100001).await;
    let d = env
        .data(
            RW,
            PASSER,
            json!({ "i": { "dossierId": id, "instructeurId": other } }),
        )
        .await;
    assert_eq!(
        d["dossierPasserEnInstruction"]["errors"][0]["message"],
        "L’instructeur n’a pas les droits d’accès à ce dossier"
    );
    let (_, b) = env
        .gql(
            RW,
            PASSER,
            json!({ "i": { "dossierId": "RG9zc2llci0x", "instructeurId": other } }),
        )
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "not_found");
    assert_eq!(
        b["errors"][0]["message"],
        "DossierPasserEnInstructionPayload not found"
    );
    assert!(b["data"]["dossierPasserEnInstruction"].is_null());
    let (_, b) = env
        .gql(
            RW,
            PASSER,
            json!({ "i": { "dossierId": "%%%", "instructeurId": "???" } }),
        )
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "not_found");
    // A token limited to another démarche does not see the dossier.
    let (_, b) = env.gql("sandbox-rw-101", PASSER, json!({ "i": { "dossierId": pont_sandbox::util::global_id("Dossier", 10600001), "instructeurId": other } })).await;
    assert_eq!(
        b["errors"][0]["message"],
        "An object of type Dossier was hidden due to permissions"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_machine_messages_labels_annotations() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 104, "dossiers": 3, "state": "en_instruction" }),
    )
    .await;
    let (id, instr, _, _) = env.dossier_ids(10400001).await;
    // Archiving needs a terminated dossier.
    let d = env.data(RW, "mutation($i: DossierArchiverInput!) { dossierArchiver(input: $i) { dossier { archived } errors { message } } }", json!({ "i": { "dossierId": id, "instructeurId": instr } })).await;
    assert_eq!(
        d["dossierArchiver"]["errors"][0]["message"],
        "Un dossier ne peut être déplacé dans « à archiver » qu’une fois le traitement terminé"
    );
    // A correction sends the dossier back en construction.
    let d = env
        .data(RW, "mutation($i: DossierEnvoyerMessageInput!) { dossierEnvoyerMessage(input: $i) { message { id body correction { reason dateResolution } } errors { message } } }",
            json!({ "i": { "dossierId": id, "instructeurId": instr, "body": "Pièce illisible", "correction": "incorrect" } }))
        .await;
    assert_eq!(
        d["dossierEnvoyerMessage"]["message"]["correction"]["reason"],
        "incorrect"
    );
    let d = env
        .data(
            RW,
            "query { dossier(number: 10400001) { state messages { body } } }",
            json!({}),
        )
        .await;
    assert_eq!(d["dossier"]["state"], "en_construction");
    // Labels.
    let labels = env
        .data(
            RW,
            "{ demarche(number: 104) { labels { id name } } }",
            json!({}),
        )
        .await;
    let label = labels["demarche"]["labels"][2]["id"].clone();
    let add = "mutation($i: DossierAjouterLabelInput!) { dossierAjouterLabel(input: $i) { dossier { labels { name } } label { name } errors { message } } }";
    env.data(
        RW,
        add,
        json!({ "i": { "dossierId": id, "labelId": label } }),
    )
    .await;
    let d = env
        .data(
            RW,
            add,
            json!({ "i": { "dossierId": id, "labelId": label } }),
        )
        .await;
    assert_eq!(
        d["dossierAjouterLabel"]["errors"][0]["message"],
        "Ce label est déjà associé au dossier"
    );
    let other_label = pont_sandbox::util::global_id("Label", 1011);
    let d = env
        .data(
            RW,
            add,
            json!({ "i": { "dossierId": id, "labelId": other_label } }),
        )
        .await;
    assert_eq!(
        d["dossierAjouterLabel"]["errors"][0]["message"],
        "Ce label n’appartient pas à la même démarche que le dossier"
    );
    // Annotations: good values, unknown id, wrong type, repetition rows.
    let descs = env
        .data(
            RW,
            "{ demarche(number: 104) { activeRevision { annotationDescriptors { id label } } } }",
            json!({}),
        )
        .await;
    let a = descs["demarche"]["activeRevision"]["annotationDescriptors"]
        .as_array()
        .unwrap()
        .clone();
    let modify = "mutation($i: DossierModifierAnnotationsInput!) { dossierModifierAnnotations(input: $i) { annotations { __typename id stringValue ... on YesNoChamp { value } ... on RepetitionChamp { rows { id champs { id } } } } errors { message } } }";
    let unknown = pont_sandbox::util::champ_id(999, None);
    let d = env
        .data(
            RW,
            modify,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "annotations": [
            { "id": a[0]["id"], "value": { "yesNo": true } },
            { "id": a[1]["id"], "value": { "textarea": "RAS" } },
            { "id": a[2]["id"], "value": { "repetition": 2 } },
            { "id": unknown, "value": { "text": "x" } },
            { "id": a[1]["id"], "value": { "checkbox": true } },
        ] } }),
        )
        .await;
    let p = &d["dossierModifierAnnotations"];
    let anns = p["annotations"].as_array().unwrap();
    assert_eq!(anns.len(), 3);
    assert_eq!(anns[0]["__typename"], "YesNoChamp");
    assert_eq!(anns[0]["value"], true);
    assert_eq!(anns[2]["rows"].as_array().unwrap().len(), 2);
    let errors: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors,
        vec![
            format!("L‘annotation \"{unknown}\" n’existe pas"),
            format!(
                "L‘annotation \"{}\" n’est pas de type attendu",
                a[1]["id"].as_str().unwrap()
            )
        ]
    );
    // oneOf: two keys at once is a GraphQL validation error.
    let (_, b) = env.gql(RW, modify, json!({ "i": { "dossierId": id, "instructeurId": instr, "annotations": [{ "id": a[0]["id"], "value": { "yesNo": true, "text": "x" } }] } })).await;
    assert!(b["errors"].is_array(), "{b}");
}

async fn upload(
    env: &Env,
    dossier: &str,
    declared: &[u8],
    sent: &[u8],
    send_headers: bool,
) -> (String, u16) {
    let d = env
        .data(RW, UPLOAD, json!({ "i": { "dossierId": dossier, "filename": "certificat.pdf", "byteSize": declared.len(), "checksum": md5_b64(declared), "contentType": "application/pdf" } }))
        .await;
    let up = &d["createDirectUpload"]["directUpload"];
    let headers: serde_json::Map<String, Value> =
        serde_json::from_str(up["headers"].as_str().unwrap()).unwrap();
    assert!(headers.contains_key("Content-Type"));
    let mut req = env
        .http
        .put(up["url"].as_str().unwrap())
        .body(sent.to_vec());
    if send_headers {
        for (k, v) in &headers {
            req = req.header(k.as_str(), v.as_str().unwrap());
        }
    }
    let status = req.send().await.unwrap().status().as_u16();
    (up["signedBlobId"].as_str().unwrap().to_owned(), status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_upload_with_good_and_bad_checksum() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 103, "dossiers": 4, "state": "en_instruction" }),
    )
    .await;
    let (id, instr, _, _) = env.dossier_ids(10300001).await;
    let good = b"%PDF-1.4 certificat de paiement".to_vec();
    let bad = b"%PDF-1.4 certificat de paiemenX".to_vec();

    // Wrong bytes with DS's headers: the store refuses them (ETag), nothing is stored.
    let (signed, status) = upload(&env, &id, &good, &bad, true).await;
    assert_eq!(status, 422);
    let d = env
        .data(
            RW,
            ACCEPTER,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "justificatif": signed } }),
        )
        .await;
    assert_eq!(
        d["dossierAccepter"]["errors"][0]["message"],
        "Le fichier n’a pas été correctement téléversé sur le serveur de stockage"
    );

    // Wrong bytes without the checksum header: stored, then rejected by DS's integrity check.
    let (signed, status) = upload(&env, &id, &good, &bad, false).await;
    assert_eq!(status, 201);
    let d = env
        .data(
            RW,
            ACCEPTER,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "justificatif": signed } }),
        )
        .await;
    assert_eq!(
        d["dossierAccepter"]["errors"][0]["message"],
        "Le hash du fichier téléversé est invalide"
    );
    // …and the bad bytes were purged.
    let d = env
        .data(
            RW,
            ACCEPTER,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "justificatif": signed } }),
        )
        .await;
    assert_eq!(
        d["dossierAccepter"]["errors"][0]["message"],
        "Le fichier n’a pas été correctement téléversé sur le serveur de stockage"
    );

    // A forged signed id.
    let d = env.data(RW, ACCEPTER, json!({ "i": { "dossierId": id, "instructeurId": instr, "justificatif": "YmxvYi0x--0000" } })).await;
    assert_eq!(
        d["dossierAccepter"]["errors"][0]["message"],
        "L’identifiant du fichier téléversé est invalide"
    );

    // The good upload is accepted and served back with its checksum.
    let (signed, status) = upload(&env, &id, &good, &good, true).await;
    assert_eq!(status, 201);
    let d = env
        .data(
            RW,
            ACCEPTER,
            json!({ "i": { "dossierId": id, "instructeurId": instr, "justificatif": signed } }),
        )
        .await;
    assert_eq!(d["dossierAccepter"]["dossier"]["state"], "accepte");
    assert_eq!(
        d["dossierAccepter"]["dossier"]["motivationAttachment"]["checksum"],
        md5_b64(&good)
    );

    // Message attachment.
    let (signed, _) = upload(&env, &id, &good, &good, true).await;
    let d = env
        .data(RW, "mutation($i: DossierEnvoyerMessageInput!) { dossierEnvoyerMessage(input: $i) { message { attachments { url checksum } } errors { message } } }",
            json!({ "i": { "dossierId": id, "instructeurId": instr, "body": "Certificat", "attachment": signed } }))
        .await;
    let f = &d["dossierEnvoyerMessage"]["message"]["attachments"][0];
    let bytes = env
        .http
        .get(f["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(md5_b64(&bytes), f["checksum"].as_str().unwrap());

    // Read-only token: createDirectUpload has no errors field, so DS answers invalid_null.
    let (_, b) = env.gql(RO, UPLOAD, json!({ "i": { "dossierId": id, "filename": "a", "byteSize": 1, "checksum": "x", "contentType": "text/plain" } })).await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "invalid_null");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutation_log_records_every_mutation() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 101, "dossiers": 3, "state": "en_construction" }),
    )
    .await;
    let (id, instr, other, _) = env.dossier_ids(10100001).await;
    env.data(
        RW,
        PASSER,
        json!({ "i": { "dossierId": id, "instructeurId": instr } }),
    )
    .await;
    env.data(
        RW,
        PASSER,
        json!({ "i": { "dossierId": id, "instructeurId": instr } }),
    )
    .await;
    env.data(
        RW,
        PASSER,
        json!({ "i": { "dossierId": id, "instructeurId": other } }),
    )
    .await;
    env.data(
        RO,
        PASSER,
        json!({ "i": { "dossierId": id, "instructeurId": instr } }),
    )
    .await;
    let log = env.log().await;
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|e| e["operation"] == "dossierPasserEnInstruction" && e["dossier"] == 10100001)
    );
    assert_eq!(log.iter().filter(|e| e["applied"] == true).count(), 1);
    assert_eq!(log[0]["transition"], "en_construction→en_instruction");
    assert_eq!(log[1]["error"], "Le dossier est déjà en instruction");
    assert_eq!(log[3]["token"], RO);
    let seqs: Vec<i64> = log.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert!(log[0]["at"].is_string());
    // The same from Rust, in-process.
    assert_eq!(env.sb.world().mutation_log().len(), 4);
}
