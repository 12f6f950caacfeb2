//! The hostile-DS fault controls through `/__sandbox/`, seen as any HTTP client sees them:
//! a huge answer, lying cursors, and attachments whose size is misdeclared.

mod common;

use common::{RW, small};
use serde_json::{Value, json};

const PAGE: &str = "query($n: Int!, $after: String) { demarche(number: $n) {
    dossiers(first: 5, after: $after) { pageInfo { hasNextPage endCursor } nodes { number } } } }";

async fn page_info(env: &common::Env, after: Option<&str>) -> Value {
    let data = env
        .data(RW, PAGE, json!({ "n": 101, "after": after }))
        .await;
    data["demarche"]["dossiers"]["pageInfo"].clone()
}

#[tokio::test]
async fn a_huge_body_is_streamed_without_a_length_at_the_size_asked() {
    let env = small().await;
    let size = 3 * 1024 * 1024 + 7;
    env.control("faults", json!({ "huge_body_bytes": size }))
        .await;
    let r = env
        .http
        .post(env.sb.ds_url())
        .bearer_auth(RW)
        .json(&json!({ "query": "{ demarche(number: 101) { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.content_length(), None, "no Content-Length to trust");
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len() as u64, size);
    let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
    assert!(parsed["data"]["pad"].as_str().unwrap().starts_with("xxx"));
    env.control("faults", json!({})).await;
    assert!(
        env.data(RW, "{ demarche(number: 101) { id } }", json!({}))
            .await["demarche"]["id"]
            .is_string()
    );
}

#[tokio::test]
async fn cursor_faults_lie_as_documented() {
    let env = small().await;
    let honest = page_info(&env, None).await;
    let c1 = honest["endCursor"].as_str().unwrap().to_owned();

    env.control("faults", json!({ "cursor": "repeat" })).await;
    let repeat = page_info(&env, Some(&c1)).await;
    assert_eq!(repeat, json!({ "hasNextPage": true, "endCursor": c1 }));

    env.control("faults", json!({ "cursor": "missing" })).await;
    let missing = page_info(&env, None).await;
    assert_eq!(missing, json!({ "hasNextPage": true, "endCursor": null }));

    env.control("faults", json!({ "cursor": "cycle" })).await;
    let mut after: Option<String> = None;
    for page in 0..10 {
        let info = page_info(&env, after.as_deref()).await;
        assert_eq!(info["hasNextPage"], json!(true), "a cycle never ends");
        let end = info["endCursor"].as_str().unwrap().to_owned();
        if page > 0 && end == c1 {
            return;
        }
        after = Some(end);
    }
    panic!("the listing never came back to its first cursor");
}

#[tokio::test]
async fn an_attachment_can_declare_a_wrong_size_and_hide_its_length() {
    let env = small().await;
    env.control(
        "attachments",
        json!({ "dossier": 10100001, "size": 5000, "filename": "lie.bin",
                "declared_size": 0, "hide_length": true }),
    )
    .await;
    let q = "query { dossier(number: 10100001) { champs { ... on PieceJustificativeChamp {
        files { filename byteSize byteSizeBigInt url } } } } }";
    let data = env.data(RW, q, json!({})).await;
    let file = data["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["files"].as_array())
        .flatten()
        .find(|f| f["filename"] == "lie.bin")
        .cloned()
        .expect("the file is on the dossier");
    assert_eq!(file["byteSize"], json!(0));
    assert_eq!(file["byteSizeBigInt"], json!("0"));
    let r = env
        .http
        .get(file["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.content_length(), None);
    assert_eq!(r.bytes().await.unwrap().len(), 5000, "the real bytes");
}

#[tokio::test]
async fn unknown_lie_keys_are_still_refused() {
    let env = small().await;
    let r = env
        .http
        .post(format!("{}/__sandbox/attachments", env.sb.base_url()))
        .json(&json!({ "dossier": 10100001, "size": 10, "declared": 3 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
