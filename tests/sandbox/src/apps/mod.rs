//! The third-party web apps of DESIGN §8: server-rendered HTML applications that robots drive
//! through a browser, each on its own loopback port (its own origin, as in real life, so a robot's
//! network allow-list is exercised per app). Each keeps a record of what was submitted
//! (`GET /__sandbox/records`) and a log of the requests it saw (`GET /__sandbox/requests`), which
//! tests read to assert what a robot did, or that it did nothing.

pub mod actes;
pub mod casier;
pub mod chorus;
pub mod controle;
pub mod cps;
pub mod html;
pub mod pdf;
pub mod referentiel;
pub mod sirh;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Multipart, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::SandboxError;

/// Bound of each app's record and request log, so memory stays bounded on long demo runs.
const MAX_LOG: usize = 100_000;
/// Largest multipart body an app accepts (attachments of a payment, an @ctes deposit).
pub const MAX_FORM: usize = 64 * 1024 * 1024;

/// One of the third-party apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    /// Chorus: subsidy form (two steps) and payment form with a PDF certificate.
    Chorus,
    /// Casier judiciaire: request form returning a request number.
    Casier,
    /// Contrôle du droit à conduire: answer available only after an external delay.
    Controle,
    /// @ctes: file deposits and their archive.
    Actes,
    /// CPS management tool: login, then request instruction.
    Cps,
    /// Health professional directory, a JSON API.
    Referentiel,
    /// The agents' HR tool (SIRH): registration form returning a file number.
    Sirh,
}

impl App {
    pub const ALL: [App; 7] = [
        App::Chorus,
        App::Casier,
        App::Controle,
        App::Actes,
        App::Cps,
        App::Referentiel,
        App::Sirh,
    ];

    /// Short name, as printed by the binary and used in page titles.
    pub fn name(self) -> &'static str {
        match self {
            App::Chorus => "chorus",
            App::Casier => "casier",
            App::Controle => "controle",
            App::Actes => "actes",
            App::Cps => "cps",
            App::Referentiel => "referentiel",
            App::Sirh => "sirh",
        }
    }
}

/// Port of each app on 127.0.0.1 (0 = pick a free one).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppPorts {
    pub chorus: u16,
    pub casier: u16,
    pub controle: u16,
    pub actes: u16,
    pub cps: u16,
    pub referentiel: u16,
    pub sirh: u16,
}

impl AppPorts {
    pub fn get(&self, app: App) -> u16 {
        match app {
            App::Chorus => self.chorus,
            App::Casier => self.casier,
            App::Controle => self.controle,
            App::Actes => self.actes,
            App::Cps => self.cps,
            App::Referentiel => self.referentiel,
            App::Sirh => self.sirh,
        }
    }
}

/// Settings of the apps; the defaults suit the demo.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppsConfig {
    pub ports: AppPorts,
    /// Delay before "late" page content is revealed by its inline script, as on real pages
    /// where robots must wait for an element rather than read the DOM at load.
    pub reveal_delay_ms: u64,
    /// External processing time of the contrôle du droit à conduire before a result exists.
    pub controle_delay_ms: u64,
    /// The CPS tool's password (any non-empty username is accepted with it).
    pub cps_password: String,
    /// Requests listed by the CPS instruction screen: DS dossiers `10600001..` of démarche 106.
    pub cps_demandes: usize,
    /// Bearer token the referential API expects; `None` = open API.
    pub referentiel_token: Option<String>,
}

impl Default for AppsConfig {
    fn default() -> Self {
        AppsConfig {
            ports: AppPorts::default(),
            reveal_delay_ms: 300,
            controle_delay_ms: 3000,
            cps_password: "sandbox-cps-secret".into(),
            // As many as the sandbox seeds per démarche by default, so the tool
            // knows every dossier of démarche 106 the demo instructs.
            cps_demandes: 40,
            referentiel_token: Some("sandbox-referentiel".into()),
        }
    }
}

/// One submission accepted by an app (validation failures are never recorded).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRecord {
    /// 1-based order of acceptance within the app.
    pub seq: u64,
    /// Which form: `subvention`, `paiement`, `demande`, `controle`, `depot`, `decision`, ...
    pub form: String,
    pub at: DateTime<Utc>,
    /// The submitted fields and what the app derived (reference, file hashes, ...).
    pub data: serde_json::Value,
}

/// One request an app received (its `/__sandbox/` endpoints excluded).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppRequest {
    pub method: String,
    pub path: String,
    pub at: DateTime<Utc>,
}

/// What every app shares: its identity, the settings, its record and request log.
#[derive(Debug)]
pub struct AppContext {
    pub app: App,
    pub config: AppsConfig,
    records: Mutex<VecDeque<AppRecord>>,
    requests: Mutex<VecDeque<AppRequest>>,
    seq: AtomicU64,
    numbers: AtomicU64,
}

/// A poisoned lock only means another handler panicked mid-update; the data stays usable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn push_bounded<T>(q: &mut VecDeque<T>, v: T) {
    if q.len() >= MAX_LOG {
        q.pop_front();
    }
    q.push_back(v);
}

impl AppContext {
    pub fn new(app: App, config: AppsConfig) -> Arc<AppContext> {
        Arc::new(AppContext {
            app,
            config,
            records: Mutex::new(VecDeque::new()),
            requests: Mutex::new(VecDeque::new()),
            seq: AtomicU64::new(0),
            numbers: AtomicU64::new(0),
        })
    }

    /// Records an accepted submission; returns its sequence number.
    pub fn record(&self, form: &str, data: serde_json::Value) -> u64 {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let rec = AppRecord {
            seq,
            form: form.into(),
            at: Utc::now(),
            data,
        };
        push_bounded(&mut lock(&self.records), rec);
        seq
    }

    /// A fresh number for the app's own references (request numbers, Chorus references).
    pub fn next_number(&self) -> u64 {
        self.numbers.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn records(&self) -> Vec<AppRecord> {
        lock(&self.records).iter().cloned().collect()
    }

    pub fn requests(&self) -> Vec<AppRequest> {
        lock(&self.requests).iter().cloned().collect()
    }

    /// Forgets records and requests (app-specific state such as sessions is kept).
    pub fn clear(&self) {
        lock(&self.records).clear();
        lock(&self.requests).clear();
    }
}

/// A file received in a multipart form.
#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Upload {
    pub fn sha256(&self) -> String {
        sha256_hex(&self.bytes)
    }

    /// The JSON description kept in records: never the bytes, only what identifies them.
    pub fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "field": self.field, "filename": self.filename, "content_type": self.content_type,
            "size": self.bytes.len(), "sha256": self.sha256(),
        })
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a multipart body into text fields and files. A file input left empty by the browser
/// (empty filename, no bytes) is not a file. The part count is bounded by the body limit.
pub async fn read_multipart(
    mut mp: Multipart,
) -> Result<(HashMap<String, String>, Vec<Upload>), String> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(format!("formulaire illisible : {e}")),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| format!("formulaire illisible : {e}"))?;
        match filename {
            Some(f) if !f.is_empty() => files.push(Upload {
                field: name,
                filename: f,
                content_type,
                bytes: bytes.to_vec(),
            }),
            Some(_) => {}
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, files))
}

async fn log_request(State(ctx): State<Arc<AppContext>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !path.starts_with("/__sandbox/") {
        let entry = AppRequest {
            method: req.method().as_str().to_owned(),
            path,
            at: Utc::now(),
        };
        push_bounded(&mut lock(&ctx.requests), entry);
    }
    next.run(req).await
}

async fn get_records(State(ctx): State<Arc<AppContext>>) -> Json<Vec<AppRecord>> {
    Json(ctx.records())
}

async fn get_requests(State(ctx): State<Arc<AppContext>>) -> Json<Vec<AppRequest>> {
    Json(ctx.requests())
}

async fn reset(State(ctx): State<Arc<AppContext>>) -> Json<serde_json::Value> {
    ctx.clear();
    Json(serde_json::json!({ "ok": true }))
}

/// The app's routes plus its `/__sandbox/` endpoints, with every request logged.
pub fn router(ctx: Arc<AppContext>) -> Router {
    let inner = match ctx.app {
        App::Chorus => chorus::router(ctx.clone()),
        App::Casier => casier::router(ctx.clone()),
        App::Controle => controle::router(ctx.clone()),
        App::Actes => actes::router(ctx.clone()),
        App::Cps => cps::router(ctx.clone()),
        App::Referentiel => referentiel::router(ctx.clone()),
        App::Sirh => sirh::router(ctx.clone()),
    };
    let control = Router::new()
        .route("/__sandbox/records", get(get_records))
        .route("/__sandbox/requests", get(get_requests))
        .route("/__sandbox/reset", post(reset))
        .with_state(ctx.clone());
    inner
        .merge(control)
        .layer(middleware::from_fn_with_state(ctx, log_request))
}

/// One app being served.
#[derive(Debug)]
pub struct RunningApp {
    pub addr: SocketAddr,
    pub ctx: Arc<AppContext>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningApp {
    /// Binds 127.0.0.1 on the configured port and serves in a background task.
    pub async fn start(app: App, config: &AppsConfig) -> Result<RunningApp, SandboxError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.ports.get(app)))
            .await
            .map_err(SandboxError::Bind)?;
        let addr = listener.local_addr().map_err(SandboxError::Bind)?;
        let ctx = AppContext::new(app, config.clone());
        let routes = router(ctx.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, routes)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(RunningApp {
            addr,
            ctx,
            stop: Some(tx),
            task: Some(task),
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits (bounded) for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for RunningApp {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
