//! Reads, faults, rate limiting and files against an in-test DS stand-in.

mod common;

mod permits;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{Reply, data, dossier, serve, status};
use md5::{Digest, Md5};
use pont_ds::{Budget, DossierFilter, DossierKey, DossierState, DsError, DsFile};
use serde_json::json;

fn b64_md5(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

#[tokio::test]
async fn pagination_follows_cursors() {
    let mock = serve(|s| {
        let after = s.vars.get("after").and_then(|v| v.as_str());
        let (nodes, next, cursor) = match after {
            None => (
                vec![dossier(1, "en_construction"), dossier(2, "en_construction")],
                true,
                "c1",
            ),
            Some("c1") => (vec![dossier(3, "en_instruction")], false, "c2"),
            Some(_) => (vec![], false, "c3"),
        };
        data(json!({ "demarche": { "id": "P-7", "dossiers": {
            "pageInfo": { "hasNextPage": next, "endCursor": cursor }, "nodes": nodes } } }))
    })
    .await;
    let client = mock.client("tok-pages");
    let filter = DossierFilter {
        updated_since: Some("2026-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    let (mut numbers, mut after) = (Vec::new(), None::<String>);
    loop {
        let page = client
            .dossiers(&permits::listing(7), 7, &filter, after.as_deref())
            .await
            .unwrap();
        numbers.extend(page.items.iter().map(|d| d.number));
        if !page.has_next_page {
            break;
        }
        after = page.end_cursor;
    }
    assert_eq!(numbers, vec![1, 2, 3]);
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].vars["first"], json!(100));
    assert_eq!(seen[0].vars["updatedSince"], json!("2026-01-01T00:00:00Z"));
    assert!(
        seen[0].vars.get("createdSince").is_none(),
        "unset filters are not sent"
    );
    assert!(seen[0].vars.get("after").is_none());
    assert_eq!(seen[1].vars["after"], json!("c1"));
    assert_eq!(seen[0].header("authorization"), Some("Bearer tok-pages"));
}

#[tokio::test]
async fn rate_limited_then_success() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mock = serve(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Status(
                429,
                vec![
                    ("retry-after", "1".into()),
                    ("ratelimit-remaining", "0".into()),
                ],
                b"Calm down".to_vec(),
            )
        } else {
            status(5, "en_construction", false, &[])
        }
    })
    .await;
    let client = mock.client("tok-429");
    let started = Instant::now();
    let s = client.dossier_status(&permits::read(5), 5).await.unwrap();
    assert_eq!(s.state, DossierState::EnConstruction);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
    let seen = mock.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(950));
}

#[tokio::test]
async fn rate_limit_reset_header_is_honoured() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mock = serve(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 2;
            Reply::Status(
                429,
                vec![("ratelimit-reset", reset.to_string())],
                b"Calm down".to_vec(),
            )
        } else {
            status(5, "en_construction", false, &[])
        }
    })
    .await;
    let started = Instant::now();
    mock.client("tok-reset")
        .dossier_status(&permits::read(5), 5)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn queries_retry_500s_and_dropped_connections() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mock = serve(move |_| match c.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::Status(500, vec![], b"oops".to_vec()),
        1 => Reply::Drop,
        2 => Reply::Json(json!({ "data": null, "errors": [{ "message": "Timeout", "extensions": { "code": "timeout" } }] })),
        _ => data(json!({ "dossier": dossier(9, "accepte") })),
    })
    .await;
    let d = mock
        .client("tok-faults")
        .dossier(&permits::read(9), 9)
        .await
        .unwrap();
    assert_eq!(d.state, DossierState::Accepte);
    assert_eq!(mock.count("GetDossier"), 4);
}

#[tokio::test]
async fn queries_give_up_as_unavailable() {
    let mock = serve(|_| Reply::Status(503, vec![], vec![])).await;
    let err = mock
        .client("tok-down")
        .dossier(&permits::read(1), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Unavailable(_)), "{err:?}");
    assert_eq!(mock.seen().len(), 4, "bounded attempts");
}

#[tokio::test]
async fn top_level_errors_are_typed() {
    let cases = [
        (
            json!({ "data": null, "errors": [{ "message": "Dossier not found", "extensions": { "code": "not_found" } }] }),
            "not_found",
        ),
        (
            json!({ "data": null, "errors": [{ "message": "An object of type Demarche was hidden due to permissions", "extensions": { "code": "unauthorized" } }] }),
            "unauthorized",
        ),
    ];
    for (body, kind) in cases {
        let mock = serve(move |_| Reply::Json(body.clone())).await;
        let err = mock
            .client("tok-top")
            .dossier(&permits::read(1), 1)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), kind, "{err:?}");
    }
    let mock = serve(|_| {
        Reply::Status(
            401,
            vec![],
            br#"{"errors":[{"message":"Token expired"}]}"#.to_vec(),
        )
    })
    .await;
    let err = mock
        .client("tok-401")
        .dossier(&permits::read(1), 1)
        .await
        .unwrap_err();
    assert_eq!(err, DsError::TokenExpired("Token expired".into()));
    let mock = serve(|_| {
        Reply::Status(
            403,
            vec![],
            b"Request issued from a forbidden network".to_vec(),
        )
    })
    .await;
    let err = mock
        .client("tok-403")
        .dossier(&permits::read(1), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::Forbidden(m) if m.contains("forbidden network")));
}

#[tokio::test]
async fn limiter_never_exceeds_budget() {
    let mock = serve(|s| {
        let n = s.vars["number"].as_i64().unwrap_or(0);
        status(n, "en_construction", false, &[])
    })
    .await;
    let per = Duration::from_secs(2);
    let client = mock.client_with("tok-budget", Budget { requests: 20, per });
    let mut tasks = Vec::new();
    for i in 0..50 {
        // Clones share the budget.
        let c = client.clone();
        tasks.push(tokio::spawn(async move {
            c.dossier_status(&permits::read(i), i)
                .await
                .map(|s| s.number)
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut times: Vec<Instant> = mock.seen().iter().map(|s| s.at).collect();
    times.sort();
    assert_eq!(times.len(), 50);
    for (i, t) in times.iter().enumerate() {
        let in_window = times[i..].iter().take_while(|u| **u < *t + per).count();
        assert!(in_window <= 20, "{in_window} requests within {per:?}");
    }
    assert!(
        times[49] - times[0] >= per * 2,
        "50 requests at 20 per 2 s take at least 4 s"
    );
}

#[tokio::test]
async fn instructeur_resolution_by_email() {
    let mock = serve(|_| {
        data(json!({ "demarche": {
            "id": "P-7", "number": 7, "title": "Subventions", "state": "publiee",
            "activeRevision": { "id": "Rev-1",
                "champDescriptors": [
                    { "__typename": "TextChampDescriptor", "id": "Champ-2", "label": "Nom", "description": null, "required": true },
                    { "__typename": "DropDownListChampDescriptor", "id": "Champ-10", "label": "Fonds", "description": "…", "required": false, "options": ["DETR", "DSIL"], "otherOption": true },
                    { "__typename": "RepetitionChampDescriptor", "id": "Champ-30", "label": "Dépenses", "description": null, "required": false,
                      "champDescriptors": [ { "__typename": "DecimalNumberChampDescriptor", "id": "Champ-32", "label": "Coût", "description": null, "required": true } ] }
                ],
                "annotationDescriptors": [ { "__typename": "TextChampDescriptor", "id": "Champ-50", "label": "EJ", "description": null, "required": false } ] },
            "groupeInstructeurs": [
                { "id": "G-1", "number": 1, "label": "défaut", "closed": false, "instructeurs": [ { "id": "I-1", "email": "a@x.gouv.fr" } ] },
                { "id": "G-2", "number": 2, "label": "Tarn", "closed": false, "instructeurs": [ { "id": "I-2", "email": "Robot@X.gouv.fr" } ] }
            ],
            "labels": [ { "id": "L-1", "name": "Urgent", "color": "pink_macaron" } ]
        }}))
    })
    .await;
    let client = mock.client("tok-instr");
    assert_eq!(
        client
            .resolve_instructeur(&permits::listing(7), 7, "robot@x.gouv.fr")
            .await
            .unwrap(),
        "I-2"
    );
    let err = client
        .resolve_instructeur(&permits::listing(7), 7, "absent@x.gouv.fr")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("absent@x.gouv.fr"), "{err}");
    let d = client.demarche(&permits::listing(7), 7).await.unwrap();
    assert_eq!(d.champ_descriptors[0].kind, "TextChampDescriptor");
    assert_eq!(d.champ_descriptors[1].options, vec!["DETR", "DSIL"]);
    assert!(d.champ_descriptors[1].other_option);
    assert_eq!(d.champ_descriptors[2].children[0].id, "Champ-32");
    assert_eq!(d.annotation_descriptors[0].id, "Champ-50");
}

#[tokio::test]
async fn direct_upload_puts_with_every_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("certificat.pdf");
    let content = b"%PDF-1.4 certificat de paiement".repeat(1000);
    std::fs::write(&path, &content).unwrap();
    let checksum = b64_md5(&content);
    let base = Arc::new(std::sync::Mutex::new(String::new()));
    let b = base.clone();
    let expected = checksum.clone();
    let mock = serve(move |s| {
        if s.method == "PUT" {
            let ok = s.body.len() == 31_000 && b64_md5(&s.body) == expected;
            return Reply::Status(if ok { 200 } else { 400 }, vec![], vec![]);
        }
        let headers = json!({ "Content-Type": "application/pdf", "Content-MD5": s.vars["input"]["checksum"], "X-Storage-Token": "signed" });
        data(json!({ "createDirectUpload": { "directUpload": {
            "url": format!("{}/storage/blob-1", b.lock().unwrap()), "headers": headers.to_string(),
            "blobId": "1", "signedBlobId": "signed-blob-1" } } }))
    })
    .await;
    *base.lock().unwrap() = mock.base.clone();
    let key = DossierKey {
        id: "Dossier-42".into(),
        number: 42,
    };
    let blob = mock
        .client("tok-upload")
        .upload_file(
            &permits::act(pont_policy::DsAction::Accepter, key.number),
            &key,
            &path,
            "certificat.pdf",
            "application/pdf",
        )
        .await
        .unwrap();
    assert_eq!(blob.signed_blob_id, "signed-blob-1");
    let seen = mock.seen();
    let create = &seen[0];
    assert_eq!(create.vars["input"]["checksum"], json!(checksum));
    assert_eq!(create.vars["input"]["byteSize"], json!(31_000));
    assert_eq!(create.vars["input"]["dossierId"], json!("Dossier-42"));
    let put = &seen[1];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/storage/blob-1");
    assert_eq!(put.header("content-type"), Some("application/pdf"));
    assert_eq!(put.header("content-md5"), Some(checksum.as_str()));
    assert_eq!(put.header("x-storage-token"), Some("signed"));
    assert_eq!(
        put.header("authorization"),
        None,
        "the token never goes to storage"
    );
    assert_eq!(put.body, content);
}

#[tokio::test]
async fn download_checks_the_checksum() {
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let served = content.clone();
    let mock = serve(move |_| Reply::Status(200, vec![], served.clone())).await;
    let client = mock.client("tok-download");
    let dir = tempfile::tempdir().unwrap();
    let file = |checksum: String| DsFile {
        url: format!("{}/files/a.bin", mock.base),
        filename: "a.bin".into(),
        content_type: "application/octet-stream".into(),
        checksum,
        byte_size: content.len() as u64,
    };

    let good = dir.path().join("good.bin");
    let size = client
        .download(&permits::read(0), &file(b64_md5(&content)), &good)
        .await
        .unwrap();
    assert_eq!(size, content.len() as u64);
    assert_eq!(std::fs::read(&good).unwrap(), content);

    let bad = dir.path().join("bad.bin");
    let err = client
        .download(&permits::read(0), &file(b64_md5(b"something else")), &bad)
        .await
        .unwrap_err();
    assert!(matches!(err, DsError::InvalidFile(_)), "{err:?}");
    assert!(!bad.exists());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("good.bin")],
        "no partial file left"
    );
}
