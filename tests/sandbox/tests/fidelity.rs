//! The fault controls that make the simulator answer as DS really does: partial data with
//! `timeout` and `invalid_null`, 401 for an expired file URL, and enum values added after
//! the schema. Asserted on the wire, as any DS client sees them.

mod common;

use common::{RW, start};
use pont_sandbox::SandboxConfig;
use serde_json::{Value, json};

const PAGE: &str = "query($first: Int) { demarche(number: 101) { dossiers(first: $first) {
    pageInfo { hasNextPage endCursor } nodes { number state usager { email } champs { __typename id } } } } }";

async fn env(dossiers: usize) -> common::Env {
    start(SandboxConfig {
        dossiers_per_demarche: dossiers,
        rate_limit: 1_000_000,
        ..SandboxConfig::default()
    })
    .await
}

fn nodes(body: &Value) -> Vec<Value> {
    body["data"]["demarche"]["dossiers"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_page_too_slow_for_the_timeout_comes_back_partial_and_a_smaller_one_whole() {
    // More than 100 listed, so the page is full.
    let env = env(120).await;
    env.control("faults", json!({ "slow_dossier_ms": 4, "timeout_ms": 200 }))
        .await;
    let started = std::time::Instant::now();
    let (status, body) = env.gql(RW, PAGE, json!({ "first": 100 })).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed().as_millis() >= 200,
        "the answer took its time"
    );
    assert!(
        codes(&body).iter().all(|c| c == "timeout") && !codes(&body).is_empty(),
        "{body}"
    );
    let list = nodes(&body);
    assert_eq!(list.len(), 100);
    let whole = list.iter().filter(|n| !n.is_null()).count();
    assert_eq!(whole, 50, "the dossiers resolved in time are kept");
    let first_error = &body["errors"][0];
    assert_eq!(first_error["path"][2], "nodes", "{first_error}");
    assert!(
        first_error["message"]
            .as_str()
            .unwrap()
            .starts_with("Timeout on Dossier.")
    );
    // 25 dossiers fit in the timeout.
    let (_, body) = env.gql(RW, PAGE, json!({ "first": 25 })).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(nodes(&body).len(), 25);
}

#[tokio::test]
async fn an_invalid_null_dossier_is_null_in_its_page_and_the_others_are_served() {
    let env = env(10).await;
    let bad = 101 * 100_000 + 4;
    env.control("faults", json!({ "invalid_null": [bad] }))
        .await;
    let (status, body) = env.gql(RW, PAGE, json!({ "first": 10 })).await;
    assert_eq!(status, 200);
    let list = nodes(&body);
    assert_eq!(list.len(), 10);
    assert_eq!(list.iter().filter(|n| n.is_null()).count(), 1, "{body}");
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{body}");
    let e = &errors[0];
    assert_eq!(e["extensions"]["code"], "invalid_null");
    assert_eq!(
        e["message"],
        "Cannot return null for non-nullable field Dossier.usager"
    );
    let i = e["path"][3].as_u64().unwrap() as usize;
    assert!(list[i].is_null());
    assert_eq!(e["path"][4], "usager");
    // The dossier alone: DS's `dossier` is non-null, so `data` is null.
    let (_, body) = env
        .gql(
            RW,
            "query($n: Int!) { dossier(number: $n) { usager { email } } }",
            json!({ "n": bad }),
        )
        .await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(codes(&body), ["invalid_null"]);
}

#[tokio::test]
async fn new_enum_values_are_sent_for_the_chosen_dossier_only() {
    let env = env(3).await;
    let odd = 101 * 100_000 + 2;
    env.control(
        "faults",
        json!({ "new_values": { "dossier": odd, "state": "en_attente", "champ_type": "NouveauChamp" } }),
    )
    .await;
    let data = env.data(RW, PAGE, json!({ "first": 3 })).await;
    for n in data["demarche"]["dossiers"]["nodes"].as_array().unwrap() {
        let is_odd = n["number"] == odd;
        assert_eq!(n["state"] == "en_attente", is_odd, "{n}");
        assert_eq!(
            n["champs"][0]["__typename"] == "NouveauChamp",
            is_odd,
            "{n}"
        );
    }
}

#[tokio::test]
async fn an_expired_file_url_answers_401() {
    let env = env(2).await;
    let dossier = 105 * 100_000 + 1;
    env.control("attachments", json!({ "dossier": dossier, "size": 64 }))
        .await;
    let data = env
        .data(
            RW,
            "query($n: Int!) { dossier(number: $n) { champs { ... on PieceJustificativeChamp { files { url } } } } }",
            json!({ "n": dossier }),
        )
        .await;
    let url = data["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["files"][0]["url"].as_str())
        .unwrap()
        .to_string();
    env.control("faults", json!({ "expired_urls": 1 })).await;
    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // The fault counts down: the next download is served.
    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
