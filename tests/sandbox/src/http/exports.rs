//! `GET /api/v2/dossiers/pdf/{id}` and `GET /api/v2/dossiers/geojson/{id}`: the links
//! `Dossier.pdf` and `Dossier.geojson` hand out (see `crate::exports`).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::App;
use crate::exports::{self, ExportKind};

fn serve(app: &App, kind: ExportKind, token: &str) -> Response {
    let Some(d) = app.world.export_for_token(kind, token) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let title = {
        let st = app.world.lock();
        st.demarches
            .get(&d.demarche)
            .map(|x| x.title.clone())
            .unwrap_or_default()
    };
    let (body, ct, name) = match kind {
        ExportKind::Pdf => (
            exports::pdf(&d, &title),
            "application/pdf",
            format!("dossier-{}.pdf", d.number),
        ),
        ExportKind::GeoJson => (
            exports::geojson(&d),
            "application/json",
            format!("dossier-{}-features.json", d.number),
        ),
    };
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, ct.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

pub async fn pdf(State(app): State<App>, Path(token): Path<String>) -> Response {
    serve(&app, ExportKind::Pdf, &token)
}

pub async fn geojson(State(app): State<App>, Path(token): Path<String>) -> Response {
    serve(&app, ExportKind::GeoJson, &token)
}
