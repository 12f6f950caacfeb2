//! Helpers shared by the integration tests: a started sandbox and a plain HTTP client that
//! sends GraphQL documents the way any DS client would.
#![allow(dead_code)]

use pont_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

pub const RW: &str = "sandbox-rw-all";
pub const RO: &str = "sandbox-ro-all";

pub struct Env {
    pub sb: Sandbox,
    pub http: reqwest::Client,
}

pub async fn start(config: SandboxConfig) -> Env {
    let sb = Sandbox::start(config).await.expect("sandbox starts");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client");
    Env { sb, http }
}

pub async fn small() -> Env {
    start(SandboxConfig {
        dossiers_per_demarche: 12,
        ..SandboxConfig::default()
    })
    .await
}

impl Env {
    /// POSTs a GraphQL document; returns the HTTP status and the JSON body.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.sb.ds_url())
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Same, asserting HTTP 200 and no top-level errors; returns `data`.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}/__sandbox/{path}", self.sb.base_url()))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert!(r.status().is_success(), "control {path}: {}", r.status());
        r.json().await.expect("json")
    }

    pub async fn control_get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}/__sandbox/{path}", self.sb.base_url()))
            .send()
            .await
            .expect("control")
            .json()
            .await
            .expect("json")
    }

    /// Global id and instructeur ids (of its groupe, and of another groupe) for a dossier.
    pub async fn dossier_ids(&self, number: i64) -> (String, String, String, String) {
        let d = self
            .data(RW, "query($n: Int!) { dossier(number: $n) { id state groupeInstructeur { number instructeurs { id } } demarche { number } } }", json!({ "n": number }))
            .await;
        let dem = self
            .data(RW, "query($n: Int!) { demarche(number: $n) { groupeInstructeurs { number instructeurs { id } } } }", json!({ "n": d["dossier"]["demarche"]["number"] }))
            .await;
        let mine = d["dossier"]["groupeInstructeur"]["number"].clone();
        let other = dem["demarche"]["groupeInstructeurs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["number"] != mine)
            .unwrap()["instructeurs"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (
            d["dossier"]["id"].as_str().unwrap().to_owned(),
            d["dossier"]["groupeInstructeur"]["instructeurs"][0]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            other,
            d["dossier"]["state"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn log(&self) -> Vec<Value> {
        self.control_get("mutations").await["mutations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}
