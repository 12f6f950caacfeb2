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

pub mod annotations;
pub mod error;
pub mod gql;
pub mod http;
pub mod model;
pub mod ops;
pub mod seed;
pub mod upload;
pub mod util;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use error::SandboxError;
pub use seed::{Scenario, StateMix};
pub use world::{Faults, MutationLogEntry, RequestCount, SandboxConfig, TokenSpec, World};

/// A running sandbox. Dropping it without [`Sandbox::shutdown`] aborts the server task.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    world: Arc<World>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Binds 127.0.0.1 (port from the config, 0 = any) and serves in a background task.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(SandboxError::Bind)?;
        let addr = listener.local_addr().map_err(SandboxError::Bind)?;
        let world = Arc::new(World::new(config));
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
        })
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

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) {
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
