//! Transport-level behaviour: rate limit, fault injection, attachment URLs and streaming,
//! and the schema conformance check against the real DS schema.

mod common;

use std::time::Duration;

use common::*;
use pont_sandbox::{AttachmentSpec, SandboxConfig};
use serde_json::{Value, json};

/// Waits until at least `margin` seconds remain in the current fixed window.
async fn away_from_window_edge(window: i64, margin: i64) {
    let now = chrono::Utc::now().timestamp();
    let left = window - now.rem_euclid(window);
    if left < margin {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_429_after_budget_with_headers() {
    let env = start(SandboxConfig {
        dossiers_per_demarche: 2,
        rate_limit: 5,
        ..SandboxConfig::default()
    })
    .await;
    away_from_window_edge(60, 10).await;
    for _ in 0..5 {
        let (s, _) = env
            .gql(RW, "{ demarche(number: 101) { number } }", json!({}))
            .await;
        assert_eq!(s, 200);
    }
    let r = env
        .http
        .post(env.sb.ds_url())
        .bearer_auth(RW)
        .json(&json!({ "query": "{ demarche(number: 101) { number } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let h = r.headers().clone();
    let reset: i64 = h["ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert_eq!(h["ratelimit-remaining"], "0");
    assert!(h.get("ratelimit-limit").is_none());
    let now = chrono::Utc::now().timestamp();
    assert_eq!(reset % 60, 0, "window aligned on epoch minutes");
    assert!(reset > now && reset - now <= 60);
    // DS's own responder: no Retry-After, no content type, a plain-text body.
    assert!(h.get("retry-after").is_none());
    assert!(h.get("content-type").is_none());
    assert!(r.text().await.unwrap().starts_with("Calme toi, cowboy !"));
    // Another token has its own budget.
    let (s, _) = env
        .gql(RO, "{ demarche(number: 101) { number } }", json!({}))
        .await;
    assert_eq!(s, 200);
    // Request counts: never above the budget.
    let counts = env.control_get("requests").await;
    let rw: Vec<&Value> = counts["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["token"] == RW)
        .collect();
    assert_eq!(rw.len(), 1);
    assert_eq!(rw[0]["allowed"], 5);
    assert_eq!(rw[0]["throttled"], 1);
    // The limit is adjustable at run time.
    env.control("rate-limit", json!({ "limit": 100, "window_secs": 60 }))
        .await;
    let (s, _) = env
        .gql(RW, "{ demarche(number: 101) { number } }", json!({}))
        .await;
    assert_eq!(s, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_500_drop_burst_latency() {
    let env = small().await;
    let q = "{ demarche(number: 101) { number } }";
    env.control("faults", json!({ "error_rate": 1.0 })).await;
    let (s, b) = env.gql(RW, q, json!({})).await;
    assert_eq!(s, 500);
    assert_eq!(
        b["errors"][0]["extensions"]["code"],
        "internal_server_error"
    );
    env.control("faults", json!({ "drop_rate": 1.0 })).await;
    let r = env
        .http
        .post(env.sb.ds_url())
        .bearer_auth(RW)
        .json(&json!({ "query": q }))
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(failed, "a dropped connection must fail on the client side");
    env.control("faults", json!({ "burst_429": 2 })).await;
    for _ in 0..2 {
        let (s, _) = env.gql(RW, q, json!({})).await;
        assert_eq!(s, 429);
    }
    let (s, _) = env.gql(RW, q, json!({})).await;
    assert_eq!(s, 200);
    env.control("faults", json!({ "latency_ms": 300 })).await;
    let t = std::time::Instant::now();
    let (s, _) = env.gql(RW, q, json!({})).await;
    assert_eq!(s, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // drop-after-apply: the mutation is applied and logged, the client never hears back.
    env.control("faults", json!({ "drop_after_rate": 1.0 }))
        .await;
    let (id, instr, _, state) = env.dossier_ids_unfaulted(10100001).await;
    assert_eq!(state, "en_construction");
    let m = "mutation($i: DossierPasserEnInstructionInput!) { dossierPasserEnInstruction(input: $i) { dossier { state } } }";
    let r = env.http.post(env.sb.ds_url()).bearer_auth(RW).json(&json!({ "query": m, "variables": { "i": { "dossierId": id, "instructeurId": instr } } })).send().await;
    assert!(match r {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    });
    env.control("faults", json!({})).await;
    let log = env.log().await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["applied"], true);
}

trait Unfaulted {
    async fn dossier_ids_unfaulted(&self, n: i64) -> (String, String, String, String);
}

impl Unfaulted for Env {
    /// Reads ids with faults paused, then restores them.
    async fn dossier_ids_unfaulted(&self, n: i64) -> (String, String, String, String) {
        let faults = self.control_get("faults").await;
        self.control("faults", json!({})).await;
        let ids = self.dossier_ids(n).await;
        self.control("faults", faults).await;
        ids
    }
}

const FILES: &str = "query($n: Int!) { dossier(number: $n) { champs { ... on PieceJustificativeChamp { files { url filename checksum byteSizeBigInt contentType } } } } }";

async fn files(env: &Env, n: i64) -> Vec<Value> {
    let d = env.data(RW, FILES, json!({ "n": n })).await;
    d["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.get("files"))
        .flat_map(|f| f.as_array().unwrap().clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachment_urls_expire_and_checksums_match() {
    let env = start(SandboxConfig {
        dossiers_per_demarche: 3,
        url_ttl_secs: 1,
        ..SandboxConfig::default()
    })
    .await;
    let f = files(&env, 10500001).await;
    assert!(!f.is_empty());
    let url = f[0]["url"].as_str().unwrap().to_owned();
    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.bytes().await.unwrap();
    assert_eq!(
        body.len().to_string(),
        f[0]["byteSizeBigInt"].as_str().unwrap()
    );
    assert_eq!(
        pont_sandbox::util::md5_base64(&body),
        f[0]["checksum"].as_str().unwrap()
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = env.http.get(&url).send().await.unwrap();
    // DS's storage answers an expired signature with 401.
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.text().await.unwrap(), "Request has expired");
    // A tampered URL is refused too.
    let r = env
        .http
        .get(url.replace("/storage/blobs/", "/storage/blobs/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_streamed_and_corrupted_attachments() {
    let env = small().await;
    let size: u64 = 24 * 1024 * 1024;
    env.control(
        "attachments",
        json!({ "dossier": 10500002, "size": size, "filename": "gros.bin" }),
    )
    .await;
    env.control(
        "attachments",
        json!({ "dossier": 10500002, "size": 4096, "corrupt": true, "filename": "abime.bin" }),
    )
    .await;
    let f = files(&env, 10500002).await;
    let big = f.iter().find(|x| x["filename"] == "gros.bin").unwrap();
    assert_eq!(big["byteSizeBigInt"], size.to_string());
    let mut r = env
        .http
        .get(big["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-length"], size.to_string().as_str());
    let mut ctx = Vec::new();
    let mut total = 0u64;
    while let Some(chunk) = r.chunk().await.unwrap() {
        total += chunk.len() as u64;
        ctx.extend_from_slice(&chunk);
    }
    assert_eq!(total, size);
    assert_eq!(
        pont_sandbox::util::md5_base64(&ctx),
        big["checksum"].as_str().unwrap()
    );
    let bad = f.iter().find(|x| x["filename"] == "abime.bin").unwrap();
    let bytes = env
        .http
        .get(bad["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), 4096);
    assert_ne!(
        pont_sandbox::util::md5_base64(&bytes),
        bad["checksum"].as_str().unwrap()
    );
}

/// The opt-in attachment of the streaming test: a plain DS `File`, same bytes after a reset
/// (generated from the seed), and a spec naming no dossier stops the sandbox from starting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_attachments_are_deterministic_files() {
    let size: u64 = 3 * 1024 * 1024 + 5;
    let env = start(SandboxConfig {
        dossiers_per_demarche: 2,
        attachments: vec![AttachmentSpec::new(10100001, size)],
        ..SandboxConfig::default()
    })
    .await;
    let size_text = size.to_string();
    let find = |f: Vec<Value>| {
        f.into_iter()
            .find(|x| x["byteSizeBigInt"].as_str() == Some(size_text.as_str()))
    };
    let big = find(files(&env, 10100001).await).expect("the configured attachment");
    assert_eq!(big["contentType"], "application/octet-stream");
    let name = big["filename"].as_str().unwrap();
    assert!(name.starts_with("piece-10100001-"), "{name}");
    let mut r = env
        .http
        .get(big["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let mut body = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    assert_eq!(body.len() as u64, size);
    assert_eq!(
        pont_sandbox::util::md5_base64(&body),
        big["checksum"].as_str().unwrap()
    );
    env.control("reset", json!({})).await;
    let again = find(files(&env, 10100001).await).expect("kept by reset");
    assert_eq!(
        (&again["filename"], &again["checksum"]),
        (&big["filename"], &big["checksum"])
    );
    let refused = pont_sandbox::Sandbox::start(SandboxConfig {
        dossiers_per_demarche: 2,
        attachments: vec![AttachmentSpec::new(99, 1)],
        ..SandboxConfig::default()
    })
    .await;
    assert!(
        matches!(refused, Err(pont_sandbox::SandboxError::UnknownDossier(99))),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ds_conformance_endpoint_conforms() {
    let tool = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/tools/ds-conformance");
    let probe = std::process::Command::new("python3")
        .args(["-c", "import graphql"])
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) || !tool.exists() {
        eprintln!(
            "SKIPPED ds_conformance_endpoint_conforms: python3 with graphql-core or {} is missing",
            tool.display()
        );
        return;
    }
    let env = small().await;
    let url = env.sb.ds_url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(tool)
            .args(["endpoint", &url, RW])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("conforms"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
