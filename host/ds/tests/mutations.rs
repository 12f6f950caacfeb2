//! Mutations: never sent twice, and DS's French payload errors typed.

mod common;

mod permits;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Reply, data, payload, serve, status};
use pont_ds::{
    AnnotationInput, AnnotationValue, Confirmation, CorrectionReason, DossierKey, DossierState,
    DsError, Expectation,
};
use serde_json::json;

fn key() -> DossierKey {
    DossierKey {
        id: "Dossier-42".into(),
        number: 42,
    }
}

#[tokio::test]
async fn applied_mutation_whose_answer_is_lost_is_not_resent() {
    let accepted = Arc::new(AtomicBool::new(false));
    let a = accepted.clone();
    let mock = serve(move |s| match s.op.as_deref() {
        Some("DossierAccepter") => {
            a.store(true, Ordering::SeqCst);
            Reply::Drop
        }
        Some("DossierStatus") => {
            let state = if a.load(Ordering::SeqCst) {
                "accepte"
            } else {
                "en_instruction"
            };
            status(42, state, false, &[])
        }
        _ => Reply::Status(400, vec![], vec![]),
    })
    .await;
    let client = mock.client("tok-lost");
    let report = client
        .accepter(
            &permits::act(pont_policy::DsAction::Accepter, key().number),
            &key(),
            "I-1",
            Some("OK".into()),
            None,
            true,
        )
        .await
        .unwrap();
    assert_eq!(report.confirmation, Confirmation::FoundApplied);
    assert_eq!(report.state, Some(DossierState::Accepte));
    assert_eq!(report.sends, 1);
    assert_eq!(
        mock.count("DossierAccepter"),
        1,
        "the server saw the mutation once"
    );
    assert_eq!(mock.count("DossierStatus"), 1);
    let sent = &mock.seen()[0].vars["input"];
    assert_eq!(sent["dossierId"], json!("Dossier-42"));
    assert_eq!(sent["instructeurId"], json!("I-1"));
    assert_eq!(sent["motivation"], json!("OK"));
    assert_eq!(sent["disableNotification"], json!(true));
    assert!(sent.get("justificatif").is_none());
}

#[tokio::test]
async fn mutation_lost_before_being_applied_is_sent_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mock = serve(move |s| match s.op.as_deref() {
        Some("DossierPasserEnInstruction") => {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::Drop
            } else {
                payload("dossierPasserEnInstruction", 42, "en_instruction", &[])
            }
        }
        Some("DossierStatus") => status(42, "en_construction", false, &[]),
        _ => Reply::Status(400, vec![], vec![]),
    })
    .await;
    let report = mock
        .client("tok-resend")
        .passer_en_instruction(
            &permits::act(pont_policy::DsAction::PasserEnInstruction, key().number),
            &key(),
            "I-1",
            false,
        )
        .await
        .unwrap();
    assert_eq!(report.confirmation, Confirmation::Answered);
    assert_eq!(report.sends, 2);
    assert_eq!(mock.count("DossierPasserEnInstruction"), 2);
}

#[tokio::test]
async fn mutations_are_not_retried_on_server_errors_without_a_re_read() {
    let mock = serve(|s| match s.op.as_deref() {
        Some("DossierArchiver") => Reply::Status(500, vec![], vec![]),
        Some("DossierStatus") => status(42, "accepte", true, &[]),
        _ => Reply::Status(400, vec![], vec![]),
    })
    .await;
    let report = mock
        .client("tok-500")
        .archiver(
            &permits::act(pont_policy::DsAction::Archiver, key().number),
            &key(),
            "I-1",
        )
        .await
        .unwrap();
    assert_eq!(report.confirmation, Confirmation::FoundApplied);
    assert_eq!(mock.count("DossierArchiver"), 1);
}

#[tokio::test]
async fn payload_errors_are_typed() {
    let answer = Arc::new(Mutex::new(String::new()));
    let a = answer.clone();
    let mock = serve(move |s| {
        let op = s.op.clone().unwrap_or_default();
        let field = format!("{}{}", op[..1].to_lowercase(), &op[1..]);
        payload(&field, 42, "", &[a.lock().unwrap().as_str()])
    })
    .await;
    let client = mock.client("tok-errors");
    let cases = [
        ("Le dossier est déjà accepté", "already_in_state"),
        ("Le dossier est déjà en construction", "invalid_transition"),
        (
            "L’instructeur n’a pas les droits d’accès à ce dossier",
            "instructeur_without_access",
        ),
        (
            "Le jeton utilisé est configuré seulement en lecture",
            "read_only_token",
        ),
        ("Le hash du fichier téléversé est invalide", "invalid_file"),
        (
            "L’identifiant du fichier téléversé est invalide",
            "invalid_file",
        ),
        (
            "Le fichier n’a pas été correctement téléversé sur le serveur de stockage",
            "invalid_file",
        ),
        ("Une erreur inattendue", "rejected"),
    ];
    for (message, kind) in cases {
        *answer.lock().unwrap() = message.to_string();
        let err = client
            .accepter(
                &permits::act(pont_policy::DsAction::Accepter, key().number),
                &key(),
                "I-1",
                None,
                Some("blob".into()),
                false,
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{message}: {err:?}");
        assert!(
            err.to_string().contains(message),
            "message kept verbatim: {err}"
        );
    }
    *answer.lock().unwrap() = "Le dossier est déjà accepté".to_string();
    let err = client
        .refuser(
            &permits::act(pont_policy::DsAction::Refuser, key().number),
            &key(),
            "I-1",
            "non".into(),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        "invalid_transition",
        "accepté is not the refuser target"
    );
    assert_eq!(
        mock.count("DossierAccepter"),
        cases.len(),
        "payload errors are never retried"
    );
}

#[tokio::test]
async fn unknown_mutation_target_is_not_found() {
    let mock = serve(|_| {
        Reply::Json(json!({ "data": { "dossierArchiver": null },
            "errors": [{ "message": "Dossier-9 not found", "extensions": { "code": "not_found" } }] }))
    })
    .await;
    let err = mock
        .client("tok-nf")
        .archiver(
            &permits::act(pont_policy::DsAction::Archiver, key().number),
            &key(),
            "I-1",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn annotations_ignored_by_ds_are_reported() {
    let mock = serve(|s| {
        let first = s.vars["input"]["annotations"][0]["id"].clone();
        data(json!({ "dossierModifierAnnotations": {
            "annotations": [{ "__typename": "TextChamp", "id": first }], "errors": null } }))
    })
    .await;
    let client = mock.client("tok-annot");
    let ok = [AnnotationInput {
        id: "Champ-50".into(),
        value: AnnotationValue::Text("EJ-1".into()),
    }];
    client
        .modifier_annotations(
            &permits::act(pont_policy::DsAction::Annotations, key().number),
            &key(),
            "I-1",
            &ok,
        )
        .await
        .unwrap();
    let sent = &mock.seen()[0].vars["input"]["annotations"][0];
    assert_eq!(
        sent["value"],
        json!({ "text": "EJ-1" }),
        "@oneOf input: exactly one key"
    );
    let two = [
        AnnotationInput {
            id: "Champ-50".into(),
            value: AnnotationValue::Integer(3),
        },
        AnnotationInput {
            id: "Champ-99".into(),
            value: AnnotationValue::Checkbox(true),
        },
    ];
    let err = client
        .modifier_annotations(
            &permits::act(pont_policy::DsAction::Annotations, key().number),
            &key(),
            "I-1",
            &two,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DsError::InvalidAnnotation(m) if m.contains("Champ-99")),
        "{err:?}"
    );
}

#[tokio::test]
async fn message_found_after_lost_answer_is_not_resent() {
    let sent = Arc::new(Mutex::new(None::<String>));
    let s2 = sent.clone();
    let mock = serve(move |s| match s.op.as_deref() {
        Some("DossierEnvoyerMessage") => {
            *s2.lock().unwrap() = s.vars["input"]["body"].as_str().map(str::to_string);
            Reply::Drop
        }
        Some("DossierMessages") => {
            let body = s2.lock().unwrap().clone().unwrap_or_default();
            let now = chrono_now();
            data(json!({ "dossier": { "id": "Dossier-42", "number": 42, "messages": [
                { "id": "M-1", "email": "a@x.gouv.fr", "body": body, "createdAt": now, "attachments": [],
                  "correction": { "reason": "incomplete", "dateResolution": null } } ] } }))
        }
        _ => Reply::Status(400, vec![], vec![]),
    })
    .await;
    let client = mock.client("tok-msg");
    let report = client
        .envoyer_message(
            &permits::act(pont_policy::DsAction::Message, key().number),
            &key(),
            "I-1",
            "Merci de compléter",
            None,
            Some(CorrectionReason::Incomplete),
        )
        .await
        .unwrap();
    assert_eq!(report.confirmation, Confirmation::FoundApplied);
    assert_eq!(mock.count("DossierEnvoyerMessage"), 1);
    assert_eq!(
        mock.seen()[0].vars["input"]["correction"],
        json!("incomplete")
    );
    let messages = client.messages(&permits::read(42), 42).await.unwrap();
    assert_eq!(
        messages[0].correction.as_ref().map(|c| c.reason),
        Some(CorrectionReason::Incomplete)
    );
}

#[tokio::test]
async fn labels_and_applied_checks() {
    let mock = serve(|s| match s.op.as_deref() {
        Some("DossierAjouterLabel") => Reply::Drop,
        Some("DossierStatus") => status(42, "en_instruction", false, &["L-1"]),
        _ => Reply::Status(400, vec![], vec![]),
    })
    .await;
    let client = mock.client("tok-label");
    let report = client
        .ajouter_label(
            &permits::act(pont_policy::DsAction::Labels, key().number),
            &key(),
            "L-1",
        )
        .await
        .unwrap();
    assert_eq!(report.confirmation, Confirmation::FoundApplied);
    assert!(
        client
            .is_applied(
                &permits::read(42),
                42,
                &Expectation::Label {
                    id: "L-1".into(),
                    present: true
                }
            )
            .await
            .unwrap()
    );
    assert!(
        !client
            .is_applied(
                &permits::read(42),
                42,
                &Expectation::State(DossierState::Accepte)
            )
            .await
            .unwrap()
    );
}

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339()
}
