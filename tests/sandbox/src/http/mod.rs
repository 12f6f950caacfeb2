//! HTTP routes: the DS endpoint, the object-store routes (direct upload PUT, attachment
//! downloads) and the `/__sandbox/` control endpoints.

pub mod control;
pub mod exports;
pub mod graphql;
pub mod storage;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, header};
use axum::middleware::map_response_with_state;
use axum::response::Response;
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
    let date = map_response_with_state(app.clone(), dated);
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
        .layer(date)
        .with_state(app)
}

/// Dates every answer by the sandbox's clock ([`World::now`]), as DS's front server does, so
/// a clock offset set by fault control shows in `Date` as it would on a real server.
async fn dated(State(app): State<App>, mut response: Response) -> Response {
    let date = app
        .world
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(v) = HeaderValue::from_str(&date) {
        response.headers_mut().insert(header::DATE, v);
    }
    response
}
