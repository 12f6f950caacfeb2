//! The Chorus payment form and its certificate, through the browser
//! capability with the form's stable ids.

use pont_sdk::browser::{self, Session};
use pont_sdk::{Blob, Error, Failure};

use crate::payment::{Payment, euros};

/// How long a page that follows a submit may take.
const PAGE_WAIT_MS: u32 = 15_000;
/// How long the certificate download may take.
const DOWNLOAD_WAIT_MS: u32 = 30_000;

fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    pont_sdk::system(format!("Chorus, {step}"))
}

/// Submits the payment with `pieces` attached, calls `submitted` with the
/// payment number as soon as Chorus gives it (so it can be remembered before
/// anything else can fail), then downloads the certificate.
pub fn submit(
    base: &str,
    p: &Payment,
    pieces: &[Blob],
    submitted: impl FnOnce(&str) -> Result<(), Failure>,
) -> Result<(String, Blob), Failure> {
    let s = Session::open("chorus").map_err(sys("ouverture"))?;
    s.goto(&format!("{base}/paiement"))
        .map_err(sys("formulaire"))?;
    let fields = [
        ("numero_ej", p.ej.clone()),
        ("montant", euros(p.montant)),
        ("reference", format!("DS-{}", p.dossier)),
    ];
    for (id, value) in fields {
        s.fill_in(&browser::id(id), &value).map_err(sys("saisie"))?;
    }
    let input = s.find(&browser::id("pieces")).map_err(sys("pièces"))?;
    for piece in pieces {
        input.upload(piece).map_err(sys("pièce jointe"))?;
    }
    s.click_on(&browser::id("paiement-envoyer"))
        .map_err(sys("envoi"))?;
    let numero = match s.wait_text(&browser::id("numero-paiement"), PAGE_WAIT_MS) {
        Ok(n) => n.trim().to_string(),
        Err(e) => return Err(refusal(&s).unwrap_or_else(|| sys("confirmation")(e))),
    };
    submitted(&numero)?;
    s.click_on(&browser::id("lien-attestation"))
        .map_err(sys("lien de l’attestation"))?;
    let pdf = s
        .expect_download(DOWNLOAD_WAIT_MS)
        .map_err(sys("téléchargement de l’attestation"))?;
    Ok((numero, pdf))
}

/// The certificate of a payment submitted earlier, from its address.
pub fn certificate(base: &str, numero: &str) -> Result<Blob, Failure> {
    let s = Session::open("chorus").map_err(sys("ouverture"))?;
    // A navigation that ends in a download leaves the page as it was, so
    // the result of `goto` says nothing: the download does.
    let _ = s.goto(&format!("{base}/paiement/{numero}/attestation.pdf"));
    s.expect_download(DOWNLOAD_WAIT_MS)
        .map_err(sys("téléchargement de l’attestation"))
}

/// Chorus's validation errors, if the page shows them: the dossier's data is
/// at fault, so this is a business failure in Chorus's own words.
fn refusal(s: &Session) -> Option<Failure> {
    let text = s
        .find(&browser::id("erreurs"))
        .and_then(|e| e.text())
        .ok()?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(Failure::Business(format!(
        "Chorus refuse le paiement : {text}"
    )))
}
