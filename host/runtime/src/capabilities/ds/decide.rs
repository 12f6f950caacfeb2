//! DS decisions come before DS reads. A call on a dossier is decided on its
//! action first; when the dossier's démarche is not known yet, the host
//! learns it with a permit for that action alone, then decides again on the
//! démarche. A robot cannot tell a dossier that does not exist from one in a
//! démarche it was not granted: both get [`unseen`], and both are audited.

use pont_ds::{DossierKey, DsError as WireError};
use pont_policy::{Action, DsAction, Gate, Permit};

use super::{DsBackend, convert, denied};
use crate::bindings::pont::robot::ds::DsError;
use crate::store::ItemState;

/// What the robot wants to do with a dossier.
#[derive(Clone, Copy)]
pub(super) enum Want<'a> {
    /// Read it (`what` names the read in the audit log).
    Read(&'a str),
    /// Change it with `action`, sending `bytes`.
    Mutate(DsAction, u64),
}

impl Want<'_> {
    fn action(&self) -> DsAction {
        match *self {
            Want::Read(_) => DsAction::Read,
            Want::Mutate(action, _) => action,
        }
    }

    /// The decision made before the démarche is known.
    fn first(&self, dossier: i64) -> Action<'_> {
        match *self {
            Want::Read(what) => Action::DsRead {
                what,
                demarche: None,
                dossier: Some(dossier),
            },
            Want::Mutate(action, _) => Action::DsLocate { action, dossier },
        }
    }

    /// The decision on the dossier in its démarche.
    fn decided(&self, demarche: i64, dossier: i64) -> Action<'_> {
        match *self {
            Want::Read(what) => Action::DsRead {
                what,
                demarche: Some(demarche),
                dossier: Some(dossier),
            },
            Want::Mutate(action, bytes) => Action::DsMutate {
                action,
                demarche,
                dossier,
                bytes,
            },
        }
    }
}

/// A dossier the gate allowed the robot's call on.
pub(super) struct Located {
    pub permit: Permit,
    pub key: DossierKey,
    pub demarche: i64,
    /// The dossier as read to learn its démarche, when it had to be read.
    pub read: Option<pont_ds::Dossier>,
}

/// The one answer for a dossier the robot may not see.
pub(super) fn unseen(number: i64) -> DsError {
    DsError::Denied(format!(
        "dossier {number}: not found in the démarches granted to this robot"
    ))
}

/// The gate and the item, taken out of the Store data (which is not `Sync`,
/// so cannot be held across DS calls).
pub(super) struct Decider {
    gate: Gate,
    item: Option<i64>,
}

impl ItemState {
    pub(super) fn decider(&self) -> Decider {
        Decider {
            gate: self.run.gate.clone(),
            item: self.item,
        }
    }
}

impl Decider {
    fn authorize(&self, action: &Action<'_>) -> Result<Permit, pont_policy::Denied> {
        self.gate.authorize(self.item, action)
    }

    /// Decide `want` on dossier `number`, reading DS only once the action
    /// itself was allowed, and only to learn the démarche.
    pub(super) async fn locate(
        &self,
        ds: &DsBackend,
        number: i64,
        want: Want<'_>,
    ) -> Result<Located, DsError> {
        let (key, demarche, read) = match ds.known(number) {
            Some((key, demarche)) => (key, demarche, None),
            None => {
                let d = self.look_up(ds, number, want).await?;
                (d.key(), d.demarche, Some(d))
            }
        };
        let permit = match self.authorize(&want.decided(demarche, number)) {
            Ok(permit) => permit,
            // Audited by the gate with its reason; the robot hears `unseen`.
            Err(_) if self.foreign(want, demarche) => return Err(unseen(number)),
            Err(d) => return Err(denied(d)),
        };
        Ok(Located {
            permit,
            key,
            demarche,
            read,
        })
    }

    /// The action is granted but not on this démarche: what the robot is
    /// told must not differ from a dossier that does not exist. (An action
    /// not granted at all is refused as such, wherever the dossier is, as it
    /// is before any lookup.)
    fn foreign(&self, want: Want<'_>, demarche: i64) -> bool {
        let policy = self.gate.policy();
        policy.ds_actions.contains(&want.action()) && !policy.ds_demarches.contains(&demarche)
    }

    /// Read dossier `number` to learn its démarche, under a permit for the
    /// action alone. DS's "not found" (or "not yours") is audited and told
    /// to the robot as [`unseen`].
    async fn look_up(
        &self,
        ds: &DsBackend,
        number: i64,
        want: Want<'_>,
    ) -> Result<pont_ds::Dossier, DsError> {
        let first = want.first(number);
        let lookup = self.authorize(&first).map_err(denied)?;
        match ds.lookup(&lookup, number).await {
            Ok(d) => Ok(d),
            Err(e @ (WireError::NotFound(_) | WireError::Unauthorized(_))) => {
                let reason = format!("dossier {number}: {}", e.kind().replace('_', " "));
                self.gate.refuse(self.item, &first, reason);
                Err(unseen(number))
            }
            Err(e) => Err(convert::error(e)),
        }
    }
}
