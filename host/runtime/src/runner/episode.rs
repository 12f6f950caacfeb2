//! When a settled dossier deserves a new episode. The basis kept with a
//! settled outcome is what DS showed of the dossier, corrected by what the
//! robot itself did in the episode (the state it moved the dossier to, a
//! correction it asked for), so the robot's own mutations never count as a
//! change. A later listing that differs from the basis in the applicant's
//! champs, the state, a resolved correction or a new message from the
//! applicant starts the next episode.

use pont_ds::{Dossier, DossierState};
use serde::{Deserialize, Serialize};

/// What the robot did to the dossier in an episode, as far as the basis is
/// concerned (recorded by the ds capability when a mutation is applied).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Effects {
    /// The state the robot's last applied transition moved the dossier to.
    pub state: Option<DossierState>,
    /// The robot asked the applicant for a correction.
    pub correction_requested: bool,
    /// The robot's decision on its dossier is held as this proposal: the
    /// item waits for an agent.
    pub proposed: Option<i64>,
}

/// What DS showed of a dossier when its episode was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Basis {
    champs: Option<String>,
    state: DossierState,
    correction_pending: bool,
    usager_message: Option<String>,
}

impl Basis {
    /// The basis after the robot's effects on a dossier as DS showed it.
    pub fn settled(d: &Dossier, effects: &Effects) -> Self {
        let mut state = effects.state.unwrap_or(d.state);
        // Passing a dossier en instruction resolves its pending correction
        // in DS; asking for one makes one pending.
        let passed = effects.state == Some(DossierState::EnInstruction);
        let correction_pending = effects.correction_requested
            || (d.date_derniere_correction_en_attente.is_some() && !passed);
        if effects.correction_requested && state == DossierState::EnInstruction {
            // DS sends a dossier en instruction back to the applicant.
            state = DossierState::EnConstruction;
        }
        Self {
            champs: d.date_derniere_modification_champs.clone(),
            state,
            correction_pending,
            usager_message: d.dernier_message_usager.clone(),
        }
    }

    /// The basis of a dossier exactly as DS shows it now.
    pub fn seen(d: &Dossier) -> Self {
        Self::settled(d, &Effects::default())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Option<Self> {
        serde_json::from_str(s).ok()
    }

    /// Why `now` is a new episode against this basis, if it is one.
    pub fn change(&self, now: &Basis) -> Option<String> {
        if later(&now.champs, &self.champs) {
            return Some("l'usager a modifié le dossier".into());
        }
        if self.correction_pending && !now.correction_pending {
            return Some("l'usager a répondu à la demande de correction".into());
        }
        if later(&now.usager_message, &self.usager_message) {
            return Some("nouveau message de l'usager".into());
        }
        if now.state != self.state {
            return Some(format!(
                "le dossier est passé {} hors du robot",
                now.state.display_fr()
            ));
        }
        None
    }
}

/// Whether `a` is a later timestamp than `b` (DS's ISO 8601, comparable as
/// instants; an absent `b` is earlier than anything).
fn later(a: &Option<String>, b: &Option<String>) -> bool {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    match (a.as_deref().and_then(parse), b.as_deref()) {
        (Some(_), None) => true,
        (Some(a), Some(b)) => parse(b).is_none_or(|b| a > b),
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(champs: &str, state: DossierState) -> Basis {
        Basis {
            champs: Some(champs.into()),
            state,
            correction_pending: false,
            usager_message: None,
        }
    }

    #[test]
    fn the_robots_own_transition_is_not_a_change() {
        let before = basis("2026-01-01T10:00:00+01:00", DossierState::EnConstruction);
        let mut after = before.clone();
        after.state = DossierState::EnInstruction;
        let settled = Basis {
            state: DossierState::EnInstruction,
            ..before.clone()
        };
        assert_eq!(settled.change(&after), None);
        assert!(before.change(&after).is_some());
    }

    #[test]
    fn an_applicant_edit_is_a_change_and_an_older_date_is_not() {
        let b = basis("2026-01-01T10:00:00+01:00", DossierState::EnConstruction);
        let edited = basis("2026-01-01T09:30:00Z", DossierState::EnConstruction);
        assert!(b.change(&edited).unwrap().contains("modifié"));
        let older = basis("2026-01-01T08:59:00Z", DossierState::EnConstruction);
        assert_eq!(b.change(&older), None);
    }

    #[test]
    fn a_resolved_correction_and_a_new_message_are_changes() {
        let mut b = basis("2026-01-01T10:00:00Z", DossierState::EnConstruction);
        b.correction_pending = true;
        let mut now = b.clone();
        now.correction_pending = false;
        assert!(b.change(&now).unwrap().contains("correction"));
        b.correction_pending = false;
        let mut now = b.clone();
        now.usager_message = Some("2026-01-02T10:00:00Z".into());
        assert!(b.change(&now).unwrap().contains("message"));
    }

    #[test]
    fn a_garbled_basis_is_not_read() {
        assert!(Basis::from_json("{not json").is_none());
        let b = basis("2026-01-01T10:00:00Z", DossierState::Accepte);
        assert_eq!(Basis::from_json(&b.to_json()), Some(b));
    }
}
