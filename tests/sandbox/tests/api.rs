//! Reading through the DS API: pagination, filters, the type-resolution quirk, DS-shaped errors.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};

const PAGE: &str = "query($n: Int!, $after: String, $first: Int, $since: ISO8601DateTime) {
  demarche(number: $n) { dossiers(first: $first, after: $after, updatedSince: $since) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { number dateDepot dateDerniereModification }
    edges { cursor node { number } } } } }";

async fn all_pages(env: &Env, since: Option<&str>) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..50 {
        let d = env
            .data(
                RW,
                PAGE,
                json!({ "n": 101, "after": after, "first": 100, "since": since }),
            )
            .await;
        let conn = &d["demarche"]["dossiers"];
        let nodes = conn["nodes"].as_array().unwrap();
        assert!(nodes.len() <= 100);
        let edges = conn["edges"].as_array().unwrap();
        assert_eq!(edges.len(), nodes.len());
        seen.extend(nodes.iter().map(|n| n["number"].as_i64().unwrap()));
        if nodes.is_empty() || !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        assert_eq!(
            conn["pageInfo"]["endCursor"],
            edges.last().unwrap()["cursor"]
        );
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_over_1000_dossiers_sees_each_once() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": "chorus-subvention", "dossiers": 1000 }),
    )
    .await;
    let seen = all_pages(&env, None).await;
    assert_eq!(seen.len(), 1000);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        1000,
        "a dossier was seen twice"
    );
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered by dépôt");

    // first > 100 is capped at 100, as in DS.
    let d = env.data(RW, PAGE, json!({ "n": 101, "first": 500 })).await;
    assert_eq!(
        d["demarche"]["dossiers"]["nodes"].as_array().unwrap().len(),
        100
    );

    // Cursor = URL-safe unpadded base64 of "<timestamp>;<id>", as graphql-ruby encodes it.
    let cursor = d["demarche"]["dossiers"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let raw = {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor);
        String::from_utf8(bytes.unwrap()).unwrap()
    };
    assert!(raw.ends_with(";10100100"), "{raw}");

    // Backwards with last/before.
    let d = env
        .data(RW, "query($b: String) { demarche(number: 101) { dossiers(last: 10, before: $b) { nodes { number } pageInfo { hasPreviousPage hasNextPage } } } }", json!({ "b": cursor }))
        .await;
    let nodes: Vec<i64> = d["demarche"]["dossiers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_i64().unwrap())
        .collect();
    assert_eq!(nodes, (10100090..10100100).collect::<Vec<_>>());
    assert_eq!(
        d["demarche"]["dossiers"]["pageInfo"]["hasPreviousPage"],
        true
    );
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updated_since_orders_by_update_and_sees_changes_after_the_cursor() {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 101, "dossiers": 150, "state": "en_construction" }),
    )
    .await;
    let since = "2025-01-01T00:00:00+01:00";
    let first = all_pages(&env, Some(since)).await;
    assert_eq!(first.len(), 150);
    // Remember the high-water mark, then change one old dossier: it shows up after the cursor.
    let d = env
        .data(RW, PAGE, json!({ "n": 101, "first": 100, "since": since }))
        .await;
    let d2 = env.data(RW, PAGE, json!({ "n": 101, "first": 100, "since": since, "after": d["demarche"]["dossiers"]["pageInfo"]["endCursor"] })).await;
    let mark = d2["demarche"]["dossiers"]["pageInfo"]["endCursor"].clone();
    let (id, instructeur, _, _) = env.dossier_ids(10100003).await;
    let r = env
        .data(RW, "mutation($i: DossierPasserEnInstructionInput!) { dossierPasserEnInstruction(input: $i) { dossier { state } errors { message } } }", json!({ "i": { "dossierId": id, "instructeurId": instructeur } }))
        .await;
    assert_eq!(
        r["dossierPasserEnInstruction"]["dossier"]["state"],
        "en_instruction"
    );
    let after = env
        .data(
            RW,
            PAGE,
            json!({ "n": 101, "first": 100, "since": since, "after": mark }),
        )
        .await;
    let nodes: Vec<i64> = after["demarche"]["dossiers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_i64().unwrap())
        .collect();
    assert_eq!(nodes, vec![10100003]);
}

const QUIRK_PLAIN: &str = "query { dossier(number: 10200001) { champs { __typename label } } }";
const QUIRK_FRAGS: &str = "query { dossier(number: 10200001) { champs { __typename label ...F } } }
fragment F on Champ { ... on YesNoChamp { value } ... on CommuneChamp { commune { name } } ... on PaysChamp { pays { code } } }";

fn typename_of(d: &Value, label: &str) -> String {
    d["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .unwrap()["__typename"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_resolution_quirk_needs_fragments() {
    let env = small().await;
    let plain = env.data(RW, QUIRK_PLAIN, json!({})).await;
    assert_eq!(
        typename_of(&plain, "Déjà titulaire d’une carte professionnelle"),
        "CheckboxChamp"
    );
    assert_eq!(typename_of(&plain, "Commune de naissance"), "TextChamp");
    assert_eq!(typename_of(&plain, "Pays de naissance"), "TextChamp");
    let with = env.data(RW, QUIRK_FRAGS, json!({})).await;
    assert_eq!(
        typename_of(&with, "Déjà titulaire d’une carte professionnelle"),
        "YesNoChamp"
    );
    assert_eq!(typename_of(&with, "Commune de naissance"), "CommuneChamp");
    assert_eq!(typename_of(&with, "Pays de naissance"), "PaysChamp");

    // Datetime comes back as DateChamp without a DatetimeChamp fragment.
    let q = "{ dossier(number: 10600001) { champs { __typename label } } }";
    let d = env.data(RW, q, json!({})).await;
    assert_eq!(typename_of(&d, "Date et heure de la demande"), "DateChamp");
    let q = "{ dossier(number: 10600001) { champs { __typename label ... on DatetimeChamp { datetime } ... on DepartementChamp { departement { code } } } } }";
    let d = env.data(RW, q, json!({})).await;
    assert_eq!(
        typename_of(&d, "Date et heure de la demande"),
        "DatetimeChamp"
    );
    assert_eq!(
        typename_of(&d, "Département d’exercice"),
        "DepartementChamp"
    );

    // A champ matching none of the fragments is `{}`, never null (`Champ!` is non-null).
    let q = "{ dossier(number: 10500001) { champs { ... on PieceJustificativeChamp { files { filename } } } } }";
    let d = env.data(RW, q, json!({})).await;
    let champs = d["dossier"]["champs"].as_array().unwrap();
    assert!(champs.iter().all(|c| c.is_object()), "{d}");
    assert!(champs.iter().any(|c| c.as_object().unwrap().is_empty()));
    assert!(!d.to_string().contains("pontSandboxTypename"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn champ_ids_are_stable_and_repetition_rows_suffixed() {
    let env = small().await;
    let q = "{ demarche(number: 101) { activeRevision { champDescriptors { id label ... on RepetitionChampDescriptor { champDescriptors { id } } } } } dossier(number: 10100002) { champs { id champDescriptorId ... on RepetitionChamp { rows { id champs { id champDescriptorId } } } } } }";
    let d = env.data(RW, q, json!({})).await;
    let descs: Vec<&str> = d["demarche"]["activeRevision"]["champDescriptors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let champs = d["dossier"]["champs"].as_array().unwrap();
    for c in champs {
        assert_eq!(c["id"], c["champDescriptorId"]);
        assert!(descs.contains(&c["id"].as_str().unwrap()));
    }
    let rep = champs.iter().find(|c| c.get("rows").is_some()).unwrap();
    let cell = &rep["rows"][0]["champs"][0];
    let raw = String::from_utf8(base64_decode(cell["id"].as_str().unwrap())).unwrap();
    assert!(raw.starts_with("Champ-101011|"), "{raw}");
    assert_ne!(cell["id"], cell["champDescriptorId"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_ds_shaped_and_never_panic() {
    let env = small().await;
    let (_, b) = env
        .gql(RW, "{ dossier(number: 1) { id } }", json!({}))
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "not_found");
    assert_eq!(b["errors"][0]["message"], "Dossier not found");
    let (_, b) = env
        .gql(
            "sandbox-rw-101",
            "{ demarche(number: 102) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["errors"][0]["message"],
        "An object of type Demarche was hidden due to permissions"
    );
    assert_eq!(b["errors"][0]["extensions"]["code"], "unauthorized");
    let (s, b) = env
        .gql(
            "sandbox-expired",
            "{ demarche(number: 101) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(b["errors"][0]["message"], "Token expired");
    let (s, b) = env.gql(RW, "{ demarche(number: ", json!({})).await;
    assert_eq!(s, 400);
    assert_eq!(b["errors"][0]["extensions"]["code"], "graphql_parse_failed");
    let (s, _) = env
        .gql(
            RW,
            "query($n: Int!) { demarche(number: $n) { id } }",
            json!({ "n": "abc" }),
        )
        .await;
    assert_eq!(s, 200);
    let (_, b) = env
        .gql(
            RW,
            "{ demarche(number: 101) { dossiers(first: 1, last: 1) { nodes { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(b["errors"][0]["extensions"]["code"], "bad_request");
    let (_, b) = env
        .gql(
            RW,
            "{ demarche(number: 101) { dossiers(after: \"garbage\") { nodes { id } } } }",
            json!({}),
        )
        .await;
    // graphql-ruby's cursor decoder: its message, and no `extensions`.
    assert_eq!(b["errors"][0]["message"], "Invalid input: \"garbage\"");
    assert!(b["errors"][0].get("extensions").is_none(), "{b}");
    for body in [
        "not json",
        "[]",
        "{\"query\": 3}",
        "{\"query\": \"{ demarche(number: 101) { id } }\", \"variables\": \"{bad\"}",
    ] {
        let r = env
            .http
            .post(env.sb.ds_url())
            .bearer_auth(RW)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(v["errors"][0]["message"].is_string());
    }
    // variables as a JSON string are accepted, as by DS.
    let r = env.http.post(env.sb.ds_url()).bearer_auth(RW)
        .json(&json!({ "query": "query($n: Int!) { demarche(number: $n) { number } }", "variables": "{\"n\": 101}" }))
        .send().await.unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["data"]["demarche"]["number"], 101);
    // No token: only persisted queries.
    let r = env
        .http
        .post(env.sb.ds_url())
        .json(&json!({ "query": "{ demarche(number: 101) { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}
