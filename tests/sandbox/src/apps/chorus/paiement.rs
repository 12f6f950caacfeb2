//! The payment form: EJ number, amount, reference and attachments (multipart). On success the
//! page links a PDF payment certificate, served as a download; its SHA-256 is in the record so
//! a test can check the robot attached exactly that file back to the DS dossier.

use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

use super::{MAX_PENDING, St};
use crate::apps::html::{self, Errors, Values};
use crate::apps::{lock, pdf, read_multipart, sha256_hex};

fn form_page(v: &Values, e: &Errors) -> String {
    let body = format!(
        "{sum}<form id=\"form-paiement\" method=\"post\" action=\"/paiement\" enctype=\"multipart/form-data\">\
         {ej}{m}{r}{p}{b}</form>",
        sum = e.summary(),
        ej = html::input(
            "numero_ej",
            "Numéro d’engagement juridique (EJ)",
            "text",
            v,
            e
        ),
        m = html::input("montant", "Montant à payer (€)", "text", v, e),
        r = html::input("reference", "Référence (dossier DS)", "text", v, e),
        p = html::file("pieces", "Pièces justificatives", true, e),
        b = html::button("paiement-envoyer", "Envoyer la demande de paiement"),
    );
    html::page("Chorus", "Demande de paiement", &body)
}

pub async fn form() -> Html<String> {
    Html(form_page(&Values::new(), &Errors::default()))
}

pub async fn submit(State(st): State<St>, mp: Multipart) -> Response {
    let (v, files) = match read_multipart(mp).await {
        Ok(x) => x,
        Err(msg) => {
            let mut e = Errors::default();
            e.add("pieces", msg);
            return html::respond(StatusCode::BAD_REQUEST, form_page(&Values::new(), &e));
        }
    };
    let mut e = Errors::default();
    let ej = html::digits(&v, "numero_ej", 10, "Le numéro d’EJ", &mut e);
    let montant = html::montant(&v, "montant", &mut e);
    let reference = html::required(&v, "reference", &mut e);
    let pieces: Vec<_> = files.iter().filter(|f| f.field == "pieces").collect();
    if pieces.is_empty() {
        e.add(
            "pieces",
            "Au moins une pièce justificative est obligatoire.",
        );
    } else if pieces.iter().any(|f| f.bytes.is_empty()) {
        e.add("pieces", "Une pièce justificative est vide.");
    }
    let (Some(ej), Some(montant), Some(reference)) = (ej, montant, reference) else {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    };
    if !e.is_empty() {
        return html::respond(StatusCode::UNPROCESSABLE_ENTITY, form_page(&v, &e));
    }
    let n = st.ctx.next_number();
    let numero = format!("CHO-PAI-{n:06}");
    let certificate = pdf::document(&[
        "Attestation de paiement".into(),
        format!("Numero de paiement : {numero}"),
        format!("Engagement juridique : {ej}"),
        format!("Montant : {}", html::euros(montant)),
        format!("Reference : {reference}"),
        format!("Pieces jointes : {}", pieces.len()),
    ]);
    let sha = sha256_hex(&certificate);
    let url = format!("/paiement/{numero}/attestation.pdf");
    st.ctx.record(
        "paiement",
        json!({
            "numero_paiement": numero, "numero_ej": ej, "montant_centimes": montant,
            "reference": reference,
            "pieces": pieces.iter().map(|f| f.describe()).collect::<Vec<_>>(),
            "attestation": { "url": url, "size": certificate.len(), "sha256": sha },
        }),
    );
    {
        let mut certs = lock(&st.certificates);
        if certs.len() >= MAX_PENDING {
            certs.clear();
        }
        certs.insert(numero.clone(), certificate);
    }
    let inner = format!(
        "<p>La demande de paiement <strong id=\"numero-paiement\">{n}</strong> a été enregistrée.</p>\
         <p><a id=\"lien-attestation\" data-testid=\"telecharger-attestation\" href=\"{u}\" download>Télécharger l’attestation de paiement (PDF)</a></p>",
        n = html::esc(&numero),
        u = html::esc(&url),
    );
    let body = html::delayed("resultat-paiement", st.ctx.config.reveal_delay_ms, &inner);
    html::respond(
        StatusCode::OK,
        html::page("Chorus", "Paiement enregistré", &body),
    )
}

pub async fn certificate(State(st): State<St>, Path(numero): Path<String>) -> Response {
    let Some(bytes) = lock(&st.certificates).get(&numero).cloned() else {
        return html::respond(
            StatusCode::NOT_FOUND,
            html::page(
                "Chorus",
                "Introuvable",
                "<p id=\"introuvable\">Aucune attestation pour ce paiement.</p>",
            ),
        );
    };
    let disposition = format!("attachment; filename=\"attestation-{numero}.pdf\"");
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}
