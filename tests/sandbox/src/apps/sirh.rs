//! The agents' HR tool (SIRH) of a préfecture: a form that registers an agent (matricule,
//! identity, entry date, service, région, full time) and returns a file number. Robot
//! `coherence-agents` enters here the declarations it found consistent.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde_json::json;

use super::AppContext;
use super::html::{self, Errors, Values};

const TEMPS: [(&str, &str); 2] = [("oui", "Temps complet"), ("non", "Temps partiel")];

pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/agents/nouveau") }))
        .route("/agents/nouveau", get(form).post(submit))
        .with_state(ctx)
}

fn form_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-agent\" method=\"post\" action=\"/agents/nouveau\">{m}{n}{p}{c}{d}{s}{r}{t}{b}</form>",
        sum = e.summary(),
        m = html::input("matricule", "Matricule", "text", v, e),
        n = html::input("nom", "Nom", "text", v, e),
        p = html::input("prenom", "Prénom", "text", v, e),
        c = html::input("courriel", "Courriel", "email", v, e),
        d = html::input("date_entree", "Date d’entrée", "date", v, e),
        s = html::input("service", "Service d’affectation", "text", v, e),
        r = html::input("region", "Région", "text", v, e),
        t = html::select("temps_complet", "Quotité", &TEMPS, v, e),
        b = html::button("agent-enregistrer", "Enregistrer l’agent"),
    );
    html::page("SIRH", "Nouvel agent", &body)
}

async fn form() -> Html<String> {
    Html(form_page(&Values::new(), &Errors::default()))
}

/// A matricule: 1 to 9 digits.
fn matricule(v: &Values, e: &mut Errors) -> Option<String> {
    let m = html::required(v, "matricule", e)?;
    if m.len() > 9 || !m.bytes().all(|b| b.is_ascii_digit()) {
        e.add(
            "matricule",
            "Le matricule doit comporter de 1 à 9 chiffres.",
        );
        return None;
    }
    Some(m)
}

async fn submit(State(ctx): State<Arc<AppContext>>, Form(v): Form<Values>) -> Response {
    let mut e = Errors::default();
    let m = matricule(&v, &mut e);
    let nom = html::required(&v, "nom", &mut e);
    let prenom = html::required(&v, "prenom", &mut e);
    let courriel = html::required(&v, "courriel", &mut e);
    let date = html::date(&v, "date_entree", &mut e);
    let service = html::required(&v, "service", &mut e);
    let region = html::required(&v, "region", &mut e);
    let temps = html::one_of(&v, "temps_complet", &["oui", "non"], &mut e);
    let (Some(m), Some(nom), Some(prenom), Some(courriel), Some(date)) =
        (m, nom, prenom, courriel, date)
    else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    let (Some(service), Some(region), Some(temps)) = (service, region, temps) else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    let numero = format!("AG-{:06}", ctx.next_number());
    ctx.record(
        "agent",
        json!({
            "numero_agent": numero, "matricule": m, "nom": nom, "prenom": prenom,
            "courriel": courriel, "date_entree": date.format("%Y-%m-%d").to_string(),
            "service": service, "region": region, "temps_complet": temps == "oui",
        }),
    );
    let inner = format!(
        "<p>Agent enregistré sous le numéro <strong id=\"numero-agent\" data-testid=\"numero-agent\">{}</strong>.</p>",
        html::esc(&numero)
    );
    let body = html::delayed("confirmation", ctx.config.reveal_delay_ms, &inner);
    html::respond(
        StatusCode::OK,
        html::page("SIRH", "Agent enregistré", &body),
    )
}
