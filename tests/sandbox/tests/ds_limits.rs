//! DS's query depth limit and its pagination answers, posted as GraphQL over loopback: the
//! depth message with no `data`, page flags as DS's `CursorConnection` sets them, clamped
//! page sizes, DS's messages for exclusive arguments and graphql-ruby's for bad cursors.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use serde_json::{Value, json};

/// `__schema { types { fields { type { ofType … { name } } } } }`: 4 levels, then `extra`
/// nested `ofType`, then `name`: depth 5 + `extra`.
fn introspection_of_depth(depth: usize) -> String {
    let extra = depth - 5;
    let open = "ofType { ".repeat(extra);
    let close = "} ".repeat(extra);
    format!("{{ __schema {{ types {{ fields {{ type {{ {open}name {close}}} }} }} }} }}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_deeper_than_15_gets_ds_depth_error_and_no_data() {
    let env = small().await;
    let (status, body) = env.gql(RW, &introspection_of_depth(15), json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");

    let (status, body) = env.gql(RW, &introspection_of_depth(16), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "errors": [{ "message": "Query has depth of 16, which exceeds max depth of 15" }] })
    );

    let (_, body) = env.gql(RW, &introspection_of_depth(40), json!({})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Query has depth of 40, which exceeds max depth of 15"
    );

    // Fragments are inlined and `__typename` is a level: 4 + 11 + 1 = 16.
    let q = format!(
        "{{ __schema {{ ...S }} }} \
         fragment S on __Schema {{ types {{ fields {{ type {{ ...R }} }} }} }} \
         fragment R on __Type {{ {}__typename {}}}",
        "ofType { ".repeat(11),
        "} ".repeat(11)
    );
    let (status, body) = env.gql(RW, &q, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({ "errors": [{ "message": "Query has depth of 16, which exceeds max depth of 15" }] })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_fields_do_not_count_and_validation_comes_first() {
    let env = small().await;
    // Level 15 holds `kind`, and an `ofType { name }` reaching 16 under
    // @include(if: $deep): allowed only while $deep is false.
    let q = format!(
        "query($deep: Boolean!) {{ __schema {{ types {{ fields {{ type {{ {}\
         kind ofType @include(if: $deep) {{ name }} {}}} }} }} }} }}",
        "ofType { ".repeat(10),
        "} ".repeat(10)
    );
    let q = q.as_str();
    let (_, body) = env.gql(RW, q, json!({ "deep": false })).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = env.gql(RW, q, json!({ "deep": true })).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Query has depth of 16, which exceeds max depth of 15"
    );
    assert!(body.get("data").is_none(), "{body}");

    // An invalid document deeper than 15 gets its validation error, as graphql-ruby does.
    let deep_invalid = introspection_of_depth(16).replace("name", "nosuchfield");
    let (_, body) = env.gql(RW, &deep_invalid, json!({})).await;
    let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("nosuchfield"), "{body}");
    assert!(!msg.contains("depth"), "{body}");
}

const LIST: &str = "query($first: Int, $last: Int, $after: String, $before: String) {
  demarche(number: 101) { dossiers(first: $first, last: $last, after: $after, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { number } } } }";

/// (numbers, hasPreviousPage, hasNextPage, endCursor) of one page.
async fn page(env: &Env, vars: Value) -> (Vec<i64>, bool, bool, Option<String>) {
    let d = env.data(RW, LIST, vars).await;
    let c = &d["demarche"]["dossiers"];
    let numbers = c["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["number"].as_i64().unwrap())
        .collect();
    let info = &c["pageInfo"];
    (
        numbers,
        info["hasPreviousPage"].as_bool().unwrap(),
        info["hasNextPage"].as_bool().unwrap(),
        info["endCursor"].as_str().map(str::to_owned),
    )
}

async fn seeded_150() -> Env {
    let env = small().await;
    env.control(
        "seed",
        json!({ "demarche": 101, "dossiers": 150, "state": "en_construction" }),
    )
    .await;
    env
}

const N0: i64 = 10_100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_flags_follow_ds_cursor_connection() {
    let env = seeded_150().await;
    // first over 100 is clamped to 100, silently.
    let (nodes, prev, next, end) = page(&env, json!({ "first": 150 })).await;
    assert_eq!(nodes, (N0 + 1..=N0 + 100).collect::<Vec<_>>());
    assert!(!prev && next);
    // Any `after` makes hasPreviousPage true, even past the end of the list.
    let (nodes, prev, next, last_cursor) = page(&env, json!({ "first": 100, "after": end })).await;
    assert_eq!(nodes, (N0 + 101..=N0 + 150).collect::<Vec<_>>());
    assert!(prev && !next);
    let (nodes, prev, next, end) = page(&env, json!({ "first": 10, "after": last_cursor })).await;
    assert!(nodes.is_empty() && prev && !next && end.is_none());

    // `first` with `before` gives the items just before it; any `before` means hasNextPage.
    let (_, _, _, c5) = page(&env, json!({ "first": 5 })).await;
    let (nodes, prev, next, _) = page(&env, json!({ "first": 2, "before": c5 })).await;
    assert_eq!(nodes, vec![N0 + 3, N0 + 4]);
    assert!(prev && next);
    let (nodes, prev, next, _) = page(&env, json!({ "first": 10, "before": c5 })).await;
    assert_eq!(nodes, (N0 + 1..=N0 + 4).collect::<Vec<_>>());
    assert!(!prev && next);
    // `last` alone: the end of the list.
    let (nodes, prev, next, _) = page(&env, json!({ "last": 2 })).await;
    assert_eq!(nodes, vec![N0 + 149, N0 + 150]);
    assert!(prev && !next);
    // A negative `first` is clamped to 0: no error, no node, and a next page.
    let (nodes, prev, next, end) = page(&env, json!({ "first": -3 })).await;
    assert!(nodes.is_empty() && !prev && next && end.is_none());
    // An empty cursor is no cursor.
    let (nodes, prev, _, _) = page(&env, json!({ "first": 3, "after": "" })).await;
    assert_eq!(nodes, vec![N0 + 1, N0 + 2, N0 + 3]);
    assert!(!prev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cursors_are_graphql_ruby_cursors_and_bad_ones_get_its_answers() {
    let env = seeded_150().await;
    let (_, _, _, end) = page(&env, json!({ "first": 2 })).await;
    let end = end.unwrap();
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(&end).unwrap()).unwrap();
    let (ts, id) = raw.split_once(';').unwrap();
    assert_eq!(id, (N0 + 2).to_string());
    assert!(
        ts.ends_with('Z') && ts.split('.').nth(1).unwrap().len() == 10,
        "{ts}"
    );
    // Ruby's urlsafe_decode64 also takes the padded standard alphabet.
    let padded = STANDARD.encode(&raw);
    let (nodes, ..) = page(&env, json!({ "first": 1, "after": padded })).await;
    assert_eq!(nodes, vec![N0 + 3]);

    // Not base64: graphql-ruby's message, without extensions, and no page.
    let (status, body) = env
        .gql(RW, LIST, json!({ "first": 1, "after": "pas un curseur !" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["message"],
        "Invalid input: \"pas un curseur !\""
    );
    assert!(body["errors"][0].get("extensions").is_none(), "{body}");
    assert!(body["data"]["demarche"]["dossiers"].is_null(), "{body}");

    // Base64 whose timestamp does not parse compares as NULL: an empty page, no error.
    let junk = URL_SAFE_NO_PAD.encode("pas une date;12");
    let (nodes, prev, next, _) = page(&env, json!({ "first": 5, "after": junk })).await;
    assert!(nodes.is_empty() && prev && !next);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_arguments_get_ds_messages() {
    let env = small().await;
    let (_, body) = env.gql(RW, LIST, json!({ "first": 1, "last": 1 })).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Arguments \"first\" and \"last\" are exclusive"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "bad_request");
    let (_, _, _, c) = page(&env, json!({ "first": 1 })).await;
    let (_, body) = env.gql(RW, LIST, json!({ "after": c, "before": c })).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Arguments \"before\" and \"after\" are exclusive"
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "bad_request");
}
