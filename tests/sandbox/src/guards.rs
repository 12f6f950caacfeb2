//! DS refusals that depend on more than the dossier's state: the degraded-SIRET refusal of
//! `dossierAccepter`/`Refuser`/`ClasserSansSuite`, and the one-pending-correction rule of
//! `dossierEnvoyerMessage(correction:)` (DS PR #13722: refused, not a silent plain message).

use crate::model::{DossierRecord, State, Value};
use crate::world::World;

/// DS's message when an établissement of the dossier is in degraded mode.
pub const DEGRADED_SIRET: &str =
    "Les informations du SIRET du dossier ne sont pas complètes. Veuillez réessayer plus tard.";

/// DS's message when a correction is asked while one is pending.
pub const CORRECTION_PENDING: &str = "Une demande de correction est déjà en attente sur ce dossier";

/// Whether `siret` is one whose API Entreprise data the fault control makes unavailable:
/// listed as a SIRET, or as the SIREN (its first 9 digits) of its entreprise.
fn unavailable(siret: &str, degraded: &[String]) -> bool {
    let siret = siret.trim();
    degraded.iter().any(|d| {
        let d = d.trim();
        !d.is_empty() && (d == siret || (d.len() == 9 && siret.starts_with(d)))
    })
}

impl World {
    /// Whether the fault control makes `siret`'s API Entreprise data unavailable: its
    /// SIRET champ then shows no établissement, and a demandeur read with a
    /// `PersonneMoraleIncomplete` fragment comes back as one, as in DS.
    pub fn siret_degraded(&self, siret: &str) -> bool {
        unavailable(siret, &self.lock().faults.degraded_sirets)
    }
}

/// DS's `any_etablissement_as_degraded_mode?`: the demandeur's établissement, or that of
/// a filled SIRET champ (in repeated rows too), has no data. A `PersonneMoraleIncomplete`
/// demandeur always is; others are when listed in `degraded` ([`crate::Faults`]).
pub fn any_degraded(d: &DossierRecord, degraded: &[String]) -> bool {
    use crate::model::DemandeurRecord as D;
    match &d.demandeur {
        D::MoraleIncomplete { .. } => return true,
        D::Morale(e) if unavailable(&e.siret, degraded) => return true,
        _ => {}
    }
    if degraded.is_empty() {
        return false;
    }
    d.champs.iter().any(|c| match &c.value {
        Value::Siret(e) => unavailable(&e.siret, degraded),
        Value::Rows(rows) => rows
            .iter()
            .flat_map(|r| &r.champs)
            .any(|c| matches!(&c.value, Value::Siret(e) if unavailable(&e.siret, degraded))),
        _ => false,
    })
}

/// DS's `may_flag_as_pending_correction?` as a refusal: `None` when a correction may be
/// asked (none pending, dossier en construction or en instruction), else DS's message.
pub fn correction_refusal(d: &DossierRecord) -> Option<String> {
    if crate::applicant::has_pending_correction(d) {
        return Some(CORRECTION_PENDING.into());
    }
    match d.state {
        State::EnConstruction | State::EnInstruction => None,
        s => Some(format!(
            "Le dossier ne peut pas faire l’objet d’une demande de correction car il est {}",
            s.display_lower()
        )),
    }
}
