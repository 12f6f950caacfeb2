//! DS changes that a robot wants *true afterwards*, whether or not it was
//! already so: a label on (or off) a dossier, a dossier en instruction.
//!
//! DS refuses to do what is already done ("Ce label est déjà associé au
//! dossier", "Le dossier est déjà en instruction"), which a robot would
//! otherwise turn into a failure. Each helper here treats "already so" as
//! success and says whether it changed anything. The host's journal still
//! keeps each mutation from being sent twice in an episode.

use crate::bindings::pont::robot::ds::{self, Demarche, Dossier, DossierState, DsError, Label};

/// Puts the label `label_id` on dossier `number`; a label already there
/// counts as done. `Ok(true)` when DS put it on now. Needs the `labels` DS
/// action.
pub fn ensure_label(number: i64, label_id: &str) -> Result<bool, DsError> {
    already_ok(ds::ajouter_label(number, label_id), "est déjà associé")
}

/// Takes the label `label_id` off dossier `number`; a label already absent
/// counts as done. `Ok(true)` when DS took it off now. Needs the `labels`
/// DS action.
pub fn ensure_no_label(number: i64, label_id: &str) -> Result<bool, DsError> {
    already_ok(ds::supprimer_label(number, label_id), "n'est pas associé")
}

/// `Ok(false)` for DS's refusal that says the change is already so (DS has
/// no code for it: its French message, apostrophes normalised, is the only
/// sign), `Ok(true)` for a change made, any other error as it is.
fn already_ok(sent: Result<(), DsError>, already: &str) -> Result<bool, DsError> {
    match sent {
        Ok(()) => Ok(true),
        Err(DsError::Rejected(m)) if m.replace(['\u{2019}', '\u{2018}'], "'").contains(already) => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

impl Dossier {
    /// Passes the dossier en instruction if it is en construction, so the
    /// applicant cannot change it while the robot works on it; a dossier in
    /// any other state is left as it is, and DS answering that it is already
    /// en instruction counts as done. `Ok(true)` when DS passed it now. DS
    /// notifies the applicant as usual. Needs the `passer-en-instruction` DS
    /// action.
    pub fn ensure_en_instruction(&self) -> Result<bool, DsError> {
        if self.state != DossierState::EnConstruction {
            return Ok(false);
        }
        match ds::passer_en_instruction(self.number, false) {
            Ok(_) => Ok(true),
            Err(DsError::AlreadyInState(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the dossier carries the label named `name` (as instructeurs
    /// see it; surrounding spaces ignored).
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.name.trim() == name.trim())
    }
}

impl Demarche {
    /// The démarche's label named `name`, whose `id` the label helpers take.
    pub fn label_named(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name.trim() == name.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::already_ok;
    use crate::bindings::pont::robot::ds::DsError;

    #[test]
    fn already_so_is_done_with_either_apostrophe() {
        let added = Err(DsError::Rejected(
            "Ce label est déjà associé au dossier".into(),
        ));
        assert!(matches!(already_ok(added, "est déjà associé"), Ok(false)));
        for m in [
            "Ce label n’est pas associé au dossier",
            "Ce label n'est pas associé au dossier",
        ] {
            let removed = Err(DsError::Rejected(m.into()));
            assert!(matches!(
                already_ok(removed, "n'est pas associé"),
                Ok(false)
            ));
        }
        assert!(matches!(already_ok(Ok(()), "est déjà associé"), Ok(true)));
    }

    #[test]
    fn other_refusals_stay_errors() {
        let other = "Ce label n’appartient pas à la même démarche que le dossier";
        let sent = Err(DsError::Rejected(other.into()));
        assert!(matches!(
            already_ok(sent, "est déjà associé"),
            Err(DsError::Rejected(m)) if m == other
        ));
        let sent = Err(DsError::NotFound("est déjà associé".into()));
        assert!(matches!(
            already_ok(sent, "est déjà associé"),
            Err(DsError::NotFound(_))
        ));
    }
}
