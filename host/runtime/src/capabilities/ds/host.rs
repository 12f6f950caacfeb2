//! `impl ds::Host`: each function gated, then sent through the client.

use pont_ds::{DossierFilter, DossierState as S};
use pont_policy::DsAction;
use wasmtime::component::Resource;

use super::convert;
use super::journaled::{Check, content_key};
use super::{DsRes, Kind, Prepared, Transition};
use crate::bindings::pont::robot::ds::*;
use crate::bindings::pont::robot::types::{AttachmentSource, Provenance};
use crate::blob::BlobEntry;
use crate::store::ItemState;
use pont_ds::Expectation;

macro_rules! tryds {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        }
    };
}

fn filter(f: DossierFilter_) -> DossierFilter {
    DossierFilter {
        state: f.state.map(convert::state_back),
        archived: f.archived,
        created_since: f.created_since,
        updated_since: f.updated_since,
        revision: f.revision,
        first: f.first,
    }
}

type DossierFilter_ = crate::bindings::pont::robot::ds::DossierFilter;

impl Host for ItemState {
    async fn get_demarche(&mut self, number: i64) -> DsRes<Demarche> {
        let (ds, permit) = tryds!(self.ds_read("demarche", Some(number), None));
        Ok(ds
            .client
            .demarche(&permit, number)
            .await
            .map(|d| convert::demarche(&d))
            .map_err(convert::error))
    }

    async fn get_dossier(&mut self, number: i64) -> DsRes<Dossier> {
        let (ds, at) = tryds!(self.ds_read_dossier("dossier", number).await);
        // Read once when it had to be read to learn its démarche.
        let d = match at.read {
            Some(d) => d,
            None => tryds!(
                ds.client
                    .dossier(&at.permit, number)
                    .await
                    .map_err(convert::error)
            ),
        };
        ds.remember(number, d.key(), d.demarche);
        Ok(Ok(convert::dossier(&d, &mut self.ds_files)))
    }

    async fn dossiers(
        &mut self,
        demarche: i64,
        f: DossierFilter_,
        after: Option<String>,
    ) -> DsRes<DossierPage> {
        let (ds, permit) = tryds!(self.ds_read("dossiers", Some(demarche), None));
        let page = tryds!(
            ds.client
                .dossiers(&permit, demarche, &filter(f), after.as_deref())
                .await
                .map_err(convert::error)
        );
        for d in &page.items {
            ds.remember(d.number, d.key(), d.demarche);
        }
        Ok(Ok(DossierPage {
            dossiers: page
                .items
                .iter()
                .map(|d| convert::dossier(d, &mut self.ds_files))
                .collect(),
            end_cursor: page.end_cursor,
            has_next_page: page.has_next_page,
            unread: page.unread.iter().map(convert::unread).collect(),
        }))
    }

    async fn deleted_dossiers(
        &mut self,
        demarche: i64,
        since: Option<String>,
        after: Option<String>,
    ) -> DsRes<DeletedPage> {
        let (ds, permit) = tryds!(self.ds_read("deleted-dossiers", Some(demarche), None));
        let page = ds
            .client
            .deleted_dossiers(&permit, demarche, since.as_deref(), after.as_deref(), None)
            .await;
        Ok(page.map(deleted_page).map_err(convert::error))
    }

    async fn pending_deleted_dossiers(
        &mut self,
        demarche: i64,
        since: Option<String>,
        after: Option<String>,
    ) -> DsRes<DeletedPage> {
        let (ds, permit) = tryds!(self.ds_read("pending-deleted-dossiers", Some(demarche), None));
        let page = ds
            .client
            .pending_deleted_dossiers(&permit, demarche, since.as_deref(), after.as_deref(), None)
            .await;
        Ok(page.map(deleted_page).map_err(convert::error))
    }

    async fn messages(&mut self, dossier: i64) -> DsRes<Vec<Message>> {
        let (ds, at) = tryds!(self.ds_read_dossier("messages", dossier).await);
        let list = tryds!(
            ds.client
                .messages(&at.permit, dossier)
                .await
                .map_err(convert::error)
        );
        Ok(Ok(list
            .iter()
            .map(|m| convert::message(m, &mut self.ds_files, dossier))
            .collect()))
    }

    async fn passer_en_instruction(
        &mut self,
        dossier: i64,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let t = Transition::simple(Kind::PasserEnInstruction, S::EnInstruction, notify_off);
        self.transition(dossier, DsAction::PasserEnInstruction, t)
            .await
    }

    async fn accepter(
        &mut self,
        dossier: i64,
        motivation: Option<String>,
        justificatif: Option<Resource<BlobEntry>>,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let mut t = Transition::simple(Kind::Accepter, S::Accepte, notify_off);
        (t.motivation, t.justificatif) = (motivation, justificatif);
        self.transition(dossier, DsAction::Accepter, t).await
    }

    async fn refuser(
        &mut self,
        dossier: i64,
        motivation: String,
        justificatif: Option<Resource<BlobEntry>>,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let mut t = Transition::simple(Kind::Refuser, S::Refuse, notify_off);
        (t.motivation, t.justificatif) = (Some(motivation), justificatif);
        self.transition(dossier, DsAction::Refuser, t).await
    }

    async fn classer_sans_suite(
        &mut self,
        dossier: i64,
        motivation: String,
        justificatif: Option<Resource<BlobEntry>>,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let mut t = Transition::simple(Kind::ClasserSansSuite, S::SansSuite, notify_off);
        (t.motivation, t.justificatif) = (Some(motivation), justificatif);
        self.transition(dossier, DsAction::ClasserSansSuite, t)
            .await
    }

    async fn repasser_en_instruction(
        &mut self,
        dossier: i64,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let t = Transition::simple(Kind::RepasserEnInstruction, S::EnInstruction, notify_off);
        self.transition(dossier, DsAction::Repasser, t).await
    }

    async fn repasser_en_construction(
        &mut self,
        dossier: i64,
        notify_off: bool,
    ) -> DsRes<DossierState> {
        let t = Transition::simple(Kind::RepasserEnConstruction, S::EnConstruction, notify_off);
        self.transition(dossier, DsAction::Repasser, t).await
    }

    async fn envoyer_message(
        &mut self,
        dossier: i64,
        body: String,
        attachment: Option<Resource<BlobEntry>>,
        correction: Option<CorrectionReason>,
    ) -> DsRes<()> {
        // The attachment leaves the host too: it counts in the gate's
        // decision and in the ledger, not only the body.
        let attached = match &attachment {
            Some(blob) => self.table.get(blob)?.info().size,
            None => 0,
        };
        let bytes = body.len() as u64 + attached;
        let asks_correction = correction.is_some();
        let correction = tryds!(correction.map(convert::correction_back).transpose());
        let p = tryds!(self.prepare(dossier, DsAction::Message, bytes).await);
        if self.needs_approval(DsAction::Message) {
            let correction = correction.map(super::propose::correction_name);
            let asked = super::propose::Asked {
                action: DsAction::Message,
                motivation: Some(&body),
                justificatif: attachment,
                disable_notification: false,
                correction: correction.as_deref(),
            };
            return Ok(Err(self.propose(&p, dossier, asked).await?));
        }
        let operation = content_key("dossierEnvoyerMessage", body.as_bytes());
        let check = Check::Message(&body);
        let intent = match tryds!(
            self.begin_mutation(&p, dossier, &operation, bytes, check)
                .await
        ) {
            super::journaled::Replay::Send(id) => id,
            super::journaled::Replay::AlreadyApplied => {
                self.asked_correction(dossier, asks_correction);
                return Ok(Ok(()));
            }
        };
        let attachment = tryds!(self.upload_blob(&p, attachment).await?);
        let sent = p
            .client
            .envoyer_message(
                &p.permit,
                &p.key,
                &p.instructeur,
                &body,
                attachment.as_deref(),
                correction,
            )
            .await;
        tryds!(self.end_mutation(intent, &sent));
        if sent.is_ok() {
            self.asked_correction(dossier, asks_correction);
        }
        Ok(sent.map(|_| ()).map_err(convert::error))
    }

    async fn modifier_annotations(
        &mut self,
        dossier: i64,
        annotations: Vec<AnnotationInput>,
    ) -> DsRes<()> {
        let bytes = annotations.iter().map(|a| annotation_bytes(&a.value)).sum();
        let inputs: Vec<_> = annotations.into_iter().map(convert::annotation).collect();
        let key = content_key(
            "dossierModifierAnnotations",
            format!("{inputs:?}").as_bytes(),
        );
        let send = move |p: Prepared| async move {
            p.client
                .modifier_annotations(&p.permit, &p.key, &p.instructeur, &inputs)
                .await
                .map(|_| ())
        };
        self.simple_mutation(
            dossier,
            DsAction::Annotations,
            bytes,
            &key,
            Check::Resend,
            send,
        )
        .await
    }

    async fn archiver(&mut self, dossier: i64) -> DsRes<()> {
        let check = Check::Expect(Expectation::Archived);
        let send = |p: Prepared| async move {
            p.client
                .archiver(&p.permit, &p.key, &p.instructeur)
                .await
                .map(|_| ())
        };
        self.simple_mutation(
            dossier,
            DsAction::Archiver,
            0,
            "dossierArchiver",
            check,
            send,
        )
        .await
    }

    async fn ajouter_label(&mut self, dossier: i64, label_id: String) -> DsRes<()> {
        self.label(dossier, label_id, true).await
    }

    async fn supprimer_label(&mut self, dossier: i64, label_id: String) -> DsRes<()> {
        self.label(dossier, label_id, false).await
    }

    async fn attachment(&mut self, file: DsFile) -> DsRes<Resource<BlobEntry>> {
        let Some(seen) = self.ds_files.get(&file.reference).cloned() else {
            return Ok(Err(DsError::NotFound(format!(
                "no file `{}` was read in this item",
                file.reference
            ))));
        };
        let (ds, permit) = tryds!(self.ds_read("attachment", None, Some(seen.dossier)));
        // Streamed to a fresh spool file (checksum checked by the client as
        // the bytes arrive); the file is never held whole in memory.
        let prefix = format!("ds-{}-", seen.dossier);
        let dest = BlobEntry::reserve(&permit, &self.run.spool, &prefix);
        let dest = tryds!(dest.map_err(|e| DsError::Unavailable(format!("spool: {e}"))));
        // The client hashes the SHA-256 in the same pass as DS's MD5.
        // An expired URL is refreshed once, by reading the dossier again.
        let fresh = ds
            .client
            .download_fresh(&permit, seen.dossier, &seen.file, &dest);
        let done = match fresh.await {
            Ok(done) => done,
            Err(e) => {
                let _ = std::fs::remove_file(&dest);
                return Ok(Err(convert::error(e)));
            }
        };
        let source = Provenance::DsAttachment(AttachmentSource {
            dossier: seen.dossier,
            champ_id: seen.champ_id.clone(),
        });
        let file = (dest.clone(), &*seen.file.filename, &*seen.file.content_type);
        let entry = BlobEntry::adopt_hashed(&permit, file, (done.size, &done.sha256), source);
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let _ = std::fs::remove_file(&dest);
                return Ok(Err(DsError::Unavailable(format!("spool: {e}"))));
            }
        };
        // `ds-error` has no `limit`: a host limit reads as DS's `rejected`,
        // like the DS client's own limits.
        Ok(self
            .keep_blob(("ds", "attachment"), entry)
            .map_err(|e| DsError::Rejected(crate::capabilities::handles::error_text(&e))))
    }
}

fn deleted_page(p: pont_ds::Page<pont_ds::DeletedDossier>) -> DeletedPage {
    DeletedPage {
        dossiers: p.items.iter().map(convert::deleted).collect(),
        end_cursor: p.end_cursor,
        has_next_page: p.has_next_page,
    }
}

/// What an annotation sends out, for the ledger and the budget: its value as text.
fn annotation_bytes(value: &AnnotationValue) -> u64 {
    use AnnotationValue as A;
    let n = match value {
        A::Text(t)
        | A::Textarea(t)
        | A::Email(t)
        | A::Date(t)
        | A::Datetime(t)
        | A::DropDown(t) => t.len(),
        A::Checkbox(b) | A::YesNo(b) => b.to_string().len(),
        A::Integer(i) => i.to_string().len(),
        A::Decimal(d) => d.to_string().len(),
        A::MultipleDropDown(list) => list.iter().map(String::len).sum(),
        A::AddRows(_) => 0,
    };
    n as u64
}
