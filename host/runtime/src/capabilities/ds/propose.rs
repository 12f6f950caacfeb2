//! A DS decision the config holds for an agent (`[approval] required`): the
//! host records the exact mutation as a proposal instead of sending it, and
//! the robot hears `pending-approval` (see `crate::approval`).

use pont_policy::{Decision, DsAction, PersonAction};
use wasmtime::component::Resource;

use super::Prepared;
use crate::approval::{Mutation, evidence, keep_file};
use crate::bindings::pont::robot::ds::DsError;
use crate::blob::BlobEntry;
use crate::journal::NewProposal;
use crate::store::ItemState;

/// The longest motivation or message body kept as a proposal: the journal
/// holds it whole (clipping it would change the mutation).
const PROPOSAL_TEXT_MAX: usize = 64 * 1024;

/// What the robot asked to send.
pub(super) struct Asked<'a> {
    pub action: DsAction,
    pub motivation: Option<&'a str>,
    pub justificatif: Option<Resource<BlobEntry>>,
    pub disable_notification: bool,
    /// For a message: the correction reason, in DS's spelling.
    pub correction: Option<&'a str>,
}

fn journal_error(e: impl std::fmt::Display) -> DsError {
    DsError::Unavailable(format!("journal: {e}"))
}

impl ItemState {
    /// Whether the config holds `action` for an agent's approval.
    pub(super) fn needs_approval(&self, action: DsAction) -> bool {
        self.run.approval.config.requires(action)
    }

    /// Record the proposal (once per identical mutation) and answer
    /// `pending-approval` with its id.
    pub(super) async fn propose(
        &mut self,
        p: &Prepared,
        number: i64,
        asked: Asked<'_>,
    ) -> wasmtime::Result<DsError> {
        let text = asked.motivation.map_or(0, str::len);
        if text > PROPOSAL_TEXT_MAX {
            return Ok(DsError::Rejected(format!(
                "a {text}-byte text is too long to propose (at most {PROPOSAL_TEXT_MAX})"
            )));
        }
        let file = match &asked.justificatif {
            Some(blob) => Some(self.kept_file(blob)?),
            None => None,
        };
        let file = match file.transpose() {
            Ok(f) => f,
            Err(e) => return Ok(e),
        };
        let dossier = match p.client.dossier(&p.permit, number).await {
            Ok(d) => d,
            Err(e) => return Ok(super::convert::error(e)),
        };
        let id = self.record(number, &asked, file.as_ref(), &dossier);
        Ok(match id {
            Ok(id) => DsError::PendingApproval(format!(
                "proposal {id}: {} of dossier {number} waits for an agent's approval",
                asked.action.as_str()
            )),
            Err(e) => e,
        })
    }

    /// The justificatif copied beside the journal: (sha256, name, type).
    fn kept_file(
        &self,
        blob: &Resource<BlobEntry>,
    ) -> wasmtime::Result<Result<(String, String, String), DsError>> {
        let entry = self.table.get(blob)?;
        let info = entry.info();
        let kept = keep_file(&self.run.approval.journal_path, entry.path(), &info.sha256);
        Ok(kept
            .map(|_| {
                (
                    info.sha256.clone(),
                    info.file_name.clone(),
                    info.content_type.clone(),
                )
            })
            .map_err(|e| DsError::Unavailable(format!("proposal file: {e}"))))
    }

    fn record(
        &mut self,
        number: i64,
        asked: &Asked<'_>,
        file: Option<&(String, String, String)>,
        dossier: &pont_ds::Dossier,
    ) -> Result<i64, DsError> {
        let run = self.run.clone();
        let m = Mutation {
            robot: &run.robot,
            number,
            demarche: dossier.demarche,
            action: asked.action.as_str(),
            motivation: asked.motivation,
            justificatif_sha256: file.map(|f| f.0.as_str()),
            disable_notification: asked.disable_notification,
            correction: asked.correction,
        };
        let hash = m.hash();
        let open = run.journal.open_proposal(&run.robot, number, &hash);
        if let Some(id) = open.map_err(journal_error)? {
            self.proposed(number, id);
            return Ok(id);
        }
        let logs = run.journal.item_logs(&run.run_id, number);
        let evidence = evidence(&logs.map_err(journal_error)?);
        let state = serde_json::to_value(dossier.state).unwrap_or_default();
        let new = NewProposal {
            robot: &run.robot,
            number,
            demarche: dossier.demarche,
            episode: self.episode_for(number)?,
            run_id: &run.run_id,
            action: m.action,
            motivation: m.motivation,
            justificatif: file.map(|f| (f.0.as_str(), f.1.as_str(), f.2.as_str())),
            disable_notification: m.disable_notification,
            correction: m.correction,
            evidence: &evidence,
            dossier_state: state.as_str().unwrap_or("unknown"),
            based_on: &dossier.date_derniere_modification,
            hash: &hash,
        };
        let id = run.journal.add_proposal(&new).map_err(journal_error)?;
        self.audit_proposal(number, id, &m, &hash)?;
        self.proposed(number, id);
        Ok(id)
    }

    /// The episode the proposal belongs to: the item's own for its dossier.
    fn episode_for(&self, number: i64) -> Result<u32, DsError> {
        if self.item == Some(number) {
            return Ok(self.episode);
        }
        let entry = self.run.journal.queue_entry(&self.run.robot, number);
        Ok(entry.map_err(journal_error)?.map_or(1, |e| e.episode))
    }

    /// The item now waits for the decision (when the dossier is its own).
    fn proposed(&mut self, number: i64, id: i64) {
        if self.item == Some(number) {
            self.effects.proposed = Some(id);
        }
    }

    fn audit_proposal(
        &self,
        number: i64,
        id: i64,
        m: &Mutation<'_>,
        hash: &str,
    ) -> Result<(), DsError> {
        let actor = format!("robot {}", self.run.robot);
        let record = PersonAction {
            actor: &actor,
            interface: "robot",
            robot: &self.run.robot,
            item: Some(number),
            action: "approval.propose",
            target: format!("dossier {number}: {} (proposal {id})", m.action),
            decision: Decision::Allow,
            reason: Some(format!("held for an agent's approval; sha256 {hash}")),
        };
        let a = &self.run.approval;
        let paths = (a.journal_path.as_path(), a.audit_path.as_path());
        crate::approval::audit_record(&self.run.journal, paths, &record)
            .map_err(|e| DsError::Unavailable(e.to_string()))
    }
}

/// A correction reason in DS's spelling, as the proposal keeps it.
pub(super) fn correction_name(c: pont_ds::CorrectionReason) -> String {
    let v = serde_json::to_value(c).unwrap_or_default();
    v.as_str().unwrap_or("unknown").to_string()
}
