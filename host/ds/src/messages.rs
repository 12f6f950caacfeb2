//! Messages to the usager and private annotations.

use std::time::{Duration, SystemTime};

use crate::client::DsClient;
use crate::error::{DsError, Intent, classify_payload_error};
use crate::model::{AnnotationInput, AnnotationValue, CorrectionReason, DossierKey};
use crate::mutations::{Confirmation, MutationReport};
use crate::ops;
use crate::ops::dossier_modifier_annotations as dma;
use crate::transport::SendError;

/// Clock skew tolerated between this host and DS when looking for a
/// message whose answer was lost.
const SKEW: Duration = Duration::from_secs(300);

fn report(confirmation: Confirmation, sends: u32) -> MutationReport {
    MutationReport {
        state: None,
        archived: None,
        confirmation,
        sends,
    }
}

fn value_input(v: &AnnotationValue) -> dma::AnnotationValueInput {
    let mut out = dma::AnnotationValueInput {
        text: None,
        textarea: None,
        email: None,
        checkbox: None,
        yes_no: None,
        date: None,
        datetime: None,
        integer_number: None,
        decimal_number: None,
        drop_down_list: None,
        multiple_drop_down_list: None,
        repetition: None,
    };
    match v.clone() {
        AnnotationValue::Text(s) => out.text = Some(s),
        AnnotationValue::Textarea(s) => out.textarea = Some(s),
        AnnotationValue::Email(s) => out.email = Some(s),
        AnnotationValue::Checkbox(b) => out.checkbox = Some(b),
        AnnotationValue::YesNo(b) => out.yes_no = Some(b),
        AnnotationValue::Date(s) => out.date = Some(s),
        AnnotationValue::Datetime(s) => out.datetime = Some(s),
        AnnotationValue::Integer(n) => out.integer_number = Some(n),
        AnnotationValue::Decimal(x) => out.decimal_number = Some(x),
        AnnotationValue::DropDown(s) => out.drop_down_list = Some(s),
        AnnotationValue::MultipleDropDown(v) => out.multiple_drop_down_list = Some(v),
        AnnotationValue::AddRows(n) => out.repetition = Some(i64::from(n)),
    }
    out
}

impl DsClient {
    /// Sends a message to the usager, with an optional attachment (a
    /// `signedBlobId` from [`DsClient::upload_file`]) and an optional
    /// correction request (which sends the dossier back to construction).
    ///
    /// If the answer is lost, the dossier's messages are re-read and a
    /// message with the same body, created since the first send, counts as
    /// applied.
    pub async fn envoyer_message(
        &self,
        permit: &pont_policy::Permit,
        dossier: &DossierKey,
        instructeur: &str,
        body: &str,
        attachment: Option<&str>,
        correction: Option<CorrectionReason>,
    ) -> Result<MutationReport, DsError> {
        crate::permit::mutation(permit, pont_policy::DsAction::Message, dossier)?;
        let started = SystemTime::now();
        let mut sends = 0;
        loop {
            sends += 1;
            let input = ops::dossier_envoyer_message::DossierEnvoyerMessageInput {
                dossier_id: dossier.id.clone(),
                instructeur_id: instructeur.to_string(),
                body: body.to_string(),
                attachment: attachment.map(str::to_string),
                correction: correction.map(crate::values::Wire::Known),
            };
            let vars = ops::dossier_envoyer_message::Variables { input };
            let reason = match self.mutate::<ops::DossierEnvoyerMessage>(vars).await {
                Ok(data) => {
                    let p = data.dossier_envoyer_message.ok_or_else(|| {
                        DsError::Decode("dossierEnvoyerMessage: empty payload".into())
                    })?;
                    if let Some(e) = p.errors.unwrap_or_default().into_iter().next() {
                        return Err(classify_payload_error(&e.message, Intent::Other));
                    }
                    return Ok(report(Confirmation::Answered, sends));
                }
                Err(SendError::Ds(e)) => return Err(e),
                Err(SendError::Uncertain(reason)) => reason,
            };
            tracing::warn!(
                operation = "dossierEnvoyerMessage",
                dossier = dossier.number,
                reason,
                "answer lost"
            );
            let messages =
                self.messages_of(dossier.number)
                    .await
                    .map_err(|e| DsError::OutcomeUnknown {
                        operation: "dossierEnvoyerMessage".into(),
                        reason: format!("{reason}; re-read failed: {e}"),
                    })?;
            let since = started - SKEW;
            let found = messages
                .iter()
                .any(|m| m.body == body && created_since(&m.created_at, since));
            if found {
                return Ok(report(Confirmation::FoundApplied, sends));
            }
            if sends >= self.inner.retry.max_mutation_sends {
                return Err(DsError::Unavailable(format!(
                    "dossierEnvoyerMessage: {reason} (sent {sends} times)"
                )));
            }
            self.pause_resend(sends).await;
        }
    }

    /// Writes private annotations, acting as `instructeur`.
    ///
    /// DS skips ids it does not know (or of a type it does not accept)
    /// without an error; the client checks that every id came back and
    /// reports the first missing one as [`DsError::InvalidAnnotation`].
    /// Setting values is idempotent, so after a lost answer they are sent
    /// again; adding rows is not, so a lost answer then gives
    /// [`DsError::OutcomeUnknown`].
    pub async fn modifier_annotations(
        &self,
        permit: &pont_policy::Permit,
        dossier: &DossierKey,
        instructeur: &str,
        annotations: &[AnnotationInput],
    ) -> Result<MutationReport, DsError> {
        crate::permit::mutation(permit, pont_policy::DsAction::Annotations, dossier)?;
        let adds_rows = annotations
            .iter()
            .any(|a| matches!(a.value, AnnotationValue::AddRows(_)));
        let mut sends = 0;
        loop {
            sends += 1;
            let input = dma::DossierModifierAnnotationsInput {
                dossier_id: dossier.id.clone(),
                instructeur_id: instructeur.to_string(),
                annotations: annotations
                    .iter()
                    .map(|a| dma::AnnotationInput {
                        id: a.id.clone(),
                        value: value_input(&a.value),
                    })
                    .collect(),
            };
            let reason = match self
                .mutate::<ops::DossierModifierAnnotations>(dma::Variables { input })
                .await
            {
                Ok(data) => {
                    let p = data.dossier_modifier_annotations.ok_or_else(|| {
                        DsError::Decode("dossierModifierAnnotations: empty payload".into())
                    })?;
                    if let Some(e) = p.errors.unwrap_or_default().into_iter().next() {
                        return Err(classify_payload_error(&e.message, Intent::Annotations));
                    }
                    let returned: Vec<String> = p
                        .annotations
                        .unwrap_or_default()
                        .into_iter()
                        .map(|a| a.id)
                        .collect();
                    if let Some(missing) = annotations.iter().find(|a| !returned.contains(&a.id)) {
                        return Err(DsError::InvalidAnnotation(format!(
                            "DS did not write annotation {}: unknown id or type it does not accept",
                            missing.id
                        )));
                    }
                    return Ok(report(Confirmation::Answered, sends));
                }
                Err(SendError::Ds(e)) => return Err(e),
                Err(SendError::Uncertain(reason)) => reason,
            };
            if adds_rows {
                return Err(DsError::OutcomeUnknown {
                    operation: "dossierModifierAnnotations".into(),
                    reason: format!("{reason}; rows may have been added, not resent"),
                });
            }
            if sends >= self.inner.retry.max_mutation_sends {
                return Err(DsError::Unavailable(format!(
                    "dossierModifierAnnotations: {reason} (sent {sends} times)"
                )));
            }
            tracing::warn!(
                operation = "dossierModifierAnnotations",
                reason,
                "answer lost; values resent"
            );
            self.pause_resend(sends).await;
        }
    }
}

/// Whether DS's `createdAt` is at or after `since`; an unreadable date
/// counts as recent, so a message is never sent twice because of its format.
fn created_since(created_at: &str, since: SystemTime) -> bool {
    match chrono::DateTime::parse_from_rfc3339(created_at) {
        Ok(t) => SystemTime::from(t) >= since,
        Err(_) => true,
    }
}
