//! `pont-sandbox`: a Démarches Simplifiées simulator on loopback, the world Pont's tests and
//! demo run in. See README.md for routes, tokens and control endpoints.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pont_sandbox::SandboxError> {
//! let sb = pont_sandbox::Sandbox::start(pont_sandbox::SandboxConfig::default()).await?;
//! println!("{}", sb.ds_url());
//! sb.shutdown().await;
//! # Ok(()) }
//! ```

pub mod annotation_rules;
pub mod annotations;
pub mod applicant;
pub mod apps;
pub mod attachments;
pub mod error;
pub mod exports;
pub mod fidelity;
pub mod gql;
pub mod guards;
pub mod http;
pub mod model;
pub mod ops;
pub mod ops_admin;
pub mod ops_dossier;
pub mod received;
pub mod scan;
pub mod seed;
pub mod upload;
pub mod util;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use applicant::{
    ApplicantEdit, ApplicantError, ApplicantOutcome, ChampEdit, ChampRef, ChampValue,
};
pub use apps::{App, AppPorts, AppRecord, AppRequest, AppsConfig};
pub use attachments::AttachmentSpec;
pub use error::SandboxError;
pub use model::FileLie;
pub use seed::{Scenario, StateMix};
pub use world::{
    CursorFault, Faults, MutationLogEntry, RequestCount, SandboxConfig, TokenSpec, World,
};

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] aborts the server task.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    world: Arc<World>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The third-party apps, each on its own port, in [`App::ALL`] order.
    apps: Vec<apps::RunningApp>,
}

impl Sandbox {
    /// Binds 127.0.0.1 (port from the config, 0 = any) and serves in a background task; then
    /// starts each third-party app on its own port.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let mut running = Vec::with_capacity(App::ALL.len());
        for app in App::ALL {
            running.push(apps::RunningApp::start(app, &config.apps).await?);
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(SandboxError::Bind)?;
        let addr = listener.local_addr().map_err(SandboxError::Bind)?;
        let world = Arc::new(World::try_new(config)?);
        let _ = world.base_url.set(format!("http://{addr}"));
        let app = http::router(world.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Sandbox {
            addr,
            world,
            stop: Some(tx),
            task: Some(task),
            apps: running,
        })
    }

    /// A sandbox whose `demarche` holds `dossiers` in `state`, generated from
    /// `seed` (the other démarches empty), with DS's rate limit out of the
    /// way: the world most host tests start from.
    pub async fn seeded(
        demarche: i64,
        dossiers: usize,
        seed: u64,
        state: model::State,
    ) -> Result<Sandbox, SandboxError> {
        let sb = Sandbox::start(SandboxConfig {
            dossiers_per_demarche: 0,
            rate_limit: 1_000_000,
            ..SandboxConfig::default()
        })
        .await?;
        sb.world().seed_scenario(&Scenario {
            demarche,
            dossiers,
            seed,
            states: StateMix::only(state),
            deleted: 0,
            pending_deleted: 0,
        })?;
        Ok(sb)
    }

    /// `http://127.0.0.1:PORT/api/v2/graphql`.
    pub fn ds_url(&self) -> String {
        format!("http://{}/api/v2/graphql", self.addr)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The world, for control from Rust tests (same operations as `/__sandbox/`).
    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// Acts as the usager of dossier `number` (same as `POST /__sandbox/dossiers/{number}/applicant`):
    /// edits champs, answers the pending correction or sends a message, moving DS's dates.
    pub fn applicant_edit(
        &self,
        number: i64,
        edit: ApplicantEdit,
    ) -> Result<ApplicantOutcome, ApplicantError> {
        self.world.applicant_edit(number, edit)
    }

    fn running(&self, app: App) -> Option<&apps::RunningApp> {
        self.apps.iter().find(|r| r.ctx.app == app)
    }

    /// `http://127.0.0.1:PORT` of a third-party app (its own origin).
    pub fn app_url(&self, app: App) -> String {
        self.running(app).map(|r| r.url()).unwrap_or_default()
    }

    /// What the app accepted so far (same as its `GET /__sandbox/records`).
    pub fn app_records(&self, app: App) -> Vec<AppRecord> {
        self.running(app)
            .map(|r| r.ctx.records())
            .unwrap_or_default()
    }

    /// The requests the app received (same as its `GET /__sandbox/requests`).
    pub fn app_requests(&self, app: App) -> Vec<AppRequest> {
        self.running(app)
            .map(|r| r.ctx.requests())
            .unwrap_or_default()
    }

    /// Stops accepting connections and waits for the server tasks.
    pub async fn shutdown(mut self) {
        for a in std::mem::take(&mut self.apps) {
            a.shutdown().await;
        }
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), t).await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}
