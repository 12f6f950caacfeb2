//! State changes and other writes, never sent twice by accident.
//!
//! DS mutations are not idempotent across states (a second `dossierAccepter`
//! answers "Le dossier est déjà accepté"), and a connection can drop after DS
//! applied a change. So when a mutation's answer is lost, the client re-reads
//! the dossier and decides from what it sees whether the change was applied
//! ([`Expectation::is_met`]); it sends again only when it was not, and says
//! which happened in [`MutationReport::confirmation`].

use pont_policy::{DsAction, Permit};

use crate::client::DsClient;
use crate::error::{DsError, Intent, classify_payload_error};
use crate::model::{DossierKey, DossierState};
use crate::ops;
use crate::permit;
use crate::queries::DossierStatus;
use crate::transport::SendError;

/// A change of a dossier's state, with DS's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// en construction → en instruction.
    PasserEnInstruction,
    /// en instruction → accepté. `justificatif` is a `signedBlobId`.
    Accepter {
        /// Motivation shown to the usager.
        motivation: Option<String>,
        /// Signed blob id of an uploaded justificatif.
        justificatif: Option<String>,
    },
    /// en instruction → refusé.
    Refuser {
        /// Motivation (required by DS).
        motivation: String,
        /// Signed blob id of an uploaded justificatif.
        justificatif: Option<String>,
    },
    /// en instruction → classé sans suite.
    ClasserSansSuite {
        /// Motivation (required by DS).
        motivation: String,
        /// Signed blob id of an uploaded justificatif.
        justificatif: Option<String>,
    },
    /// accepté/refusé/sans suite → en instruction.
    RepasserEnInstruction,
    /// en instruction → en construction.
    RepasserEnConstruction,
}

impl Transition {
    /// The state the dossier is in once the transition is applied.
    pub fn target(&self) -> DossierState {
        match self {
            Self::PasserEnInstruction | Self::RepasserEnInstruction => DossierState::EnInstruction,
            Self::Accepter { .. } => DossierState::Accepte,
            Self::Refuser { .. } => DossierState::Refuse,
            Self::ClasserSansSuite { .. } => DossierState::SansSuite,
            Self::RepasserEnConstruction => DossierState::EnConstruction,
        }
    }

    /// The DS mutation name.
    pub fn operation(&self) -> &'static str {
        match self {
            Self::PasserEnInstruction => "dossierPasserEnInstruction",
            Self::Accepter { .. } => "dossierAccepter",
            Self::Refuser { .. } => "dossierRefuser",
            Self::ClasserSansSuite { .. } => "dossierClasserSansSuite",
            Self::RepasserEnInstruction => "dossierRepasserEnInstruction",
            Self::RepasserEnConstruction => "dossierRepasserEnConstruction",
        }
    }
}

/// What a dossier looks like once a mutation has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// The dossier is in this state.
    State(DossierState),
    /// The dossier is archived.
    Archived,
    /// The label is (true) or is not (false) on the dossier.
    Label {
        /// Label id.
        id: String,
        /// Whether it should be there.
        present: bool,
    },
}

impl Expectation {
    /// Whether `status` shows the mutation applied. A state reached by
    /// someone else counts as applied: sending again could only fail.
    pub fn is_met(&self, status: &DossierStatus) -> bool {
        match self {
            Self::State(s) => status.state == *s,
            Self::Archived => status.archived,
            Self::Label { id, present } => status.label_ids.iter().any(|l| l == id) == *present,
        }
    }
}

/// How the client knows a mutation took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// DS answered the mutation.
    Answered,
    /// The answer was lost; re-reading the dossier showed the change
    /// applied, so the mutation was not sent again.
    FoundApplied,
}

/// The result of a mutation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutationReport {
    /// State of the dossier afterwards, when the mutation reports it.
    pub state: Option<DossierState>,
    /// Archive flag afterwards, when the mutation reports it.
    pub archived: Option<bool>,
    /// How the client knows.
    pub confirmation: Confirmation,
    /// How many times the mutation was sent (more than 1 only when an answer
    /// was lost and the re-read showed the change not applied).
    pub sends: u32,
}

/// A mutation, as the retry loop sees it.
#[derive(Debug, Clone)]
enum Op {
    Transition {
        transition: Transition,
        disable_notification: bool,
    },
    Archiver,
    Label {
        id: String,
        add: bool,
    },
}

impl Op {
    fn expectation(&self) -> Expectation {
        match self {
            Self::Transition { transition, .. } => Expectation::State(transition.target()),
            Self::Archiver => Expectation::Archived,
            Self::Label { id, add } => Expectation::Label {
                id: id.clone(),
                present: *add,
            },
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Transition { transition, .. } => transition.operation(),
            Self::Archiver => "dossierArchiver",
            Self::Label { add: true, .. } => "dossierAjouterLabel",
            Self::Label { add: false, .. } => "dossierSupprimerLabel",
        }
    }
}

/// State and archive flag from a mutation payload.
type Answer = (DossierState, bool);

fn empty_payload(op: &str) -> SendError {
    SendError::Ds(DsError::Decode(format!("{op}: empty payload")))
}

/// Reads a `{dossier{state archived} errors{message}}` payload.
macro_rules! dossier_payload {
    ($payload:expr, $op:expr, $intent:expr) => {{
        let p = $payload.ok_or_else(|| empty_payload($op))?;
        if let Some(e) = p.errors.unwrap_or_default().into_iter().next() {
            return Err(SendError::Ds(classify_payload_error(&e.message, $intent)));
        }
        let d = p.dossier.ok_or_else(|| empty_payload($op))?;
        Ok((d.state.value(), d.archived))
    }};
}

/// Sends one state-change mutation whose input has no motivation.
macro_rules! simple_transition {
    ($self:ident, $op:ident, $m:ident, $input:ident, $field:ident, $key:expr, $instr:expr, $dn:expr, $intent:expr) => {{
        let input = ops::$m::$input {
            dossier_id: $key.id.clone(),
            instructeur_id: $instr.to_string(),
            disable_notification: Some($dn),
        };
        let data = $self
            .mutate::<ops::$op>(ops::$m::Variables { input })
            .await?;
        dossier_payload!(data.$field, stringify!($field), $intent)
    }};
}

/// Sends one decision (accepter, refuser, classer sans suite).
macro_rules! decision {
    ($self:ident, $op:ident, $m:ident, $input:ident, $field:ident, $key:expr, $instr:expr, $dn:expr, $intent:expr, $motivation:expr, $justificatif:expr) => {{
        let input = ops::$m::$input {
            dossier_id: $key.id.clone(),
            instructeur_id: $instr.to_string(),
            motivation: $motivation,
            justificatif: $justificatif.clone(),
            disable_notification: Some($dn),
        };
        let data = $self
            .mutate::<ops::$op>(ops::$m::Variables { input })
            .await?;
        dossier_payload!(data.$field, stringify!($field), $intent)
    }};
}

impl DsClient {
    /// Changes a dossier's state, acting as `instructeur` (an id, see
    /// [`DsClient::resolve_instructeur`]).
    pub async fn change_state(
        &self,
        permit: &Permit,
        dossier: &DossierKey,
        instructeur: &str,
        transition: Transition,
        disable_notification: bool,
    ) -> Result<MutationReport, DsError> {
        permit::mutation(permit, permit::transition_action(&transition), dossier)?;
        self.run(
            dossier,
            instructeur,
            Op::Transition {
                transition,
                disable_notification,
            },
        )
        .await
    }

    /// Archives a terminated dossier.
    pub async fn archiver(
        &self,
        permit: &Permit,
        dossier: &DossierKey,
        instructeur: &str,
    ) -> Result<MutationReport, DsError> {
        permit::mutation(permit, DsAction::Archiver, dossier)?;
        self.run(dossier, instructeur, Op::Archiver).await
    }

    /// Puts a label (by id) on a dossier.
    pub async fn ajouter_label(
        &self,
        permit: &Permit,
        dossier: &DossierKey,
        label_id: &str,
    ) -> Result<MutationReport, DsError> {
        permit::mutation(permit, DsAction::Labels, dossier)?;
        self.run(
            dossier,
            "",
            Op::Label {
                id: label_id.to_string(),
                add: true,
            },
        )
        .await
    }

    /// Removes a label (by id) from a dossier.
    pub async fn supprimer_label(
        &self,
        permit: &Permit,
        dossier: &DossierKey,
        label_id: &str,
    ) -> Result<MutationReport, DsError> {
        permit::mutation(permit, DsAction::Labels, dossier)?;
        self.run(
            dossier,
            "",
            Op::Label {
                id: label_id.to_string(),
                add: false,
            },
        )
        .await
    }

    /// Re-reads a dossier and tells whether it meets `expectation`: what a
    /// caller recovering from a crash asks before sending a journaled
    /// mutation again.
    pub async fn is_applied(
        &self,
        permit: &Permit,
        number: i64,
        expectation: &Expectation,
    ) -> Result<bool, DsError> {
        Ok(expectation.is_met(&self.dossier_status(permit, number).await?))
    }

    async fn run(
        &self,
        key: &DossierKey,
        instructeur: &str,
        op: Op,
    ) -> Result<MutationReport, DsError> {
        let expectation = op.expectation();
        let mut sends = 0;
        loop {
            sends += 1;
            let reason = match self.send_op(key, instructeur, &op).await {
                Ok((state, archived)) => {
                    return Ok(MutationReport {
                        state: Some(state),
                        archived: Some(archived),
                        confirmation: Confirmation::Answered,
                        sends,
                    });
                }
                Err(SendError::Ds(e)) => return Err(e),
                Err(SendError::Uncertain(reason)) => reason,
            };
            tracing::warn!(
                operation = op.name(),
                dossier = key.number,
                reason,
                "answer lost; re-reading the dossier"
            );
            let status = self
                .status_of(key.number)
                .await
                .map_err(|e| DsError::OutcomeUnknown {
                    operation: op.name().to_string(),
                    reason: format!("{reason}; re-read failed: {e}"),
                })?;
            if expectation.is_met(&status) {
                tracing::info!(
                    operation = op.name(),
                    dossier = key.number,
                    "found applied; not resent"
                );
                return Ok(MutationReport {
                    state: Some(status.state),
                    archived: Some(status.archived),
                    confirmation: Confirmation::FoundApplied,
                    sends,
                });
            }
            if sends >= self.inner.retry.max_mutation_sends {
                return Err(DsError::Unavailable(format!(
                    "{}: {reason} (sent {sends} times)",
                    op.name()
                )));
            }
            self.pause_resend(sends).await;
        }
    }

    async fn send_op(&self, key: &DossierKey, instr: &str, op: &Op) -> Result<Answer, SendError> {
        match op {
            Op::Transition {
                transition,
                disable_notification: dn,
            } => {
                let intent = Intent::Transition(transition.target());
                self.send_transition(key, instr, transition, *dn, intent)
                    .await
            }
            Op::Archiver => {
                let input = ops::dossier_archiver::DossierArchiverInput {
                    dossier_id: key.id.clone(),
                    instructeur_id: instr.to_string(),
                };
                let data = self
                    .mutate::<ops::DossierArchiver>(ops::dossier_archiver::Variables { input })
                    .await?;
                dossier_payload!(data.dossier_archiver, "dossierArchiver", Intent::Other)
            }
            Op::Label { id, add: true } => {
                let input = ops::dossier_ajouter_label::DossierAjouterLabelInput {
                    dossier_id: key.id.clone(),
                    label_id: id.clone(),
                };
                let vars = ops::dossier_ajouter_label::Variables { input };
                let data = self.mutate::<ops::DossierAjouterLabel>(vars).await?;
                dossier_payload!(
                    data.dossier_ajouter_label,
                    "dossierAjouterLabel",
                    Intent::Other
                )
            }
            Op::Label { id, add: false } => {
                let input = ops::dossier_supprimer_label::DossierSupprimerLabelInput {
                    dossier_id: key.id.clone(),
                    label_id: id.clone(),
                };
                let vars = ops::dossier_supprimer_label::Variables { input };
                let data = self.mutate::<ops::DossierSupprimerLabel>(vars).await?;
                dossier_payload!(
                    data.dossier_supprimer_label,
                    "dossierSupprimerLabel",
                    Intent::Other
                )
            }
        }
    }

    async fn send_transition(
        &self,
        key: &DossierKey,
        instr: &str,
        transition: &Transition,
        dn: bool,
        intent: Intent,
    ) -> Result<Answer, SendError> {
        match transition {
            Transition::PasserEnInstruction => simple_transition!(
                self,
                DossierPasserEnInstruction,
                dossier_passer_en_instruction,
                DossierPasserEnInstructionInput,
                dossier_passer_en_instruction,
                key,
                instr,
                dn,
                intent
            ),
            Transition::RepasserEnInstruction => simple_transition!(
                self,
                DossierRepasserEnInstruction,
                dossier_repasser_en_instruction,
                DossierRepasserEnInstructionInput,
                dossier_repasser_en_instruction,
                key,
                instr,
                dn,
                intent
            ),
            Transition::RepasserEnConstruction => simple_transition!(
                self,
                DossierRepasserEnConstruction,
                dossier_repasser_en_construction,
                DossierRepasserEnConstructionInput,
                dossier_repasser_en_construction,
                key,
                instr,
                dn,
                intent
            ),
            Transition::Accepter {
                motivation,
                justificatif,
            } => decision!(
                self,
                DossierAccepter,
                dossier_accepter,
                DossierAccepterInput,
                dossier_accepter,
                key,
                instr,
                dn,
                intent,
                motivation.clone(),
                justificatif
            ),
            Transition::Refuser {
                motivation,
                justificatif,
            } => decision!(
                self,
                DossierRefuser,
                dossier_refuser,
                DossierRefuserInput,
                dossier_refuser,
                key,
                instr,
                dn,
                intent,
                motivation.clone(),
                justificatif
            ),
            Transition::ClasserSansSuite {
                motivation,
                justificatif,
            } => decision!(
                self,
                DossierClasserSansSuite,
                dossier_classer_sans_suite,
                DossierClasserSansSuiteInput,
                dossier_classer_sans_suite,
                key,
                instr,
                dn,
                intent,
                motivation.clone(),
                justificatif
            ),
        }
    }
}
