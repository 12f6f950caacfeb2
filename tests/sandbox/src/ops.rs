//! Mutations applied to the world, with DS's guards in DS's order: read-only token, blob
//! integrity (`ready?`), loading ids (`not_found`), then state and instructeur checks
//! (`authorized?`). Each call writes exactly one mutation-log entry, applied or not.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::*;
use crate::util;
use crate::world::{Caller, State as WorldState, World};

/// A top-level GraphQL error (not a payload error): message and `extensions.code`.
#[derive(Debug, Clone)]
pub struct TopError {
    pub message: String,
    pub code: &'static str,
}

/// Payload-level outcome: done, or DS's French message in `errors`.
pub type Outcome<T> = Result<T, String>;

pub const READ_ONLY: &str = "Le jeton utilisé est configuré seulement en lecture";
pub const NO_ACCESS: &str = "L’instructeur n’a pas les droits d’accès à ce dossier";
pub const BLOB_MISSING: &str =
    "Le fichier n’a pas été correctement téléversé sur le serveur de stockage";
pub const BLOB_INVALID: &str = "L’identifiant du fichier téléversé est invalide";
pub const BLOB_HASH: &str = "Le hash du fichier téléversé est invalide";
pub const ARCHIVE_GUARD: &str =
    "Un dossier ne peut être déplacé dans « à archiver » qu’une fois le traitement terminé";

/// State-changing mutations sharing one shape (dossierId + instructeurId).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    PasserEnInstruction,
    RepasserEnConstruction,
    Accepter,
    Refuser,
    ClasserSansSuite,
    RepasserEnInstruction,
    Archiver,
}

impl Transition {
    pub fn operation(self) -> &'static str {
        match self {
            Transition::PasserEnInstruction => "dossierPasserEnInstruction",
            Transition::RepasserEnConstruction => "dossierRepasserEnConstruction",
            Transition::Accepter => "dossierAccepter",
            Transition::Refuser => "dossierRefuser",
            Transition::ClasserSansSuite => "dossierClasserSansSuite",
            Transition::RepasserEnInstruction => "dossierRepasserEnInstruction",
            Transition::Archiver => "dossierArchiver",
        }
    }
    fn payload(self) -> String {
        let op = self.operation();
        format!("{}{}Payload", op[..1].to_uppercase(), &op[1..])
    }
}

/// One `AnnotationValueInput` (oneOf).
#[derive(Debug, Clone)]
pub enum AnnotationValue {
    Text(String),
    Textarea(String),
    Email(String),
    Checkbox(bool),
    YesNo(bool),
    Date(NaiveDate),
    Datetime(DateTime<Utc>),
    IntegerNumber(i64),
    DecimalNumber(f64),
    DropDownList(String),
    MultipleDropDownList(Vec<String>),
    Repetition(i32),
}

/// What `createDirectUpload` returns.
#[derive(Debug, Clone)]
pub struct DirectUploadData {
    pub url: String,
    pub headers: String,
    pub blob_id: String,
    pub signed_blob_id: String,
}

type Loaded = (Arc<DossierRecord>, Arc<DemarcheRecord>);
/// Inner result of `envoyer_message`: (dossier number for the log, outcome with log text).
type MessageResult =
    Result<(Option<i64>, Outcome<(MessageRecord, String)>), (Option<i64>, TopError)>;

pub(crate) fn not_found(payload: &str) -> TopError {
    TopError {
        message: format!("{payload} not found"),
        code: "not_found",
    }
}

pub(crate) fn load_dossier(
    st: &WorldState,
    caller: &Caller,
    id: &str,
    payload: &str,
) -> Result<Loaded, TopError> {
    let n = util::decode_typed(id, "Dossier").ok_or_else(|| not_found(payload))?;
    let d = st
        .dossiers
        .get(&n)
        .filter(|d| d.hidden_at.is_none())
        .cloned()
        .ok_or_else(|| not_found(payload))?;
    if !caller.can_see(d.demarche) {
        return Err(TopError {
            message: "An object of type Dossier was hidden due to permissions".into(),
            code: "unauthorized",
        });
    }
    let dem = st
        .demarches
        .get(&d.demarche)
        .cloned()
        .ok_or_else(|| not_found(payload))?;
    Ok((d, dem))
}

pub(crate) fn load_instructeur(
    st: &WorldState,
    id: &str,
    payload: &str,
) -> Result<InstructeurRecord, TopError> {
    let n = util::decode_typed(id, "Instructeur").ok_or_else(|| not_found(payload))?;
    st.instructeurs
        .get(&n)
        .cloned()
        .ok_or_else(|| not_found(payload))
}

pub(crate) fn has_access(dem: &DemarcheRecord, d: &DossierRecord, instructeur: i64) -> bool {
    dem.groupes
        .iter()
        .any(|g| g.number == d.groupe && g.instructeurs.contains(&instructeur))
}

/// Signed blob ids look like ActiveStorage's: payload `--` signature.
pub fn signed_blob_id(secret: &[u8], blob: u64) -> String {
    let payload = util::b64url(&format!("blob-{blob}"));
    let sig = util::sign(secret, &format!("blob:{payload}"));
    format!("{payload}--{sig}")
}

fn blob_from_signed(secret: &[u8], signed: &str) -> Option<u64> {
    let (payload, sig) = signed.split_once("--")?;
    if !util::verify(secret, &format!("blob:{payload}"), sig) {
        return None;
    }
    util::unb64url(payload)?.strip_prefix("blob-")?.parse().ok()
}

/// DS's `validate_blob`: the blob must exist, be uploaded and match its checksum. A blob whose
/// bytes do not match is purged so nothing half-stored stays around.
fn validate_blob(st: &mut WorldState, secret: &[u8], signed: &str) -> Outcome<Arc<FileRecord>> {
    let id = blob_from_signed(secret, signed).ok_or(BLOB_INVALID)?;
    let blob = st.blobs.get(&id).cloned().ok_or(BLOB_INVALID)?;
    let data = blob.data.clone().ok_or(BLOB_MISSING)?;
    if util::md5_base64(&data) != blob.checksum {
        if let Some(b) = st.blobs.get_mut(&id) {
            b.data = None;
        }
        return Err(BLOB_HASH.into());
    }
    let file = st.files.get(&id).cloned().unwrap_or_else(|| {
        Arc::new(FileRecord {
            id,
            filename: blob.filename.clone(),
            content_type: blob.content_type.clone(),
            created_at: Utc::now(),
            content: Content::Bytes(data),
            checksum: OnceLock::from(blob.checksum.clone()),
            lie: FileLie::default(),
        })
    });
    Ok(file)
}

fn traitement(
    st: &mut WorldState,
    event: Event,
    state: crate::model::State,
    email: Option<String>,
    motivation: Option<String>,
) -> TraitementRecord {
    TraitementRecord {
        id: st.next_id(),
        event,
        state,
        at: Utc::now(),
        email,
        motivation,
    }
}

impl World {
    /// State changes and archiving. `Ok(Err(msg))` is a payload error.
    pub fn transition(
        &self,
        caller: &Caller,
        t: Transition,
        dossier_id: &str,
        instructeur_id: &str,
        motivation: Option<String>,
        justificatif: Option<&str>,
    ) -> Result<Outcome<Loaded>, TopError> {
        let mut st = self.lock();
        let op = t.operation();
        let r = self.transition_inner(
            &mut st,
            caller,
            t,
            dossier_id,
            instructeur_id,
            motivation,
            justificatif,
        );
        let (number, transition, error) = match &r {
            Ok((n, Ok((d, _)), from)) => (
                *n,
                Some(format!(
                    "{}→{}",
                    from.as_str(),
                    if t == Transition::Archiver {
                        "archived"
                    } else {
                        d.state.as_str()
                    }
                )),
                None,
            ),
            Ok((n, Err(m), _)) => (*n, None, Some(m.clone())),
            Err((n, e)) => (*n, None, Some(e.message.clone())),
        };
        World::log(&mut st, caller, op, number, transition, error);
        match r {
            Ok((_, o, _)) => Ok(o),
            Err((_, e)) => Err(e),
        }
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn transition_inner(
        &self,
        st: &mut WorldState,
        caller: &Caller,
        t: Transition,
        dossier_id: &str,
        instructeur_id: &str,
        motivation: Option<String>,
        justificatif: Option<&str>,
    ) -> Result<(Option<i64>, Outcome<Loaded>, crate::model::State), (Option<i64>, TopError)> {
        use crate::model::State as S;
        let payload = t.payload();
        let fallback = S::EnConstruction;
        if !caller.write {
            return Ok((
                util::decode_typed(dossier_id, "Dossier"),
                Err(READ_ONLY.into()),
                fallback,
            ));
        }
        let file = match justificatif {
            Some(j) => match validate_blob(st, &self.secret, j) {
                Ok(f) => Some(f),
                Err(m) => return Ok((util::decode_typed(dossier_id, "Dossier"), Err(m), fallback)),
            },
            None => None,
        };
        let (d, dem) = load_dossier(st, caller, dossier_id, &payload).map_err(|e| (None, e))?;
        let n = Some(d.number);
        let instructeur = load_instructeur(st, instructeur_id, &payload).map_err(|e| (n, e))?;
        let from = d.state;
        let terminer = matches!(
            t,
            Transition::Accepter | Transition::Refuser | Transition::ClasserSansSuite
        );
        // DS checks the degraded SIRET first, and only on a dossier en instruction.
        if terminer
            && from == S::EnInstruction
            && crate::guards::any_degraded(&d, &st.faults.degraded_sirets)
        {
            return Ok((n, Err(crate::guards::DEGRADED_SIRET.into()), from));
        }
        let ok_state = match t {
            Transition::PasserEnInstruction => from == S::EnConstruction,
            Transition::RepasserEnConstruction
            | Transition::Accepter
            | Transition::Refuser
            | Transition::ClasserSansSuite => from == S::EnInstruction,
            Transition::RepasserEnInstruction | Transition::Archiver => from.is_termine(),
        };
        if !ok_state {
            let msg = if t == Transition::Archiver {
                ARCHIVE_GUARD.to_owned()
            } else {
                format!("Le dossier est déjà {}", from.display_lower())
            };
            return Ok((n, Err(msg), from));
        }
        if !has_access(&dem, &d, instructeur.id) {
            return Ok((n, Err(NO_ACCESS.into()), from));
        }
        let now = Utc::now();
        let mut rec = (*d).clone();
        let email = Some(instructeur.email.clone());
        let (event, to) = match t {
            Transition::PasserEnInstruction => (Some(Event::PasseEnInstruction), S::EnInstruction),
            Transition::RepasserEnConstruction => {
                (Some(Event::RepasseEnConstruction), S::EnConstruction)
            }
            Transition::Accepter => (Some(Event::Accepte), S::Accepte),
            Transition::Refuser => (Some(Event::Refuse), S::Refuse),
            Transition::ClasserSansSuite => (Some(Event::ClasseSansSuite), S::SansSuite),
            Transition::RepasserEnInstruction => {
                (Some(Event::RepasseEnInstruction), S::EnInstruction)
            }
            Transition::Archiver => (None, from),
        };
        match t {
            Transition::PasserEnInstruction => {
                rec.en_instruction_at = Some(now);
                // DS's `after_passer_en_instruction` resolves a pending correction.
                crate::applicant::resolve_pending_corrections(&mut rec, now);
            }
            Transition::RepasserEnConstruction => rec.en_instruction_at = None,
            Transition::Accepter | Transition::Refuser | Transition::ClasserSansSuite => {
                rec.traite_at = Some(now);
                rec.motivation = motivation.clone();
                if let Some(f) = &file {
                    st.files.insert(f.id, f.clone());
                    st.blobs.remove(&f.id);
                }
                rec.justificatif = file;
            }
            Transition::RepasserEnInstruction => {
                rec.traite_at = None;
                rec.motivation = None;
                rec.justificatif = None;
                rec.archived = false;
            }
            Transition::Archiver => rec.archived = true,
        }
        rec.state = to;
        if let Some(ev) = event {
            let tr = traitement(
                st,
                ev,
                to,
                email,
                if to.is_termine() { motivation } else { None },
            );
            rec.traitements.push(tr);
        }
        if !rec.followers.contains(&instructeur.id) && t != Transition::Archiver {
            rec.followers.push(instructeur.id);
        }
        rec.updated_at = now;
        let rec = Arc::new(rec);
        st.dossiers.insert(rec.number, rec.clone());
        Ok((n, Ok((rec, dem)), from))
    }

    /// `dossierEnvoyerMessage`; a correction sends an en_instruction dossier back to
    /// en_construction, and is refused while one is pending or once the dossier is terminated.
    pub fn envoyer_message(
        &self,
        caller: &Caller,
        dossier_id: &str,
        instructeur_id: &str,
        body: String,
        attachment: Option<&str>,
        correction: Option<CorrectionReasonKind>,
    ) -> Result<Outcome<MessageRecord>, TopError> {
        let mut st = self.lock();
        let payload = "DossierEnvoyerMessagePayload";
        let guess = util::decode_typed(dossier_id, "Dossier");
        let r: MessageResult = (|| {
            if !caller.write {
                return Ok((guess, Err(READ_ONLY.into())));
            }
            let file = match attachment {
                Some(a) => match validate_blob(&mut st, &self.secret, a) {
                    Ok(f) => Some(f),
                    Err(m) => return Ok((guess, Err(m))),
                },
                None => None,
            };
            let (d, dem) = load_dossier(&st, caller, dossier_id, payload).map_err(|e| (None, e))?;
            let n = Some(d.number);
            let instructeur = load_instructeur(&st, instructeur_id, payload).map_err(|e| (n, e))?;
            // DS's `authorized?` checks the correction before the instructeur's access.
            if let Some(m) = correction.and_then(|_| crate::guards::correction_refusal(&d)) {
                return Ok((n, Err(m)));
            }
            if !has_access(&dem, &d, instructeur.id) {
                return Ok((n, Err(NO_ACCESS.into())));
            }
            if body.trim().is_empty() {
                return Ok((n, Err("Votre message ne peut être vide".into())));
            }
            let now = Utc::now();
            let mut rec = (*d).clone();
            let msg = MessageRecord {
                id: st.next_id(),
                email: instructeur.email.clone(),
                body,
                created_at: now,
                attachments: file.iter().cloned().collect(),
                correction: correction
                    .filter(|_| !rec.state.is_termine())
                    .map(|c| (c, None)),
                discarded_at: None,
            };
            if let Some(f) = &file {
                st.files.insert(f.id, f.clone());
                st.blobs.remove(&f.id);
            }
            let mut effect = "message".to_owned();
            if msg.correction.is_some() && rec.state == crate::model::State::EnInstruction {
                rec.state = crate::model::State::EnConstruction;
                rec.en_instruction_at = None;
                let tr = traitement(
                    &mut st,
                    Event::RepasseEnConstruction,
                    rec.state,
                    Some(instructeur.email.clone()),
                    None,
                );
                rec.traitements.push(tr);
                effect = "message+correction: en_instruction→en_construction".into();
            } else if msg.correction.is_some() {
                effect = "message+correction".into();
            }
            rec.messages.push(msg.clone());
            rec.updated_at = now;
            st.dossiers.insert(rec.number, Arc::new(rec));
            Ok((n, Ok((msg, effect))))
        })();
        match r {
            Ok((n, Ok((msg, effect)))) => {
                World::log(
                    &mut st,
                    caller,
                    "dossierEnvoyerMessage",
                    n,
                    Some(effect),
                    None,
                );
                Ok(Ok(msg))
            }
            Ok((n, Err(m))) => {
                World::log(
                    &mut st,
                    caller,
                    "dossierEnvoyerMessage",
                    n,
                    None,
                    Some(m.clone()),
                );
                Ok(Err(m))
            }
            Err((n, e)) => {
                World::log(
                    &mut st,
                    caller,
                    "dossierEnvoyerMessage",
                    n,
                    None,
                    Some(e.message.clone()),
                );
                Err(e)
            }
        }
    }

    /// `dossierAjouterLabel` (add = true) and `dossierSupprimerLabel`.
    pub fn label(
        &self,
        caller: &Caller,
        add: bool,
        dossier_id: &str,
        label_id: &str,
    ) -> Result<Outcome<(Loaded, LabelRecord)>, TopError> {
        let mut st = self.lock();
        let (op, payload) = if add {
            ("dossierAjouterLabel", "DossierAjouterLabelPayload")
        } else {
            ("dossierSupprimerLabel", "DossierSupprimerLabelPayload")
        };
        let guess = util::decode_typed(dossier_id, "Dossier");
        if !caller.write {
            World::log(&mut st, caller, op, guess, None, Some(READ_ONLY.into()));
            return Ok(Err(READ_ONLY.into()));
        }
        let loaded = load_dossier(&st, caller, dossier_id, payload).and_then(|l| {
            let lid = util::decode_typed(label_id, "Label").ok_or_else(|| not_found(payload))?;
            let label = st
                .demarches
                .values()
                .flat_map(|d| d.labels.iter())
                .find(|l| l.id == lid)
                .cloned()
                .ok_or_else(|| not_found(payload))?;
            Ok((l, label))
        });
        let ((d, dem), label) = match loaded {
            Ok(x) => x,
            Err(e) => {
                World::log(&mut st, caller, op, guess, None, Some(e.message.clone()));
                return Err(e);
            }
        };
        let has = d.labels.contains(&label.id);
        let guard = if add && has {
            Some("Ce label est déjà associé au dossier")
        } else if add && !dem.labels.iter().any(|l| l.id == label.id) {
            Some("Ce label n’appartient pas à la même démarche que le dossier")
        } else if !add && !has {
            Some("Ce label n’est pas associé au dossier")
        } else {
            None
        };
        if let Some(m) = guard {
            World::log(&mut st, caller, op, Some(d.number), None, Some(m.into()));
            return Ok(Err(m.into()));
        }
        let mut rec = (*d).clone();
        if add {
            rec.labels.push(label.id);
        } else {
            rec.labels.retain(|l| *l != label.id);
        }
        rec.updated_at = Utc::now();
        let rec = Arc::new(rec);
        st.dossiers.insert(rec.number, rec.clone());
        World::log(
            &mut st,
            caller,
            op,
            Some(rec.number),
            Some(format!(
                "{}label {}",
                if add { "+" } else { "-" },
                label.name
            )),
            None,
        );
        Ok(Ok(((rec, dem), label)))
    }
}
