//! Casier judiciaire: a request form (identity, birth, nationality, reason) that returns a
//! request number. Robot `vtc-carte-pro` re-enters DS dossiers here.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use serde_json::json;

use super::AppContext;
use super::html::{self, Errors, Values};

pub const MOTIFS: [(&str, &str); 3] = [
    ("carte_vtc", "Délivrance de la carte professionnelle VTC"),
    ("emploi", "Recrutement"),
    ("autre", "Autre motif"),
];

pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/demande") }))
        .route("/demande", get(form).post(submit))
        .with_state(ctx)
}

fn form_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-demande\" method=\"post\" action=\"/demande\">{n}{p}{d}{l}{na}{m}{b}</form>",
        sum = e.summary(),
        n = html::input("nom", "Nom de naissance", "text", v, e),
        p = html::input("prenoms", "Prénoms", "text", v, e),
        d = html::input("date_naissance", "Date de naissance", "date", v, e),
        l = html::input("lieu_naissance", "Lieu de naissance", "text", v, e),
        na = html::input("nationalite", "Nationalité", "text", v, e),
        m = html::select("motif", "Motif de la demande", &MOTIFS, v, e),
        b = html::button("demande-envoyer", "Envoyer la demande"),
    );
    html::page(
        "Casier judiciaire",
        "Demande d’extrait de casier judiciaire",
        &body,
    )
}

async fn form() -> Html<String> {
    Html(form_page(&Values::new(), &Errors::default()))
}

async fn submit(State(ctx): State<Arc<AppContext>>, Form(v): Form<Values>) -> Response {
    let mut e = Errors::default();
    let nom = html::required(&v, "nom", &mut e);
    let prenoms = html::required(&v, "prenoms", &mut e);
    let date = html::date(&v, "date_naissance", &mut e);
    if let Some(d) = date
        && d >= Utc::now().date_naive()
    {
        e.add(
            "date_naissance",
            "La date de naissance doit être dans le passé.",
        );
    }
    let lieu = html::required(&v, "lieu_naissance", &mut e);
    let nationalite = html::required(&v, "nationalite", &mut e);
    let allowed: Vec<&str> = MOTIFS.iter().map(|(k, _)| *k).collect();
    let motif = html::one_of(&v, "motif", &allowed, &mut e);
    let (Some(nom), Some(prenoms), Some(date), Some(lieu), Some(nationalite), Some(motif)) =
        (nom, prenoms, date, lieu, nationalite, motif)
    else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    if !e.is_empty() {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    }
    let numero = format!("CJ-{:06}", ctx.next_number());
    ctx.record(
        "demande",
        json!({
            "numero_demande": numero, "nom": nom, "prenoms": prenoms,
            "date_naissance": date.format("%Y-%m-%d").to_string(), "lieu_naissance": lieu,
            "nationalite": nationalite, "motif": motif,
        }),
    );
    let inner = format!(
        "<p>Votre demande a été enregistrée sous le numéro <strong id=\"numero-demande\" data-testid=\"numero-demande\">{}</strong>.</p>",
        html::esc(&numero)
    );
    let body = html::delayed("confirmation", ctx.config.reveal_delay_ms, &inner);
    html::respond(
        StatusCode::OK,
        html::page("Casier judiciaire", "Demande enregistrée", &body),
    )
}
