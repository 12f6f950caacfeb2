//! @ctes: deposit a file with a category (the @ctes nomenclature's first level) and an object,
//! then an archive view listing deposits with their sizes and SHA-256. Robot `pj-actes` sorts
//! DS attachments into it; the hashes let a test check every file arrived intact.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, Response};
use axum::routing::get;
use serde_json::json;

use super::html::{self, Errors, Values};
use super::{AppContext, MAX_FORM, Upload, lock, read_multipart};

/// Deposits kept for the archive view (the record keeps its own bounded copy).
const MAX_DEPOSITS: usize = 100_000;

pub const CATEGORIES: [(&str, &str); 9] = [
    ("1", "1 — Commande publique"),
    ("2", "2 — Urbanisme"),
    ("3", "3 — Domaine et patrimoine"),
    ("4", "4 — Fonction publique"),
    ("5", "5 — Institutions et vie politique"),
    ("6", "6 — Libertés publiques et pouvoirs de police"),
    ("7", "7 — Finances locales"),
    ("8", "8 — Domaines de compétences par thèmes"),
    ("9", "9 — Autres domaines de compétences"),
];

#[derive(Debug, Clone)]
struct Deposit {
    numero: String,
    categorie: String,
    objet: String,
    filename: String,
    size: usize,
    sha256: String,
}

#[derive(Debug)]
struct Actes {
    ctx: Arc<AppContext>,
    deposits: Mutex<Vec<Deposit>>,
}

type St = Arc<Actes>;

pub fn router(ctx: Arc<AppContext>) -> Router {
    let st = Arc::new(Actes {
        ctx,
        deposits: Mutex::new(Vec::new()),
    });
    Router::new()
        .route("/", get(index))
        .route(
            "/depot",
            get(form)
                .post(submit)
                .layer(DefaultBodyLimit::max(MAX_FORM)),
        )
        .route("/archive", get(archive))
        .with_state(st)
}

async fn index() -> Html<String> {
    Html(html::page(
        "@ctes",
        "Accueil",
        "<ul><li><a id=\"lien-depot\" data-testid=\"lien-depot\" href=\"/depot\">Déposer un acte</a></li>\
         <li><a id=\"lien-archive\" data-testid=\"lien-archive\" href=\"/archive\">Archive des dépôts</a></li></ul>",
    ))
}

fn form_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-depot\" method=\"post\" action=\"/depot\" enctype=\"multipart/form-data\">{f}{c}{o}{b}</form>",
        sum = e.summary(),
        f = html::file("fichier", "Fichier de l’acte", false, e),
        c = html::select("categorie", "Catégorie", &CATEGORIES, v, e),
        o = html::input("objet", "Objet", "text", v, e),
        b = html::button("depot-envoyer", "Déposer"),
    );
    html::page("@ctes", "Dépôt d’un acte", &body)
}

async fn form() -> Html<String> {
    Html(form_page(&Values::new(), &Errors::default()))
}

async fn submit(State(st): State<St>, mp: Multipart) -> Response {
    let (v, files) = match read_multipart(mp).await {
        Ok(x) => x,
        Err(msg) => {
            let mut e = Errors::default();
            e.add("fichier", msg);
            return html::respond(StatusCode::BAD_REQUEST, form_page(&Values::new(), &e));
        }
    };
    let mut e = Errors::default();
    let allowed: Vec<&str> = CATEGORIES.iter().map(|(k, _)| *k).collect();
    let categorie = html::one_of(&v, "categorie", &allowed, &mut e);
    let objet = html::required(&v, "objet", &mut e);
    let fichiers: Vec<&Upload> = files.iter().filter(|f| f.field == "fichier").collect();
    let fichier = match fichiers.as_slice() {
        [] => {
            e.add("fichier", "Veuillez joindre un fichier.");
            None
        }
        [f] if f.bytes.is_empty() => {
            e.add("fichier", "Le fichier est vide.");
            None
        }
        [f] => Some(*f),
        _ => {
            e.add("fichier", "Un seul fichier par dépôt.");
            None
        }
    };
    let (Some(categorie), Some(objet), Some(fichier)) = (categorie, objet, fichier) else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    let numero = format!("ACT-{:06}", st.ctx.next_number());
    let dep = Deposit {
        numero: numero.clone(),
        categorie: categorie.clone(),
        objet: objet.clone(),
        filename: fichier.filename.clone(),
        size: fichier.bytes.len(),
        sha256: fichier.sha256(),
    };
    st.ctx.record(
        "depot",
        json!({ "numero": numero, "categorie": categorie, "objet": objet, "fichier": fichier.describe() }),
    );
    {
        let mut deps = lock(&st.deposits);
        if deps.len() >= MAX_DEPOSITS {
            deps.remove(0);
        }
        deps.push(dep);
    }
    let body = format!(
        "<p id=\"depot-confirmation\">Acte déposé sous le numéro <strong id=\"numero-depot\" data-testid=\"numero-depot\">{n}</strong>.</p>\
         <p><a id=\"lien-archive\" href=\"/archive\">Voir l’archive</a> · <a id=\"lien-nouveau-depot\" href=\"/depot\">Nouveau dépôt</a></p>",
        n = html::esc(&numero)
    );
    html::respond(
        StatusCode::OK,
        html::page("@ctes", "Dépôt enregistré", &body),
    )
}

async fn archive(State(st): State<St>) -> Html<String> {
    let rows: String = lock(&st.deposits)
        .iter()
        .map(|d| {
            format!(
                "<tr id=\"depot-{n}\"><td class=\"numero\">{n}</td><td class=\"categorie\">{c}</td><td class=\"objet\">{o}</td>\
                 <td class=\"fichier\">{f}</td><td class=\"taille\">{s}</td><td class=\"sha256\">{h}</td></tr>",
                n = html::esc(&d.numero),
                c = html::esc(&d.categorie),
                o = html::esc(&d.objet),
                f = html::esc(&d.filename),
                s = d.size,
                h = html::esc(&d.sha256),
            )
        })
        .collect();
    let table = format!(
        "<table id=\"archive\"><thead><tr><th>Numéro</th><th>Catégorie</th><th>Objet</th><th>Fichier</th>\
         <th>Taille (octets)</th><th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table>"
    );
    let body = html::delayed("archive-chargee", st.ctx.config.reveal_delay_ms, &table);
    Html(html::page("@ctes", "Archive des dépôts", &body))
}
