//! `chorus-paiement`: pays subsidy dossiers en instruction through Chorus.
//!
//! Per dossier: read it from DS; find its engagement juridique (EJ) in the
//! Excel base and check it (same SIRET, enough engaged); fill Chorus's
//! payment form with the dossier's invoices; download the payment
//! certificate; send it to the applicant as a DS message; append a row to
//! the Excel activity report; and record the payment number, the
//! certificate and the report row in the dossier's annotations.
//!
//! Each step that must not happen twice (the Chorus payment, the report row)
//! is remembered in the state store as soon as it is done, so a retry after
//! a later failure resumes instead of paying again. DS mutations are kept
//! from repeating by the host's journal.

mod base;
mod chorus;
mod payment;
mod report;

use pont_sdk::ds::{self, AnnotationValue, ChampValue, Dossier, DossierState};
use pont_sdk::{Blob, Failure, Item, Outcome, Robot, Settings, log, state};

use base::Check;
use payment::Payment;

const ANNOT_NUMBER: &str = "Numéro de demande de paiement";
const ANNOT_CERTIFICATE: &str = "Certificat de paiement ajouté";
const ANNOT_ROW: &str = "Ligne du rapport d’activité";

/// Where the robot finds its applications and workbooks (`[settings]`).
#[derive(Default)]
struct ChorusPaiement {
    /// Chorus base URL; its origin is granted as the `chorus` application.
    chorus_url: String,
    /// The EJ base on the read-only `referentiel` mount, and its sheet.
    base: (String, String),
    /// The activity report on the read-write `rapports` mount, and its sheet.
    report: (String, String),
}

impl Robot for ChorusPaiement {
    fn init(settings: Settings) -> Result<Self, String> {
        let chorus_url = settings
            .get("chorus-url")
            .ok_or("setting `chorus-url` is missing (the Chorus base URL)")?
            .trim_end_matches('/')
            .to_string();
        let get = |k: &str, d: &str| settings.get_or(k, d).to_string();
        Ok(Self {
            chorus_url,
            base: (get("base-ej", "base-ej.xlsx"), get("base-ej-feuille", "EJ")),
            report: (
                get("rapport", "rapport-activite.xlsx"),
                get("rapport-feuille", "Paiements"),
            ),
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item
            .load_dossier()
            .map_err(pont_sdk::system("reading the dossier"))?;
        if d.state != DossierState::EnInstruction {
            return Ok(Outcome::Skipped(format!(
                "dossier {:?}, pas en instruction",
                d.state
            )));
        }
        if certificate_added(&d) {
            return Ok(Outcome::Skipped(
                "attestation de paiement déjà ajoutée".into(),
            ));
        }
        let payment = Payment::from_dossier(&d).map_err(Failure::Business)?;
        let engagement = match base::check(&self.base, &payment)? {
            Check::Ok(e) => e,
            Check::Review(why) => return Ok(Outcome::NeedsReview(why)),
        };
        let (numero, certificate) = self.pay(&payment)?;
        notify(&d, &payment, &numero, &certificate)?;
        let row = report::append_once(&self.report, &payment, &engagement, &numero)?;
        annotate(&d, &numero, row)?;
        log::info(&format!("dossier {}: paiement {numero} transmis", d.number));
        Ok(Outcome::Done(numero))
    }
}

impl ChorusPaiement {
    /// The Chorus payment of this dossier and its certificate: submitted now,
    /// or (on a retry) the one an earlier attempt submitted.
    fn pay(&self, p: &Payment) -> Result<(String, Blob), Failure> {
        let key = format!("paiement:{}", p.dossier);
        if let Some(numero) = state::get_string(&key).map_err(pont_sdk::system("state store"))? {
            log::info(&format!(
                "dossier {}: paiement {numero} déjà soumis",
                p.dossier
            ));
            let pdf = chorus::certificate(&self.chorus_url, &numero)?;
            return Ok((numero, pdf));
        }
        let pieces = payment::download_invoices(p)?;
        let (numero, pdf) = chorus::submit(&self.chorus_url, p, &pieces, |numero| {
            state::set_string(&key, numero).map_err(pont_sdk::system("state store"))
        })?;
        Ok((numero, pdf))
    }
}

fn certificate_added(d: &Dossier) -> bool {
    d.annotation_labelled(ANNOT_CERTIFICATE)
        .is_some_and(|a| matches!(a.value, ChampValue::Checkbox(true)))
}

/// Sends the certificate to the applicant: DS shows it in the dossier's
/// messagerie, where both the applicant and the instructeurs find it.
fn notify(d: &Dossier, p: &Payment, numero: &str, certificate: &Blob) -> Result<(), Failure> {
    let body = format!(
        "Bonjour,\n\nLa demande de paiement {numero} de {} € a été transmise à Chorus \
         (engagement juridique {}). Vous trouverez l’attestation de paiement ci-jointe.\n\n\
         Cordialement,\nLe service instructeur",
        payment::euros(p.montant),
        p.ej
    );
    ds::envoyer_message(d.number, &body, Some(certificate), None)
        .map_err(pont_sdk::system("sending the certificate"))
}

fn annotate(d: &Dossier, numero: &str, row: u32) -> Result<(), Failure> {
    let inputs = vec![
        d.annotation_input(ANNOT_NUMBER, AnnotationValue::Text(numero.into()))?,
        d.annotation_input(ANNOT_CERTIFICATE, AnnotationValue::Checkbox(true))?,
        d.annotation_input(ANNOT_ROW, AnnotationValue::Integer(i64::from(row)))?,
    ];
    ds::modifier_annotations(d.number, &inputs).map_err(pont_sdk::system("writing the annotations"))
}

pont_sdk::export!(ChorusPaiement);
