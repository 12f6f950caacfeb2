//! The two-step subsidy form. Step 1 (identity) is validated and kept server-side under a draft
//! id carried by a hidden field; step 2 (amounts) completes it. Only a completed, valid subsidy
//! is recorded, so a robot that stops between the steps leaves no trace in the record.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, Response};
use serde_json::json;

use super::{Draft, MAX_PENDING, St};
use crate::apps::html::{self, Errors, Values};
use crate::apps::{lock, sha256_hex};

pub const DISPOSITIFS: [(&str, &str); 4] = [
    (
        "DETN",
        "DETN — Dotation d’équipement des territoires ruraux",
    ),
    ("CATNAT", "CATNAT — Catastrophes naturelles"),
    ("TDIL", "TDIL — Travaux divers d’intérêt local"),
    (
        "FNADT",
        "FNADT — Fonds national d’aménagement et de développement du territoire",
    ),
];

fn step1_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "<p id=\"etape\">Étape 1 sur 2 : identification du bénéficiaire</p>{sum}\
         <form id=\"form-subvention-etape1\" method=\"post\" action=\"/subvention\">{d}{s}{r}{ds}{b}</form>",
        sum = e.summary(),
        d = html::select("dispositif", "Dispositif", &DISPOSITIFS, v, e),
        s = html::input("siret", "SIRET du bénéficiaire", "text", v, e),
        r = html::input("raison_sociale", "Raison sociale", "text", v, e),
        ds = html::input("reference_ds", "Référence du dossier DS", "text", v, e),
        b = html::button("etape1-suivant", "Suivant"),
    );
    html::page("Chorus", "Saisie d’une subvention", &body)
}

fn step2_page(id: &str, d: &Draft, v: &Values, e: &Errors) -> String {
    let body = format!(
        "<p id=\"etape\">Étape 2 sur 2 : montants</p>\
         <dl id=\"recapitulatif\"><dt>Dispositif</dt><dd id=\"recap-dispositif\">{dp}</dd>\
         <dt>SIRET</dt><dd id=\"recap-siret\">{si}</dd><dt>Raison sociale</dt><dd id=\"recap-raison-sociale\">{rs}</dd></dl>\
         {sum}<form id=\"form-subvention-etape2\" method=\"post\" action=\"/subvention/montants\">{h}{m}{dt}{o}{b}</form>",
        dp = html::esc(&d.dispositif),
        si = html::esc(&d.siret),
        rs = html::esc(&d.raison_sociale),
        sum = e.summary(),
        h = html::hidden("brouillon", id),
        m = html::input("montant", "Montant accordé (€)", "text", v, e),
        dt = html::input("date_decision", "Date de la décision", "date", v, e),
        o = html::textarea("objet", "Objet de la subvention", v, e),
        b = html::button("etape2-valider", "Valider"),
    );
    html::page("Chorus", "Saisie d’une subvention", &body)
}

pub async fn step1_form() -> Html<String> {
    Html(step1_page(&Values::new(), &Errors::default()))
}

/// A SIRET is 14 digits whose Luhn sum is a multiple of 10 (La Poste's establishments excepted,
/// which a subsidy form does not see).
fn luhn_ok(s: &str) -> bool {
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

pub async fn step1_submit(State(st): State<St>, Form(v): Form<Values>) -> Response {
    let mut e = Errors::default();
    let dispositif = html::one_of(
        &v,
        "dispositif",
        &["DETN", "CATNAT", "TDIL", "FNADT"],
        &mut e,
    );
    let siret = html::digits(&v, "siret", 14, "Le SIRET", &mut e);
    if let Some(s) = &siret
        && !luhn_ok(s)
    {
        e.add("siret", "Le SIRET n’est pas valide (clé de contrôle).");
    }
    let raison = html::required(&v, "raison_sociale", &mut e);
    let reference_ds = html::required(&v, "reference_ds", &mut e);
    match (dispositif, siret, raison, reference_ds) {
        (Some(dispositif), Some(siret), Some(raison_sociale), Some(reference_ds))
            if e.is_empty() =>
        {
            let seq = st.ctx.next_number();
            let id = sha256_hex(format!("{seq}:{:?}", std::time::SystemTime::now()).as_bytes())
                [..24]
                .to_owned();
            let draft = Draft {
                seq,
                dispositif,
                siret,
                raison_sociale,
                reference_ds,
            };
            let page = step2_page(&id, &draft, &Values::new(), &Errors::default());
            let mut drafts = lock(&st.drafts);
            if drafts.len() >= MAX_PENDING {
                let oldest = drafts.values().map(|d| d.seq).min().unwrap_or(0);
                drafts.retain(|_, d| d.seq > oldest);
            }
            drafts.insert(id, draft);
            html::respond(StatusCode::OK, page)
        }
        _ => html::respond(StatusCode::UNPROCESSABLE_ENTITY, step1_page(&v, &e)),
    }
}

pub async fn step2_submit(State(st): State<St>, Form(v): Form<Values>) -> Response {
    let id = html::val(&v, "brouillon").to_owned();
    let Some(draft) = lock(&st.drafts).get(&id).cloned() else {
        let body = "<p id=\"session-expiree\" class=\"erreur\" role=\"alert\">Votre session a expiré : \
                    la saisie doit être reprise depuis l’étape 1.</p>\
                    <p><a id=\"lien-recommencer\" href=\"/subvention\">Recommencer</a></p>";
        return html::respond(
            StatusCode::BAD_REQUEST,
            html::page("Chorus", "Session expirée", body),
        );
    };
    let mut e = Errors::default();
    let montant = html::montant(&v, "montant", &mut e);
    let date = html::date(&v, "date_decision", &mut e);
    let objet = html::required(&v, "objet", &mut e);
    let (Some(montant), Some(date), Some(objet)) = (montant, date, objet) else {
        return html::respond(
            StatusCode::UNPROCESSABLE_ENTITY,
            step2_page(&id, &draft, &v, &e),
        );
    };
    if lock(&st.drafts).remove(&id).is_none() {
        // The same draft submitted twice at once: only the first completes it.
        return html::respond(
            StatusCode::CONFLICT,
            html::page(
                "Chorus",
                "Déjà enregistrée",
                "<p id=\"deja-enregistree\" class=\"erreur\">Cette saisie a déjà été validée.</p>",
            ),
        );
    }
    let reference = format!("CHO-SUB-{:06}", draft.seq);
    st.ctx.record(
        "subvention",
        json!({
            "reference": reference, "dispositif": draft.dispositif, "siret": draft.siret,
            "raison_sociale": draft.raison_sociale, "reference_ds": draft.reference_ds,
            "montant_centimes": montant, "date_decision": date.format("%Y-%m-%d").to_string(),
            "objet": objet,
        }),
    );
    let inner = format!(
        "<p>La subvention a été enregistrée dans Chorus.</p>\
         <p>Référence Chorus : <strong id=\"reference-chorus\" data-testid=\"reference-chorus\">{r}</strong></p>\
         <p>Montant : <span id=\"confirmation-montant\">{m}</span></p>\
         <p><a id=\"lien-nouvelle-saisie\" href=\"/subvention\">Nouvelle saisie</a></p>",
        r = html::esc(&reference),
        m = html::esc(&html::euros(montant)),
    );
    let body = html::delayed("confirmation", st.ctx.config.reveal_delay_ms, &inner);
    html::respond(
        StatusCode::OK,
        html::page("Chorus", "Subvention enregistrée", &body),
    )
}
