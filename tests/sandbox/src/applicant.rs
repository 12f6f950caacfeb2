//! The applicant's side of DS, which the GraphQL API does not offer: the usager edits champs,
//! answers a correction request or writes to the instructeurs. Tests use it to change a dossier
//! under a robot's feet (a new episode). `POST /__sandbox/dossiers/{number}/applicant` and
//! [`crate::Sandbox::applicant_edit`] share this one implementation.
//!
//! DS's rules kept: the usager edits champs, never annotations, and only en construction; a
//! submitted edit resolves the pending correction (`submit_en_construction!` calls
//! `resolve_pending_correction!`); every action moves `dateDerniereModification`, and only a
//! champ whose value really changed moves `dateDerniereModificationChamps`. These are not API
//! mutations, so they stay out of the mutation log (which counts what robots sent).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::model::{self, ChampRecord, DemarcheRecord, Descriptor, DossierRecord, Kind};
use crate::model::{MessageRecord, Value};
use crate::util;
use crate::world::{State as WorldState, World};

/// Which champ to edit.
#[derive(Debug, Clone, PartialEq)]
pub enum ChampRef {
    /// The type de champ's stable id (`démarche*1000+k` in the seeded démarches).
    StableId(u64),
    /// The GraphQL `Champ.id` (base64 of `Champ-<stable_id>`).
    Id(String),
    /// The champ's label, exactly as the démarche spells it.
    Label(String),
}

/// A new value; the champ's type decides what it may be. Dates are text (`YYYY-MM-DD`, or
/// RFC 3339 for a date-time), a drop-down takes one of its options, a civilité "M" or "Mme".
#[derive(Debug, Clone, PartialEq)]
pub enum ChampValue {
    /// Clears an optional champ.
    Empty,
    Text(String),
    Integer(i64),
    Decimal(f64),
    Bool(bool),
}

/// One champ and its new value.
#[derive(Debug, Clone, PartialEq)]
pub struct ChampEdit {
    pub champ: ChampRef,
    pub value: ChampValue,
}

impl ChampEdit {
    pub fn label(label: impl Into<String>, value: ChampValue) -> ChampEdit {
        ChampEdit {
            champ: ChampRef::Label(label.into()),
            value,
        }
    }
    pub fn stable_id(stable_id: u64, value: ChampValue) -> ChampEdit {
        ChampEdit {
            champ: ChampRef::StableId(stable_id),
            value,
        }
    }
}

/// One thing the applicant does to a dossier.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplicantEdit {
    /// Changes champs and submits them, all or nothing; resolves a pending correction.
    Champs(Vec<ChampEdit>),
    /// Marks the pending correction request as dealt with, optionally with a message.
    AnswerCorrection { body: Option<String> },
    /// A message from the usager to the instructeurs.
    Message { body: String },
}

impl ApplicantEdit {
    pub fn message(body: impl Into<String>) -> ApplicantEdit {
        ApplicantEdit::Message { body: body.into() }
    }
}

/// What an applied edit did.
#[derive(Debug, Clone)]
pub struct ApplicantOutcome {
    /// The dossier after the edit.
    pub dossier: Arc<DossierRecord>,
    /// Stable ids of the champs whose value changed (an unchanged value is not a change).
    pub changed: Vec<u64>,
    /// Whether a pending correction request was resolved.
    pub correction_resolved: bool,
    /// The usager's message, if one was posted.
    pub message: Option<MessageRecord>,
}

/// Why an edit was not applied; nothing changed in that case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplicantError {
    #[error("unknown dossier {0}")]
    UnknownDossier(i64),
    /// The request itself is wrong (bad body, unknown champ, value of the wrong type).
    #[error("invalid applicant edit: {0}")]
    Invalid(String),
    /// The request is fine but DS would not allow it in the dossier's current state.
    #[error("refused: {0}")]
    Refused(String),
}

impl ApplicantError {
    /// HTTP status of the control route: 404, 400 or 422.
    pub fn status(&self) -> StatusCode {
        match self {
            ApplicantError::UnknownDossier(_) => StatusCode::NOT_FOUND,
            ApplicantError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApplicantError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

use ApplicantError::{Invalid, Refused};

/// What one action changed, before it is stored.
#[derive(Default)]
struct Effects {
    changed: Vec<u64>,
    correction_resolved: bool,
    message: Option<MessageRecord>,
}

impl World {
    /// Applies `edit` as the usager of dossier `number` would, at the current time.
    pub fn applicant_edit(
        &self,
        number: i64,
        edit: ApplicantEdit,
    ) -> Result<ApplicantOutcome, ApplicantError> {
        let mut st = self.lock();
        let (d, dem) = load(&st, number)?;
        let mut rec = (*d).clone();
        let now = Utc::now();
        let fx = match edit {
            ApplicantEdit::Champs(list) => edit_champs(&dem, &mut rec, &list, now)?,
            ApplicantEdit::AnswerCorrection { body } => answer(&mut st, &mut rec, body, now)?,
            ApplicantEdit::Message { body } => send(&mut st, &mut rec, body, now)?,
        };
        rec.updated_at = now;
        let rec = Arc::new(rec);
        st.dossiers.insert(number, rec.clone());
        Ok(ApplicantOutcome {
            dossier: rec,
            changed: fx.changed,
            correction_resolved: fx.correction_resolved,
            message: fx.message,
        })
    }
}

fn load(
    st: &WorldState,
    number: i64,
) -> Result<(Arc<DossierRecord>, Arc<DemarcheRecord>), ApplicantError> {
    let d = st
        .dossiers
        .get(&number)
        .cloned()
        .ok_or(ApplicantError::UnknownDossier(number))?;
    if d.hidden_at.is_some() {
        return Err(Refused(format!("dossier {number} is deleted")));
    }
    let dem = st
        .demarches
        .get(&d.demarche)
        .cloned()
        .ok_or(ApplicantError::UnknownDossier(number))?;
    Ok((d, dem))
}

/// DS's `resolve_pending_correction!`: every correction request not yet resolved is, now.
/// Also called when an instructeur passes the dossier en instruction, as DS does.
pub(crate) fn resolve_pending_corrections(rec: &mut DossierRecord, now: DateTime<Utc>) -> bool {
    let mut any = false;
    for m in &mut rec.messages {
        if let Some((_, at)) = &mut m.correction
            && at.is_none()
        {
            *at = Some(now);
            any = true;
        }
    }
    any
}

pub(crate) fn has_pending_correction(rec: &DossierRecord) -> bool {
    rec.messages
        .iter()
        .any(|m| matches!(m.correction, Some((_, None))))
}

fn edit_champs(
    dem: &DemarcheRecord,
    rec: &mut DossierRecord,
    list: &[ChampEdit],
    now: DateTime<Utc>,
) -> Result<Effects, ApplicantError> {
    if list.is_empty() {
        return Err(Invalid("no champ to change".into()));
    }
    let typed = list
        .iter()
        .map(|e| find_champ(dem, &e.champ).and_then(|d| Ok((d.stable_id, convert(d, &e.value)?))))
        .collect::<Result<Vec<_>, _>>()?;
    require_en_construction(rec, "edit its champs")?;
    let mut changed = Vec::new();
    for (id, value) in typed {
        if set_champ(rec, id, value, now) && !changed.contains(&id) {
            changed.push(id);
        }
    }
    let correction_resolved = resolve_pending_corrections(rec, now);
    Ok(Effects {
        changed,
        correction_resolved,
        message: None,
    })
}

fn require_en_construction(rec: &DossierRecord, what: &str) -> Result<(), ApplicantError> {
    if rec.state == model::State::EnConstruction {
        return Ok(());
    }
    Err(Refused(format!(
        "dossier {} is {}: DS lets the applicant {what} only en construction",
        rec.number,
        rec.state.display_lower()
    )))
}

/// Sets a top-level champ; false when the value was already that one (DS then leaves the
/// champ's `updated_at`, hence `dateDerniereModificationChamps`, alone).
fn set_champ(rec: &mut DossierRecord, stable_id: u64, value: Value, now: DateTime<Utc>) -> bool {
    match rec.champs.iter_mut().find(|c| c.stable_id == stable_id) {
        Some(c) if c.value == value => false,
        Some(c) => {
            c.value = value;
            c.updated_at = now;
            true
        }
        None => {
            rec.champs.push(ChampRecord {
                stable_id,
                value,
                updated_at: now,
            });
            true
        }
    }
}

fn find_champ<'a>(dem: &'a DemarcheRecord, r: &ChampRef) -> Result<&'a Descriptor, ApplicantError> {
    match r {
        ChampRef::StableId(id) => by_stable_id(dem, *id, &id.to_string()),
        ChampRef::Id(gid) => match util::decode_champ_id(gid) {
            Some((id, None)) => by_stable_id(dem, id, gid),
            Some((_, Some(_))) => Err(in_repetition(gid)),
            None => Err(Invalid(format!("{gid:?} is not a champ id"))),
        },
        ChampRef::Label(label) => by_label(dem, label),
    }
}

fn by_stable_id<'a>(
    dem: &'a DemarcheRecord,
    id: u64,
    shown: &str,
) -> Result<&'a Descriptor, ApplicantError> {
    if let Some(d) = dem.champs.iter().find(|d| d.stable_id == id) {
        return Ok(d);
    }
    if DemarcheRecord::find_descriptor(&dem.champs, id).is_some() {
        return Err(in_repetition(shown));
    }
    let annotation = DemarcheRecord::find_descriptor(&dem.annotations, id).is_some();
    Err(missing(dem, shown, annotation))
}

fn by_label<'a>(dem: &'a DemarcheRecord, label: &str) -> Result<&'a Descriptor, ApplicantError> {
    let mut found = dem.champs.iter().filter(|d| d.label == label.trim());
    match (found.next(), found.next()) {
        (Some(d), None) => Ok(d),
        (Some(_), Some(_)) => Err(Invalid(format!(
            "several champs of démarche {} are labelled {label:?}: name it by stable_id",
            dem.number
        ))),
        (None, _) => {
            let annotation = dem.annotations.iter().any(|d| d.label == label.trim());
            Err(missing(dem, &format!("{label:?}"), annotation))
        }
    }
}

fn in_repetition(shown: &str) -> ApplicantError {
    Invalid(format!(
        "champ {shown} is inside a repetition: only top-level champs can be edited"
    ))
}

fn missing(dem: &DemarcheRecord, shown: &str, annotation: bool) -> ApplicantError {
    if annotation {
        return Invalid(format!(
            "{shown} is a private annotation of démarche {}: the applicant never edits annotations",
            dem.number
        ));
    }
    Invalid(format!("démarche {} has no champ {shown}", dem.number))
}

/// The stored value for `v` in champ `desc`, or why it does not fit.
fn convert(desc: &Descriptor, v: &ChampValue) -> Result<Value, ApplicantError> {
    let Some(expected) = expects(&desc.kind) else {
        return Err(Invalid(format!(
            "champ {:?} is of a type the sandbox cannot edit (text, number, yes/no, checkbox, \
             civilité, date, date-time and drop-down champs only)",
            desc.label
        )));
    };
    match (v, desc.required) {
        (ChampValue::Empty, true) => Err(Invalid(format!(
            "champ {:?} is required: it cannot be emptied",
            desc.label
        ))),
        (ChampValue::Empty, false) => Ok(Value::Empty),
        _ => typed(&desc.kind, v)
            .ok_or_else(|| Invalid(format!("champ {:?} takes {expected}", desc.label))),
    }
}

fn typed(kind: &Kind, v: &ChampValue) -> Option<Value> {
    use ChampValue as C;
    Some(match (kind, v) {
        (k, C::Text(s)) if text_like(k) => Value::Text(s.clone()),
        (Kind::Civilite, C::Text(s)) if s == "M" || s == "Mme" => Value::Text(s.clone()),
        (Kind::DropDownList { options, other }, C::Text(s)) if *other || options.contains(s) => {
            Value::Text(s.clone())
        }
        (Kind::Checkbox | Kind::YesNo, C::Bool(b)) => Value::Bool(*b),
        (Kind::IntegerNumber, C::Integer(i)) => Value::Int(*i),
        (Kind::DecimalNumber, C::Integer(i)) => Value::Decimal(*i as f64),
        (Kind::DecimalNumber, C::Decimal(f)) if f.is_finite() => Value::Decimal(*f),
        (Kind::Date, C::Text(s)) => {
            Value::Date(NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?)
        }
        (Kind::Datetime, C::Text(s)) => Value::DateTime(
            DateTime::parse_from_rfc3339(s.trim())
                .ok()?
                .with_timezone(&Utc),
        ),
        _ => return None,
    })
}

/// Types whose value is a plain string (DS stores them as text).
fn text_like(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Text
            | Kind::Textarea
            | Kind::Email
            | Kind::Phone
            | Kind::EngagementJuridique
            | Kind::Iban
            | Kind::Formatted
    )
}

/// What a champ of this type takes, for the error message; `None` = not editable here.
fn expects(kind: &Kind) -> Option<String> {
    Some(match kind {
        k if text_like(k) => "a string".into(),
        Kind::DropDownList { other: true, .. } => "a string".into(),
        Kind::DropDownList { options, .. } => format!("one of {options:?}"),
        Kind::Civilite => "\"M\" or \"Mme\"".into(),
        Kind::Checkbox | Kind::YesNo => "true or false".into(),
        Kind::IntegerNumber => "an integer".into(),
        Kind::DecimalNumber => "a number".into(),
        Kind::Date => "a date as \"YYYY-MM-DD\"".into(),
        Kind::Datetime => "an RFC 3339 date-time".into(),
        _ => return None,
    })
}

fn answer(
    st: &mut WorldState,
    rec: &mut DossierRecord,
    body: Option<String>,
    now: DateTime<Utc>,
) -> Result<Effects, ApplicantError> {
    if let Some(b) = &body {
        check_body(b)?;
    }
    require_en_construction(rec, "answer a correction request")?;
    if !has_pending_correction(rec) {
        return Err(Refused(format!(
            "dossier {} has no pending correction request",
            rec.number
        )));
    }
    let correction_resolved = resolve_pending_corrections(rec, now);
    let message = body.map(|b| push_message(st, rec, b, now));
    Ok(Effects {
        changed: Vec::new(),
        correction_resolved,
        message,
    })
}

/// The usager's messagerie stays open in every state but archived (DS's `messagerie_available?`).
fn send(
    st: &mut WorldState,
    rec: &mut DossierRecord,
    body: String,
    now: DateTime<Utc>,
) -> Result<Effects, ApplicantError> {
    check_body(&body)?;
    if rec.archived {
        return Err(Refused(format!(
            "dossier {} is archived: its messagerie is closed",
            rec.number
        )));
    }
    Ok(Effects {
        message: Some(push_message(st, rec, body, now)),
        ..Effects::default()
    })
}

fn check_body(body: &str) -> Result<(), ApplicantError> {
    if body.trim().is_empty() {
        return Err(Invalid("the message body is empty".into()));
    }
    Ok(())
}

fn push_message(
    st: &mut WorldState,
    rec: &mut DossierRecord,
    body: String,
    now: DateTime<Utc>,
) -> MessageRecord {
    let m = MessageRecord {
        id: st.next_id(),
        email: rec.usager_email.clone(),
        body,
        created_at: now,
        attachments: Vec::new(),
        correction: None,
        discarded_at: None,
    };
    rec.messages.push(m.clone());
    m
}

// ---- HTTP: `POST /__sandbox/dossiers/{number}/applicant` ----

const ONE_ACTION: &str =
    "the body must be a JSON object with exactly one key: champs, answer_correction or message";

/// The wire form of [`ApplicantEdit`]: `{"champs": [...]}`, `{"answer_correction": {}}`,
/// `{"message": {"body": "..."}}`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum EditBody {
    Champs(Vec<ChampBody>),
    AnswerCorrection(AnswerBody),
    Message(MessageBody),
}

/// One champ: exactly one of `stable_id`, `id`, `label`, and `value` (null clears it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChampBody {
    stable_id: Option<u64>,
    id: Option<String>,
    label: Option<String>,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    body: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    body: String,
}

/// The control route; the path's number and the body are parsed here so every rejection is
/// a one-line JSON `{"error": ...}`.
pub async fn http_edit(
    State(app): State<crate::http::App>,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    let result = number
        .parse::<i64>()
        .map_err(|_| Invalid(format!("dossier number {number:?} is not an integer")))
        .and_then(|n| Ok((n, parse_body(&body)?)))
        .and_then(|(n, edit)| app.world.applicant_edit(n, edit));
    match result {
        Ok(o) => Json(outcome_json(&o)).into_response(),
        Err(e) => (e.status(), Json(json!({ "error": e.to_string() }))).into_response(),
    }
}

/// Parses a control body into an edit.
pub fn parse_body(bytes: &[u8]) -> Result<ApplicantEdit, ApplicantError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Invalid(format!("body is not JSON: {e}")))?;
    if v.as_object().map(|o| o.len()) != Some(1) {
        return Err(Invalid(ONE_ACTION.into()));
    }
    let body: EditBody = serde_json::from_value(v).map_err(|e| Invalid(e.to_string()))?;
    Ok(match body {
        EditBody::Champs(list) => ApplicantEdit::Champs(
            list.into_iter()
                .map(ChampBody::into_edit)
                .collect::<Result<_, _>>()?,
        ),
        EditBody::AnswerCorrection(a) => ApplicantEdit::AnswerCorrection { body: a.body },
        EditBody::Message(m) => ApplicantEdit::Message { body: m.body },
    })
}

impl ChampBody {
    fn into_edit(self) -> Result<ChampEdit, ApplicantError> {
        let champ = match (self.stable_id, self.id, self.label) {
            (Some(s), None, None) => ChampRef::StableId(s),
            (None, Some(i), None) => ChampRef::Id(i),
            (None, None, Some(l)) => ChampRef::Label(l),
            _ => {
                return Err(Invalid(
                    "each champ names exactly one of stable_id, id, label".into(),
                ));
            }
        };
        Ok(ChampEdit {
            champ,
            value: json_value(self.value)?,
        })
    }
}

fn json_value(v: serde_json::Value) -> Result<ChampValue, ApplicantError> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => ChampValue::Empty,
        J::Bool(b) => ChampValue::Bool(b),
        J::String(s) => ChampValue::Text(s),
        J::Number(n) => match n.as_i64() {
            Some(i) => ChampValue::Integer(i),
            None => ChampValue::Decimal(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::Array(_) | J::Object(_) => {
            return Err(Invalid(
                "a champ value is a string, a number, true/false or null".into(),
            ));
        }
    })
}

fn outcome_json(o: &ApplicantOutcome) -> serde_json::Value {
    let d = &o.dossier;
    let champs_at = d.champs.iter().map(|c| c.updated_at).max();
    json!({
        "number": d.number,
        "state": d.state.as_str(),
        "date_derniere_modification": util::format_datetime(d.updated_at),
        "date_derniere_modification_champs": util::format_datetime(champs_at.unwrap_or(d.depose_at)),
        "changed": o.changed.iter().map(|s| json!({ "stable_id": s, "id": util::champ_id(*s, None) })).collect::<Vec<_>>(),
        "correction_resolved": o.correction_resolved,
        "message": o.message.as_ref().map(|m| json!({
            "id": util::global_id("Commentaire", m.id), "email": m.email, "body": m.body,
        })),
    })
}
