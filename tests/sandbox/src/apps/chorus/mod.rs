//! Chorus: the subsidy form (`/subvention`, two steps then a confirmation with a Chorus
//! reference) and the payment form (`/paiement`, multipart with attachments, then a PDF payment
//! certificate to download). Robots `chorus-subvention` and `chorus-paiement` drive it.

pub mod paiement;
pub mod subvention;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::Html;
use axum::routing::get;

use super::{AppContext, MAX_FORM, html};

/// Bound of pending drafts and stored certificates; beyond it the oldest half-filled drafts
/// are dropped (a user coming back gets "session expirée", as on the real site).
const MAX_PENDING: usize = 10_000;

/// Step 1 of a subsidy, kept server-side between the two steps.
#[derive(Debug, Clone)]
pub struct Draft {
    pub seq: u64,
    pub dispositif: String,
    pub siret: String,
    pub raison_sociale: String,
    pub reference_ds: String,
}

#[derive(Debug)]
pub struct Chorus {
    pub ctx: Arc<AppContext>,
    pub drafts: Mutex<HashMap<String, Draft>>,
    /// Payment certificates by payment reference.
    pub certificates: Mutex<HashMap<String, Vec<u8>>>,
}

pub type St = Arc<Chorus>;

pub fn router(ctx: Arc<AppContext>) -> Router {
    let st = Arc::new(Chorus {
        ctx,
        drafts: Mutex::new(HashMap::new()),
        certificates: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(index))
        .route(
            "/subvention",
            get(subvention::step1_form).post(subvention::step1_submit),
        )
        .route(
            "/subvention/montants",
            axum::routing::post(subvention::step2_submit),
        )
        .route(
            "/paiement",
            get(paiement::form)
                .post(paiement::submit)
                .layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route(
            "/paiement/{reference}/attestation.pdf",
            get(paiement::certificate),
        )
        .with_state(st)
}

async fn index() -> Html<String> {
    Html(html::page(
        "Chorus",
        "Accueil",
        "<ul><li><a id=\"lien-subvention\" data-testid=\"lien-subvention\" href=\"/subvention\">Saisir une subvention</a></li>\
         <li><a id=\"lien-paiement\" data-testid=\"lien-paiement\" href=\"/paiement\">Demander un paiement</a></li></ul>",
    ))
}
