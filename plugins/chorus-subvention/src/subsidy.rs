//! What Chorus needs of a subsidy dossier, read from its champs. A champ
//! missing or of the wrong type is the dossier's problem (a business
//! failure, not retried), with a message an instructeur can act on.

use pont_sdk::ds::{ChampValue, Dossier};

/// The dispositifs Chorus's subsidy form takes.
pub const DISPOSITIFS: [&str; 4] = ["DETN", "CATNAT", "TDIL", "FNADT"];

/// One subsidy, as Chorus's two steps want it.
#[derive(Debug)]
pub struct Subsidy {
    pub dispositif: String,
    pub siret: String,
    pub raison_sociale: String,
    /// `DS-<number>`: how Chorus users find the dossier back.
    pub reference_ds: String,
    /// Euros with two decimals and a comma, as typed by hand.
    pub montant: String,
    /// `YYYY-MM-DD`.
    pub date_decision: String,
    pub objet: String,
}

fn value<'a>(d: &'a Dossier, label: &str) -> Result<&'a ChampValue, String> {
    d.champ_labelled(label)
        .map(|c| &c.value)
        .ok_or_else(|| format!("champ « {label} » absent du dossier"))
}

fn text(d: &Dossier, label: &str) -> Result<String, String> {
    value(d, label)?
        .as_text()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("champ « {label} » vide"))
}

/// `1234.5` → `1234,50`: Chorus takes French decimals.
pub fn euros(amount: f64) -> String {
    format!("{amount:.2}").replace('.', ",")
}

impl Subsidy {
    pub fn from_dossier(d: &Dossier) -> Result<Self, String> {
        let dispositif = text(d, "Dispositif")?;
        if !DISPOSITIFS.contains(&dispositif.as_str()) {
            return Err(format!("dispositif « {dispositif} » non géré par Chorus"));
        }
        let ChampValue::Siret(etab) = value(d, "SIRET du porteur")? else {
            return Err("champ « SIRET du porteur » vide".into());
        };
        let montant = value(d, "Montant demandé (€)")?
            .as_number()
            .filter(|m| *m > 0.0)
            .ok_or("champ « Montant demandé (€) » vide ou nul")?;
        // The decision date is the dossier's decision when DS has one;
        // a dossier still en instruction is being decided today.
        let date_decision = d
            .date_traitement
            .as_deref()
            .and_then(|t| t.get(..10))
            .map(str::to_string)
            .unwrap_or_else(pont_sdk::today);
        Ok(Self {
            dispositif,
            siret: etab.siret.clone(),
            raison_sociale: etab.raison_sociale.clone(),
            reference_ds: format!("DS-{}", d.number),
            montant: euros(montant),
            date_decision,
            objet: text(d, "Intitulé du projet")?,
        })
    }
}
