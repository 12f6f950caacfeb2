//! Every operation that reaches DS takes a [`Permit`] from the policy gate
//! and checks that it covers what is about to be read or changed: the
//! démarche, the dossier and the action. A call without a permit does not
//! compile, and a permit for one dossier or action does not serve another.
//!
//! ```compile_fail
//! # async fn probe(client: &pont_ds::DsClient) {
//! // No permit, no request: this does not compile.
//! let _ = client.dossier(20260001).await;
//! # }
//! ```
//!
//! ```
//! # async fn read(client: &pont_ds::DsClient, gate: &pont_policy::Gate) -> Result<(), Box<dyn std::error::Error>> {
//! use pont_policy::Action;
//! let read = Action::DsRead { what: "dossier", demarche: Some(1001), dossier: Some(20260001) };
//! let permit = gate.authorize(None, &read)?;
//! let dossier = client.dossier(&permit, 20260001).await?;
//! # let _ = dossier; Ok(()) }
//! ```

use pont_policy::{DsAction, DsScope, Permit};

use crate::error::DsError;
use crate::model::DossierKey;
use crate::mutations::Transition;

fn scope(permit: &Permit) -> Result<&DsScope, DsError> {
    permit
        .ds()
        .ok_or_else(|| DsError::Unpermitted(permit.mismatch("a DS call").to_string()))
}

fn check(permit: &Permit, ok: bool, wanted: impl FnOnce() -> String) -> Result<(), DsError> {
    if ok {
        Ok(())
    } else {
        Err(DsError::Unpermitted(permit.mismatch(&wanted()).to_string()))
    }
}

/// Reading dossier `number`: any DS permit for that dossier (locating it,
/// reading it, or confirming a mutation of it).
pub(crate) fn dossier(permit: &Permit, number: i64) -> Result<(), DsError> {
    let ok = scope(permit)?.dossier == Some(number);
    check(permit, ok, || format!("dossier {number}"))
}

/// Reading démarche `number` (its revision, groupes, instructeurs).
pub(crate) fn demarche(permit: &Permit, number: i64) -> Result<(), DsError> {
    let ok = scope(permit)?.demarche == Some(number);
    check(permit, ok, || format!("démarche {number}"))
}

/// Listing the dossiers of démarche `number`.
pub(crate) fn listing(permit: &Permit, number: i64) -> Result<(), DsError> {
    let s = scope(permit)?;
    let ok = s.action == DsAction::Read && s.demarche == Some(number) && s.dossier.is_none();
    check(permit, ok, || format!("listing démarche {number}"))
}

/// `action` on the dossier of `key`.
pub(crate) fn mutation(permit: &Permit, action: DsAction, key: &DossierKey) -> Result<(), DsError> {
    let ok = scope(permit)?.is_mutation(action, key.number);
    check(permit, ok, || {
        format!("{} on dossier {}", action.as_str(), key.number)
    })
}

/// Uploading a file for a change of the dossier of `key`.
pub(crate) fn upload(permit: &Permit, key: &DossierKey) -> Result<(), DsError> {
    let s = scope(permit)?;
    let ok = s.action != DsAction::Read && s.is_mutation(s.action, key.number);
    check(permit, ok, || {
        format!("an upload for dossier {}", key.number)
    })
}

/// Downloading a file of a dossier the permit lets the host read.
pub(crate) fn download(permit: &Permit) -> Result<(), DsError> {
    let s = scope(permit)?;
    let ok = s.action == DsAction::Read && s.dossier.is_some();
    check(permit, ok, || "a dossier's file".into())
}

/// The DS action a transition is.
pub(crate) fn transition_action(t: &Transition) -> DsAction {
    match t {
        Transition::PasserEnInstruction => DsAction::PasserEnInstruction,
        Transition::Accepter { .. } => DsAction::Accepter,
        Transition::Refuser { .. } => DsAction::Refuser,
        Transition::ClasserSansSuite { .. } => DsAction::ClasserSansSuite,
        Transition::RepasserEnInstruction | Transition::RepasserEnConstruction => {
            DsAction::Repasser
        }
    }
}
