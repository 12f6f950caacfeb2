//! Contrôle du droit à conduire: a request (permit number, name, date of birth) is answered
//! only after an external processing delay (`controle_delay_ms`). Until then its page says
//! "en cours"; robots poll `/controle/{numero}`. A permit number ending in `9` comes back
//! "suspendu", any other "valide", so tests can reach both outcomes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde_json::json;

use super::html::{self, Errors, Values};
use super::{AppContext, lock};

/// Bound of pending and answered requests kept for polling.
const MAX_REQUESTS: usize = 100_000;

#[derive(Debug, Clone)]
struct Pending {
    submitted: Instant,
    numero_permis: String,
    nom: String,
}

#[derive(Debug)]
struct Controle {
    ctx: Arc<AppContext>,
    requests: Mutex<HashMap<String, Pending>>,
}

type St = Arc<Controle>;

pub fn router(ctx: Arc<AppContext>) -> Router {
    let st = Arc::new(Controle {
        ctx,
        requests: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(|| async { Redirect::to("/controle") }))
        .route("/controle", get(form).post(submit))
        .route("/controle/{numero}", get(status))
        .with_state(st)
}

fn form_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-controle\" method=\"post\" action=\"/controle\">{p}{n}{d}{b}</form>",
        sum = e.summary(),
        p = html::input(
            "numero_permis",
            "Numéro de permis de conduire",
            "text",
            v,
            e
        ),
        n = html::input("nom", "Nom", "text", v, e),
        d = html::input("date_naissance", "Date de naissance", "date", v, e),
        b = html::button("controle-envoyer", "Lancer le contrôle"),
    );
    html::page(
        "Contrôle du droit à conduire",
        "Nouvelle demande de contrôle",
        &body,
    )
}

async fn form() -> Html<String> {
    Html(form_page(&Values::new(), &Errors::default()))
}

fn pending_page(numero: &str) -> String {
    let n = html::esc(numero);
    let body = format!(
        "<p>Demande <strong id=\"numero-demande\" data-testid=\"numero-demande\">{n}</strong> : \
         <span id=\"statut\" data-statut=\"en_cours\">en cours</span>.</p>\
         <p>Le résultat sera disponible ultérieurement. <a id=\"lien-actualiser\" data-testid=\"actualiser\" href=\"/controle/{n}\">Actualiser</a></p>"
    );
    html::page("Contrôle du droit à conduire", "Contrôle en cours", &body)
}

async fn submit(State(st): State<St>, Form(v): Form<Values>) -> Response {
    let mut e = Errors::default();
    let permis = html::digits(&v, "numero_permis", 12, "Le numéro de permis", &mut e);
    let nom = html::required(&v, "nom", &mut e);
    let date = html::date(&v, "date_naissance", &mut e);
    let (Some(numero_permis), Some(nom), Some(date)) = (permis, nom, date) else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    let numero = format!("DAC-{:06}", st.ctx.next_number());
    st.ctx.record(
        "controle",
        json!({ "numero_demande": numero, "numero_permis": numero_permis, "nom": nom,
                "date_naissance": date.format("%Y-%m-%d").to_string() }),
    );
    {
        let mut reqs = lock(&st.requests);
        if reqs.len() >= MAX_REQUESTS {
            reqs.clear();
        }
        reqs.insert(
            numero.clone(),
            Pending {
                submitted: Instant::now(),
                numero_permis,
                nom,
            },
        );
    }
    html::respond(StatusCode::ACCEPTED, pending_page(&numero))
}

async fn status(State(st): State<St>, Path(numero): Path<String>) -> Response {
    let Some(p) = lock(&st.requests).get(&numero).cloned() else {
        return html::respond(
            StatusCode::NOT_FOUND,
            html::page(
                "Contrôle du droit à conduire",
                "Demande introuvable",
                "<p id=\"introuvable\">Demande introuvable.</p>",
            ),
        );
    };
    if p.submitted.elapsed() < Duration::from_millis(st.ctx.config.controle_delay_ms) {
        return html::respond(StatusCode::ACCEPTED, pending_page(&numero));
    }
    let (code, label) = if p.numero_permis.ends_with('9') {
        ("suspendu", "Droit à conduire suspendu")
    } else {
        ("valide", "Droit à conduire valide")
    };
    let body = format!(
        "<p>Demande <strong id=\"numero-demande\">{n}</strong> : <span id=\"statut\" data-statut=\"termine\">terminée</span>.</p>\
         <dl id=\"resultat-controle\"><dt>Titulaire</dt><dd id=\"resultat-nom\">{nom}</dd><dt>Permis</dt><dd id=\"resultat-permis\">{pe}</dd>\
         <dt>Résultat</dt><dd id=\"resultat\" data-resultat=\"{code}\">{label}</dd></dl>",
        n = html::esc(&numero),
        nom = html::esc(&p.nom),
        pe = html::esc(&p.numero_permis),
    );
    html::respond(
        StatusCode::OK,
        html::page(
            "Contrôle du droit à conduire",
            "Résultat du contrôle",
            &body,
        ),
    )
}
