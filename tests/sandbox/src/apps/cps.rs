//! The CPS management tool: a login form (the password is checked against the configured
//! secret, so robots must get it from Pont's secret store), a cookie session, then an
//! instruction screen listing requests (DS dossiers of démarche 106) with a decision form.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde_json::json;

use super::html::{self, Errors, Values};
use super::{AppContext, lock, sha256_hex};
use crate::util::mix;

const COOKIE: &str = "cps_session";
/// Bound of open sessions; beyond it all are dropped (users log in again).
const MAX_SESSIONS: usize = 10_000;
/// Bound of listed requests whatever the configuration says.
const MAX_DEMANDES: usize = 1_000;
const NOMS: [&str; 6] = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit"];
const DECISIONS: [(&str, &str); 3] = [
    ("accepter", "Accepter"),
    ("refuser", "Refuser"),
    ("completer", "Demander un complément"),
];

#[derive(Debug)]
struct Cps {
    ctx: Arc<AppContext>,
    /// Session token → username.
    sessions: Mutex<HashMap<String, String>>,
    /// Dossier number → last decision.
    decisions: Mutex<HashMap<i64, String>>,
}

type St = Arc<Cps>;

pub fn router(ctx: Arc<AppContext>) -> Router {
    let st = Arc::new(Cps {
        ctx,
        sessions: Mutex::new(HashMap::new()),
        decisions: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(|| async { Redirect::to("/connexion") }))
        .route("/connexion", get(login_form).post(login))
        .route("/deconnexion", post(logout))
        .route("/instruction", get(list))
        .route("/instruction/{dossier}", get(detail))
        .route("/instruction/{dossier}/decision", post(decide))
        .with_state(st)
}

/// The requests: dossier `10600001..`, an applicant name and an RPPS number, all derived from
/// the dossier number so they never change between runs.
fn demandes(st: &Cps) -> impl Iterator<Item = (i64, String, String)> {
    let n = st.ctx.config.cps_demandes.min(MAX_DEMANDES);
    (1..=n as i64).map(|i| {
        let dossier = 106 * 100_000 + i;
        let h = mix(dossier as u64);
        let nom = NOMS[(h % NOMS.len() as u64) as usize].to_owned();
        (dossier, nom, format!("10{:09}", h % 1_000_000_000))
    })
}

fn session_user(st: &Cps, headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let token = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())?;
    lock(&st.sessions).get(&token).cloned()
}

fn login_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-connexion\" method=\"post\" action=\"/connexion\">{u}{p}{b}</form>",
        sum = e.summary(),
        u = html::input("identifiant", "Identifiant", "text", v, e),
        p = html::input("mot_de_passe", "Mot de passe", "password", v, e),
        b = html::button("connexion-valider", "Se connecter"),
    );
    html::page("Gestion CPS", "Connexion", &body)
}

async fn login_form() -> Html<String> {
    Html(login_page(&Values::new(), &Errors::default()))
}

async fn login(State(st): State<St>, Form(v): Form<Values>) -> Response {
    let mut e = Errors::default();
    let user = html::required(&v, "identifiant", &mut e);
    let password = v.get("mot_de_passe").map(String::as_str).unwrap_or("");
    let Some(user) = user else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, login_page(&v, &e));
    };
    if password != st.ctx.config.cps_password {
        let body = "<p id=\"erreur-connexion\" class=\"erreur\" role=\"alert\">Identifiant ou mot de passe incorrect.</p>\
                    <p><a id=\"lien-reessayer\" href=\"/connexion\">Réessayer</a></p>";
        return html::respond(
            StatusCode::UNAUTHORIZED,
            html::page("Gestion CPS", "Échec de la connexion", body),
        );
    }
    let n = st.ctx.next_number();
    let token = sha256_hex(format!("{n}:{user}:{:?}", std::time::SystemTime::now()).as_bytes());
    {
        let mut s = lock(&st.sessions);
        if s.len() >= MAX_SESSIONS {
            s.clear();
        }
        s.insert(token.clone(), user);
    }
    let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/instruction")).into_response()
}

async fn logout(State(st): State<St>, headers: HeaderMap) -> Response {
    if let Some(token) = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| {
            c.split(';')
                .find_map(|p| p.trim().strip_prefix("cps_session="))
        })
    {
        lock(&st.sessions).remove(token);
    }
    let cookie = format!("{COOKIE}=; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/connexion")).into_response()
}

fn status_label(st: &Cps, dossier: i64) -> String {
    match lock(&st.decisions).get(&dossier).map(String::as_str) {
        Some("accepter") => "Acceptée".into(),
        Some("refuser") => "Refusée".into(),
        Some("completer") => "Complément demandé".into(),
        _ => "À instruire".into(),
    }
}

async fn list(State(st): State<St>, headers: HeaderMap) -> Response {
    let Some(user) = session_user(&st, &headers) else {
        return Redirect::to("/connexion").into_response();
    };
    let rows: String = demandes(&st)
        .map(|(d, nom, rpps)| {
            format!(
                "<tr id=\"demande-{d}\"><td class=\"dossier\">{d}</td><td class=\"nom\">{n}</td><td class=\"rpps\">{rpps}</td>\
                 <td class=\"statut\">{s}</td><td><a id=\"instruire-{d}\" data-testid=\"instruire-{d}\" href=\"/instruction/{d}\">Instruire</a></td></tr>",
                n = html::esc(&nom),
                s = html::esc(&status_label(&st, d)),
            )
        })
        .collect();
    let table = format!(
        "<table id=\"demandes\"><thead><tr><th>Dossier</th><th>Nom</th><th>RPPS</th><th>Statut</th><th></th></tr></thead><tbody>{rows}</tbody></table>"
    );
    let body = format!(
        "<p id=\"utilisateur\">Connecté : {u}</p><form method=\"post\" action=\"/deconnexion\">{b}</form>{t}",
        u = html::esc(&user),
        b = html::button("deconnexion", "Se déconnecter"),
        t = html::delayed("liste-demandes", st.ctx.config.reveal_delay_ms, &table),
    );
    Html(html::page("Gestion CPS", "Demandes à instruire", &body)).into_response()
}

fn detail_page(st: &Cps, dossier: i64, v: &Values, e: &Errors) -> Option<String> {
    let (d, nom, rpps) = demandes(st).find(|(d, _, _)| *d == dossier)?;
    let body = format!(
        "<dl id=\"demande\"><dt>Dossier</dt><dd id=\"demande-dossier\">{d}</dd><dt>Nom</dt><dd id=\"demande-nom\">{n}</dd>\
         <dt>RPPS</dt><dd id=\"demande-rpps\">{rpps}</dd><dt>Statut</dt><dd id=\"demande-statut\">{s}</dd></dl>\
         {sum}<form id=\"form-decision\" method=\"post\" action=\"/instruction/{d}/decision\">{dec}{c}{b}</form>\
         <p><a id=\"lien-liste\" href=\"/instruction\">Retour à la liste</a></p>",
        n = html::esc(&nom),
        s = html::esc(&status_label(st, d)),
        sum = e.summary(),
        dec = html::select("decision", "Décision", &DECISIONS, v, e),
        c = html::textarea("commentaire", "Commentaire", v, e),
        b = html::button("decision-enregistrer", "Enregistrer la décision"),
    );
    Some(html::page("Gestion CPS", &format!("Demande {d}"), &body))
}

fn not_found() -> Response {
    html::respond(
        StatusCode::NOT_FOUND,
        html::page(
            "Gestion CPS",
            "Demande introuvable",
            "<p id=\"introuvable\">Demande introuvable.</p>",
        ),
    )
}

async fn detail(State(st): State<St>, headers: HeaderMap, Path(dossier): Path<String>) -> Response {
    if session_user(&st, &headers).is_none() {
        return Redirect::to("/connexion").into_response();
    }
    let page = dossier
        .parse()
        .ok()
        .and_then(|d| detail_page(&st, d, &Values::new(), &Errors::default()));
    match page {
        Some(p) => Html(p).into_response(),
        None => not_found(),
    }
}

async fn decide(
    State(st): State<St>,
    headers: HeaderMap,
    Path(dossier): Path<String>,
    Form(v): Form<Values>,
) -> Response {
    let Some(user) = session_user(&st, &headers) else {
        return Redirect::to("/connexion").into_response();
    };
    let Some(dossier) = dossier
        .parse::<i64>()
        .ok()
        .filter(|d| demandes(&st).any(|(x, _, _)| x == *d))
    else {
        return not_found();
    };
    let mut e = Errors::default();
    let decision = html::one_of(
        &v,
        "decision",
        &["accepter", "refuser", "completer"],
        &mut e,
    );
    let commentaire = html::required(&v, "commentaire", &mut e);
    let (Some(decision), Some(commentaire)) = (decision, commentaire) else {
        let page = detail_page(&st, dossier, &v, &e).unwrap_or_default();
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, page);
    };
    st.ctx.record(
        "decision",
        json!({ "dossier": dossier, "decision": decision, "commentaire": commentaire, "utilisateur": user }),
    );
    lock(&st.decisions).insert(dossier, decision);
    let body = format!(
        "<p id=\"decision-confirmation\" role=\"status\">Décision enregistrée pour la demande {dossier} : {s}.</p>\
         <p><a id=\"lien-liste\" href=\"/instruction\">Retour à la liste</a></p>",
        s = html::esc(&status_label(&st, dossier)),
    );
    html::respond(
        StatusCode::OK,
        html::page("Gestion CPS", "Décision enregistrée", &body),
    )
}
