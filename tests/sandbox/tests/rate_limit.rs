//! DS's rate limit and authentication answers, as a client sees them on the wire: the exact
//! 429 of DS's `throttled_responder`, `Date` and `RateLimit-Reset` by the sandbox's (shifted)
//! clock, and the 403 an unknown or revoked token gets.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use pont_sandbox::SandboxConfig;
use serde_json::json;

const Q: &str = "{ demarche(number: 101) { number } }";
const DS_429: &str = "Calme toi, cowboy ! T'enchaines un peu trop les requêtes. Respire un peu réessaie dans un petit moment.\nCalm down, cowboy! You're making too many requests. Take a breather and try again soon.\n";

async fn post(env: &Env, token: &str, body: serde_json::Value) -> reqwest::Response {
    env.http
        .post(env.sb.ds_url())
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn date_of(r: &reqwest::Response) -> DateTime<Utc> {
    let v = r.headers()["date"].to_str().unwrap();
    DateTime::parse_from_rfc2822(v)
        .unwrap_or_else(|e| panic!("Date {v:?}: {e}"))
        .with_timezone(&Utc)
}

/// Sleeps until at least `margin` seconds remain in the sandbox's current window.
async fn away_from_window_edge(offset: i64, window: i64, margin: i64) {
    let now = Utc::now().timestamp() + offset;
    let left = window - now.rem_euclid(window);
    if left < margin {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_429_is_ds_s_own_and_its_clock_runs_ahead_when_told() {
    let env = start(SandboxConfig {
        dossiers_per_demarche: 2,
        rate_limit: 2,
        rate_window_secs: 10,
        ..SandboxConfig::default()
    })
    .await;
    let set = env
        .control("faults", json!({ "clock_offset_secs": 30 }))
        .await;
    assert_eq!(set["clock_offset_secs"], 30);
    away_from_window_edge(30, 10, 4).await;
    for _ in 0..2 {
        let r = post(&env, RW, json!({ "query": Q })).await;
        assert_eq!(r.status().as_u16(), 200);
        let ahead = (date_of(&r) - Utc::now()).num_seconds();
        assert!((28..=31).contains(&ahead), "Date is {ahead} s ahead");
    }
    let r = post(&env, RW, json!({ "query": Q })).await;
    assert_eq!(r.status().as_u16(), 429);
    let names: BTreeSet<&str> = r.headers().keys().map(|k| k.as_str()).collect();
    let expected = [
        "content-length",
        "date",
        "ratelimit-remaining",
        "ratelimit-reset",
    ];
    assert_eq!(names, expected.into_iter().collect(), "headers of the 429");
    assert_eq!(r.headers()["ratelimit-remaining"], "0");
    let reset: i64 = r.headers()["ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let date = date_of(&r).timestamp();
    assert_eq!(reset % 10, 0, "windows are aligned on the sandbox's epoch");
    assert!(
        reset > date && reset - date <= 10,
        "reset {reset}, date {date}"
    );
    assert!(
        reset - Utc::now().timestamp() > 20,
        "reset is by the shifted clock"
    );
    assert_eq!(r.text().await.unwrap(), DS_429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_behind_the_host_dates_answers_in_the_past() {
    let env = small().await;
    env.control("faults", json!({ "clock_offset_secs": -45 }))
        .await;
    let r = post(&env, RW, json!({ "query": Q })).await;
    assert_eq!(r.status().as_u16(), 200);
    let behind = (Utc::now() - date_of(&r)).num_seconds();
    assert!((44..=47).contains(&behind), "Date is {behind} s behind");
    // Clearing the faults puts the clock back.
    env.control("faults", json!({})).await;
    let r = post(&env, RW, json!({ "query": Q })).await;
    assert!((Utc::now() - date_of(&r)).num_seconds().abs() <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_revoked_token_gets_ds_s_403() {
    let env = small().await;
    for token in ["not-a-sandbox-token", "c2FuZGJveC1ydy1hbGw7cmV2b2tlZA=="] {
        let r = post(&env, token, json!({ "query": Q })).await;
        assert_eq!(r.status().as_u16(), 403, "token {token}");
        assert_eq!(
            r.text().await.unwrap(),
            r#"{"errors":[{"message":"Without a token, only persisted queries are allowed","extensions":{"code":"forbidden"}}],"data":null}"#
        );
    }
    // Mutations are refused the same way, before anything is applied.
    let m = "mutation { dossierPasserEnInstruction(input: { dossierId: \"x\", instructeurId: \"y\" }) { errors { message } } }";
    let r = post(&env, "not-a-sandbox-token", json!({ "query": m })).await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(
        env.log().await.is_empty(),
        "nothing reached the mutation log"
    );
    // A persisted query is still served to a caller nobody authenticated, as on DS.
    let r = post(
        &env,
        "not-a-sandbox-token",
        json!({ "queryId": "introspection" }),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    // Known tokens are unaffected; an expired one keeps its 401.
    assert_eq!(post(&env, RW, json!({ "query": Q })).await.status(), 200);
    let r = post(&env, "sandbox-expired", json!({ "query": Q })).await;
    assert_eq!(r.status().as_u16(), 401);
}
