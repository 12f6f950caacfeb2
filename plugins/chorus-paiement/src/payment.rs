//! What a payment needs from the dossier: the EJ, the amount, the
//! beneficiary's SIRET and the invoices. A champ missing or malformed is the
//! dossier's problem (business failure) in words an instructeur can act on.

use pont_sdk::ds::{self, ChampValue, Dossier, DsFile};
use pont_sdk::{Blob, Failure};

/// One payment request, read from a dossier of the payment démarche.
#[derive(Debug)]
pub struct Payment {
    pub dossier: i64,
    /// The engagement juridique: 10 digits.
    pub ej: String,
    /// Euros.
    pub montant: f64,
    pub siret: String,
    pub invoices: Vec<DsFile>,
}

/// `1234.5` → `1234,50`: Chorus and the report take French decimals.
pub fn euros(amount: f64) -> String {
    format!("{amount:.2}").replace('.', ",")
}

fn value<'a>(d: &'a Dossier, label: &str) -> Result<&'a ChampValue, String> {
    d.champ_labelled(label)
        .map(|c| &c.value)
        .ok_or_else(|| format!("champ « {label} » absent du dossier"))
}

impl Payment {
    pub fn from_dossier(d: &Dossier) -> Result<Self, String> {
        let ej: String = value(d, "Numéro d’engagement juridique")?
            .as_text()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if ej.len() != 10 || !ej.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "numéro d’EJ « {ej} » invalide : 10 chiffres attendus"
            ));
        }
        let montant = value(d, "Montant à payer (€)")?
            .as_number()
            .filter(|m| *m > 0.0)
            .ok_or("champ « Montant à payer (€) » vide ou nul")?;
        let ChampValue::Siret(etab) = value(d, "SIRET du bénéficiaire")? else {
            return Err("champ « SIRET du bénéficiaire » vide".into());
        };
        let invoices = value(d, "Facture")?.files().to_vec();
        if invoices.is_empty() {
            return Err("aucune facture jointe au dossier".into());
        }
        Ok(Self {
            dossier: d.number,
            ej,
            montant,
            siret: etab.siret.clone(),
            invoices,
        })
    }
}

/// The invoices as blobs: held by the host, checksums checked, never
/// copied through the robot on their way to Chorus.
pub fn download_invoices(p: &Payment) -> Result<Vec<Blob>, Failure> {
    p.invoices
        .iter()
        .map(|f| {
            ds::attachment(f).map_err(pont_sdk::system(format!("downloading « {} »", f.file_name)))
        })
        .collect()
}
