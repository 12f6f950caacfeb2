//! HTTP routes: the DS endpoint, the object-store routes (direct upload PUT, attachment
//! downloads) and the `/__sandbox/` control endpoints.

pub mod control;
pub mod exports;
pub mod graphql;
pub mod storage;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::gql::{self, DsSchema};
use crate::world::World;

/// Shared state of every handler.
#[derive(Clone)]
pub struct App {
    pub world: Arc<World>,
    pub schema: DsSchema,
}

/// Largest upload accepted by the object store (DS caps attachments at 200 MB).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// All routes of the sandbox.
pub fn router(world: Arc<World>) -> Router {
    let app = App {
        world,
        schema: gql::schema(),
    };
    Router::new()
        .route(
            "/api/v2/graphql",
            post(graphql::handle).layer(DefaultBodyLimit::max(8 * 1024 * 1024)),
        )
        .route(
            "/storage/upload/{token}",
            put(storage::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route("/storage/blobs/{token}/{filename}", get(storage::download))
        .route("/api/v2/dossiers/pdf/{id}", get(exports::pdf))
        .route("/api/v2/dossiers/geojson/{id}", get(exports::geojson))
        .merge(control::routes())
        .with_state(app)
}
