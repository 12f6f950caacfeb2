//! The health professional directory: `GET /api/professionnels/{rpps}` → JSON or 404, behind
//! an optional bearer token (401 otherwise). Entries are derived from the RPPS number itself, so
//! the RPPS numbers the DS seed generates (`10` + 9 digits) resolve, except about one in ten,
//! which are absent, the case `cps-instruction` must refuse.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use super::AppContext;
use crate::util::mix;

const NOMS: [&str; 8] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
];
const PRENOMS: [&str; 8] = [
    "Camille", "Louis", "Léa", "Hugo", "Chloé", "Jules", "Manon", "Lucas",
];
const PROFESSIONS: [(&str, &str); 5] = [
    ("Médecin", "Médecine générale"),
    ("Médecin", "Cardiologie"),
    ("Pharmacien", "Officine"),
    ("Infirmier", "Soins généraux"),
    ("Chirurgien-dentiste", "Orthodontie"),
];

/// One directory entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Professionnel {
    pub rpps: String,
    pub nom: String,
    pub prenom: String,
    pub profession: String,
    pub specialite: String,
    pub departement: String,
    /// Registration still valid (false for about one in seven).
    pub actif: bool,
}

/// The entry for an RPPS number, if the directory has one: 11 digits starting with `10`, and
/// not in the deterministic "unknown" tenth.
pub fn lookup(rpps: &str) -> Option<Professionnel> {
    if rpps.len() != 11 || !rpps.starts_with("10") || !rpps.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h = mix(rpps.parse::<u64>().ok()?);
    if h.is_multiple_of(10) {
        return None;
    }
    let pick = |shift: u32, n: usize| ((h >> shift) % n as u64) as usize;
    let (profession, specialite) = PROFESSIONS[pick(8, PROFESSIONS.len())];
    Some(Professionnel {
        rpps: rpps.to_owned(),
        nom: NOMS[pick(16, NOMS.len())].to_owned(),
        prenom: PRENOMS[pick(24, PRENOMS.len())].to_owned(),
        profession: profession.to_owned(),
        specialite: specialite.to_owned(),
        departement: format!("{:02}", (h >> 32) % 95 + 1),
        actif: !(h >> 40).is_multiple_of(7),
    })
}

pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new()
        .route("/api/professionnels/{rpps}", get(professionnel))
        .with_state(ctx)
}

async fn professionnel(
    State(ctx): State<Arc<AppContext>>,
    headers: HeaderMap,
    Path(rpps): Path<String>,
) -> Response {
    if let Some(expected) = &ctx.config.referentiel_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        if given != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({ "error": "unauthorized", "message": "Jeton d’accès absent ou invalide." })),
            )
                .into_response();
        }
    }
    match lookup(&rpps) {
        Some(p) => Json(p).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "message": "Aucun professionnel pour ce numéro RPPS." })),
        )
            .into_response(),
    }
}
