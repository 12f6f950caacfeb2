//! The applicant control (`POST /__sandbox/dossiers/{n}/applicant`, `Sandbox::applicant_edit`):
//! every edit is checked through GraphQL, as a robot would see it.

mod common;

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use common::*;
use pont_sandbox::{ApplicantEdit, ApplicantError, ChampEdit, ChampValue};
use serde_json::{Value, json};

const DOSSIER: &str = "query($n: Int!) { dossier(number: $n) { state dateDerniereModification
    dateDerniereModificationChamps dateDerniereModificationAnnotations dateDerniereCorrectionEnAttente
    usager { email }
    champs { id label ... on TextChamp { value } ... on YesNoChamp { value } ... on DateChamp { date } }
    messages { email body createdAt correction { reason dateResolution } } } }";
const MESSAGE: &str = "mutation($i: DossierEnvoyerMessageInput!) { dossierEnvoyerMessage(input: $i) { message { id } errors { message } } }";
const PASSER: &str = "mutation($i: DossierPasserEnInstructionInput!) { dossierPasserEnInstruction(input: $i) { dossier { state } errors { message } } }";

/// 102 = vtc-carte-pro (champs Nom, Prénom, a yes/no 102009, annotation "Casier judiciaire").
const VTC: i64 = 10200001;
/// 104 has a text champ "Nom" too.
const AGENT: i64 = 10400001;

/// DS's datetimes have whole seconds: wait past one so "later" is visible.
async fn next_second() {
    tokio::time::sleep(Duration::from_millis(1100)).await;
}

async fn seeded(demarche: i64, state: &str) -> Env {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": demarche, "dossiers": 3, "state": state }),
    )
    .await;
    env
}

async fn dossier(env: &Env, n: i64) -> Value {
    env.data(RW, DOSSIER, json!({ "n": n })).await["dossier"].clone()
}

async fn applicant(env: &Env, number: &str, body: &str) -> (u16, Value) {
    let r = env
        .http
        .post(format!(
            "{}/__sandbox/dossiers/{number}/applicant",
            env.sb.base_url()
        ))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("control");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON answer"))
}

fn at(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_default())
        .unwrap_or_else(|_| panic!("not a datetime: {v}"))
}

fn champ<'a>(d: &'a Value, label: &str) -> &'a Value {
    d["champs"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["label"] == label))
        .unwrap_or_else(|| panic!("no champ {label}"))
}

fn last_message(d: &Value) -> &Value {
    d["messages"]
        .as_array()
        .and_then(|l| l.last())
        .expect("a message")
}

/// The instructeur asks for a correction, through the API as a robot would.
async fn ask_correction(env: &Env, n: i64) {
    let (id, instr, _, _) = env.dossier_ids(n).await;
    let input = json!({ "i": { "dossierId": id, "instructeurId": instr,
        "body": "Le permis est illisible", "correction": "incorrect" } });
    let d = env.data(RW, MESSAGE, input).await;
    assert!(d["dossierEnvoyerMessage"]["errors"].is_null(), "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn champ_edit_moves_the_champs_date_and_shows_in_graphql() {
    let env = seeded(102, "en_construction").await;
    let before = dossier(&env, VTC).await;
    let yes_no = champ(&before, "Déjà titulaire d’une carte professionnelle")["value"]
        .as_bool()
        .expect("a yes/no value");
    let date_id = champ(&before, "Date d’obtention du permis")["id"].clone();
    let body = json!({ "champs": [
        { "label": "Nom", "value": "DURAND-CORRIGÉ" },
        { "stable_id": 102009, "value": !yes_no },
        { "id": date_id, "value": "2019-04-02" },
    ] });
    let (status, out) = applicant(&env, &VTC.to_string(), &body.to_string()).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["changed"].as_array().map(Vec::len), Some(3), "{out}");
    assert_eq!(out["correction_resolved"], false);
    let after = dossier(&env, VTC).await;
    assert_eq!(champ(&after, "Nom")["value"], "DURAND-CORRIGÉ");
    assert_eq!(
        champ(&after, "Déjà titulaire d’une carte professionnelle")["value"],
        !yes_no
    );
    assert_eq!(
        champ(&after, "Date d’obtention du permis")["date"],
        "2019-04-02"
    );
    assert_eq!(after["state"], "en_construction");
    let modified = at(&after["dateDerniereModification"]);
    assert!(modified > at(&before["dateDerniereModification"]));
    assert!(
        at(&after["dateDerniereModificationChamps"])
            > at(&before["dateDerniereModificationChamps"])
    );
    assert_eq!(
        after["dateDerniereModificationAnnotations"],
        before["dateDerniereModificationAnnotations"]
    );
    assert_eq!(
        out["date_derniere_modification"],
        after["dateDerniereModification"]
    );
    // A robot polling with `updatedSince` sees the edited dossier, and only it.
    let since = (Utc::now() - chrono::Duration::seconds(60)).to_rfc3339();
    let d = env
        .data(RW, "query($t: ISO8601DateTime!) { demarche(number: 102) { dossiers(updatedSince: $t) { nodes { number } } } }", json!({ "t": since }))
        .await;
    assert_eq!(
        d["demarche"]["dossiers"]["nodes"],
        json!([{ "number": VTC }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_action_moves_the_modification_date_but_only_champ_edits_the_champs_date() {
    let env = seeded(102, "en_construction").await;
    let d0 = dossier(&env, VTC).await;
    let sent = env
        .sb
        .applicant_edit(VTC, ApplicantEdit::message("Mon permis arrive demain"))
        .expect("message sent");
    assert_eq!(
        sent.message.as_ref().map(|m| m.email.as_str()),
        Some("usager10200001@exemple.fr")
    );
    let d1 = dossier(&env, VTC).await;
    assert!(at(&d1["dateDerniereModification"]) > at(&d0["dateDerniereModification"]));
    assert_eq!(
        d1["dateDerniereModificationChamps"],
        d0["dateDerniereModificationChamps"]
    );
    let m = last_message(&d1);
    assert_eq!(m["email"], d1["usager"]["email"]);
    assert_eq!(m["body"], "Mon permis arrive demain");
    assert!(m["correction"].is_null());

    next_second().await;
    let edit = ChampEdit::label("Prénom", ChampValue::Text("Léa".into()));
    let out = env
        .sb
        .applicant_edit(VTC, ApplicantEdit::Champs(vec![edit.clone()]))
        .expect("edited");
    assert_eq!(out.changed, vec![102003]);
    let d2 = dossier(&env, VTC).await;
    assert!(at(&d2["dateDerniereModification"]) > at(&d1["dateDerniereModification"]));
    assert!(at(&d2["dateDerniereModificationChamps"]) > at(&d1["dateDerniereModificationChamps"]));
    assert_eq!(
        d2["dateDerniereModificationChamps"],
        d2["dateDerniereModification"]
    );
    assert_eq!(
        d2["dateDerniereModificationAnnotations"],
        d0["dateDerniereModificationAnnotations"]
    );

    // Submitting the same value again changes no champ, as in DS: the champs date stays.
    next_second().await;
    let out = env
        .sb
        .applicant_edit(VTC, ApplicantEdit::Champs(vec![edit]))
        .expect("submitted");
    assert!(out.changed.is_empty());
    let d3 = dossier(&env, VTC).await;
    assert!(at(&d3["dateDerniereModification"]) > at(&d2["dateDerniereModification"]));
    assert_eq!(
        d3["dateDerniereModificationChamps"],
        d2["dateDerniereModificationChamps"]
    );
    // None of this is an API mutation: the log only counts what robots sent.
    assert!(env.log().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_the_correction_request_resolves_it() {
    let env = seeded(102, "en_construction").await;
    ask_correction(&env, VTC).await;
    let d1 = dossier(&env, VTC).await;
    let asked = last_message(&d1);
    assert!(asked["correction"]["dateResolution"].is_null());
    assert_eq!(d1["dateDerniereCorrectionEnAttente"], asked["createdAt"]);

    next_second().await;
    let body = r#"{ "answer_correction": { "body": "Voici un scan lisible" } }"#;
    let (status, out) = applicant(&env, &VTC.to_string(), body).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["correction_resolved"], true);
    let d2 = dossier(&env, VTC).await;
    let messages = d2["messages"].as_array().expect("messages");
    let correction = &messages[messages.len() - 2]["correction"];
    assert_eq!(correction["reason"], "incorrect");
    assert!(at(&correction["dateResolution"]) > at(&asked["createdAt"]));
    assert!(d2["dateDerniereCorrectionEnAttente"].is_null());
    let answer = last_message(&d2);
    assert_eq!(answer["email"], "usager10200001@exemple.fr");
    assert_eq!(answer["body"], "Voici un scan lisible");
    assert!(at(&d2["dateDerniereModification"]) > at(&d1["dateDerniereModification"]));
    assert_eq!(
        d2["dateDerniereModificationChamps"],
        d1["dateDerniereModificationChamps"]
    );

    let (status, out) = applicant(&env, &VTC.to_string(), body).await;
    assert_eq!(status, 422, "{out}");
    assert!(
        out["error"]
            .as_str()
            .unwrap_or_default()
            .contains("no pending correction"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_champ_edit_resolves_the_pending_correction_and_the_dossier_can_pass_again() {
    let env = seeded(104, "en_instruction").await;
    ask_correction(&env, AGENT).await;
    assert_eq!(dossier(&env, AGENT).await["state"], "en_construction");
    let edit = ChampEdit::label("Nom", ChampValue::Text("MARTIN".into()));
    let out = env
        .sb
        .applicant_edit(AGENT, ApplicantEdit::Champs(vec![edit]))
        .expect("edited");
    assert!(out.correction_resolved);
    let d = dossier(&env, AGENT).await;
    assert!(!last_message(&d)["correction"]["dateResolution"].is_null());
    assert!(d["dateDerniereCorrectionEnAttente"].is_null());
    let (id, instr, _, _) = env.dossier_ids(AGENT).await;
    let p = env
        .data(
            RW,
            PASSER,
            json!({ "i": { "dossierId": id, "instructeurId": instr } }),
        )
        .await;
    assert_eq!(
        p["dossierPasserEnInstruction"]["dossier"]["state"], "en_instruction",
        "{p}"
    );
    let ops: Vec<_> = env
        .log()
        .await
        .iter()
        .map(|e| e["operation"].clone())
        .collect();
    assert_eq!(
        ops,
        vec![
            json!("dossierEnvoyerMessage"),
            json!("dossierPasserEnInstruction")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passing_en_instruction_resolves_a_pending_correction_as_ds_does() {
    let env = seeded(102, "en_construction").await;
    ask_correction(&env, VTC).await;
    let (id, instr, _, _) = env.dossier_ids(VTC).await;
    env.data(
        RW,
        PASSER,
        json!({ "i": { "dossierId": id, "instructeurId": instr } }),
    )
    .await;
    let d = dossier(&env, VTC).await;
    assert_eq!(d["state"], "en_instruction");
    assert!(
        !last_message(&d)["correction"]["dateResolution"].is_null(),
        "{d}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn champs_cannot_be_edited_once_en_instruction() {
    let env = seeded(104, "en_instruction").await;
    let before = dossier(&env, AGENT).await;
    let body = r#"{ "champs": [ { "label": "Nom", "value": "AUTRE" } ] }"#;
    let (status, out) = applicant(&env, &AGENT.to_string(), body).await;
    assert_eq!(status, 422, "{out}");
    let error = out["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("en instruction") && error.contains("en construction"),
        "{error}"
    );
    let edit = ChampEdit::label("Nom", ChampValue::Text("AUTRE".into()));
    let refused = env
        .sb
        .applicant_edit(AGENT, ApplicantEdit::Champs(vec![edit]));
    assert!(
        matches!(refused, Err(ApplicantError::Refused(_))),
        "{refused:?}"
    );
    let (status, _) = applicant(&env, &AGENT.to_string(), r#"{ "answer_correction": {} }"#).await;
    assert_eq!(status, 422);
    assert_eq!(dossier(&env, AGENT).await, before);
    // The messagerie stays open en instruction.
    let (status, out) = applicant(
        &env,
        &AGENT.to_string(),
        r#"{ "message": { "body": "Où en est mon dossier ?" } }"#,
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let after = dossier(&env, AGENT).await;
    assert_eq!(after["state"], "en_instruction");
    assert_eq!(champ(&after, "Nom"), champ(&before, "Nom"));
    assert_eq!(
        after["dateDerniereModificationChamps"],
        before["dateDerniereModificationChamps"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_a_one_line_json_error_and_change_nothing() {
    let env = seeded(102, "en_construction").await;
    let before = dossier(&env, VTC).await;
    let n = VTC.to_string();
    let cases: &[(&str, &str, u16, &str)] = &[
        (&n, "nope", 400, "not JSON"),
        (&n, "{}", 400, "exactly one key"),
        (
            &n,
            r#"{"message": {"body": "a"}, "answer_correction": {}}"#,
            400,
            "exactly one key",
        ),
        (&n, r#"{"frobnicate": {}}"#, 400, "unknown variant"),
        (
            &n,
            r#"{"message": {"body": "a", "urgent": true}}"#,
            400,
            "unknown field",
        ),
        (&n, r#"{"message": {"body": "  "}}"#, 400, "empty"),
        (&n, r#"{"champs": []}"#, 400, "no champ"),
        (
            &n,
            r#"{"champs": [{"label": "Nom"}]}"#,
            400,
            "missing field `value`",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Nom", "stable_id": 102002, "value": "X"}]}"#,
            400,
            "exactly one of",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Nom", "value": ["X"]}]}"#,
            400,
            "a champ value is",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Nom", "value": "X"}, {"label": "Surnom", "value": "X"}]}"#,
            400,
            "no champ \"Surnom\"",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Casier judiciaire", "value": "Néant"}]}"#,
            400,
            "private annotation",
        ),
        (
            &n,
            r#"{"champs": [{"stable_id": 102502, "value": true}]}"#,
            400,
            "private annotation",
        ),
        (
            &n,
            r#"{"champs": [{"stable_id": 102009, "value": "oui"}]}"#,
            400,
            "true or false",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Nom", "value": null}]}"#,
            400,
            "required",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Photo d’identité", "value": "x"}]}"#,
            400,
            "cannot edit",
        ),
        (
            &n,
            r#"{"champs": [{"label": "Date de naissance", "value": "02/04/1990"}]}"#,
            400,
            "YYYY-MM-DD",
        ),
        (
            "abc",
            r#"{"message": {"body": "a"}}"#,
            400,
            "not an integer",
        ),
        (
            "999",
            r#"{"message": {"body": "a"}}"#,
            404,
            "unknown dossier 999",
        ),
    ];
    for (number, body, status, needle) in cases {
        let (got, out) = applicant(&env, number, body).await;
        let error = out["error"].as_str().unwrap_or_default();
        assert_eq!(got, *status, "{body}: {out}");
        assert!(
            error.contains(needle) && !error.contains('\n'),
            "{body}: {error}"
        );
    }
    assert_eq!(
        dossier(&env, VTC).await,
        before,
        "a rejected edit changed the dossier"
    );
    let unknown = env.sb.applicant_edit(999, ApplicantEdit::message("a"));
    assert_eq!(unknown.unwrap_err(), ApplicantError::UnknownDossier(999));
}
