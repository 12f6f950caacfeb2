//! `dossierModifierAnnotations`: DS's accepted annotation types, its oneOf value matching,
//! its messages for unknown ids and wrong value types, and its value validations
//! ([`crate::annotation_rules`]): a refused value is not stored.

use std::sync::Arc;

use chrono::Utc;

use crate::model::*;
use crate::ops::{AnnotationValue, NO_ACCESS, Outcome, READ_ONLY, TopError};
use crate::util;
use crate::world::{Caller, World};

/// Rows added by one `repetition` value are capped, so a hostile count cannot loop for long.
const MAX_ROWS_ADDED: i32 = 100;

/// A changed annotation: its stable id and the row it sits in, if any.
pub type Changed = (u64, Option<u64>);

/// Result of a successful call: the dossier after the change, the changed annotations, errors.
pub struct Modified {
    pub dossier: Arc<DossierRecord>,
    pub demarche: Arc<DemarcheRecord>,
    pub changed: Vec<Changed>,
    pub errors: Vec<String>,
}

enum Lookup {
    Missing,
    WrongType,
    /// The value has the right type but DS's validations refuse it: their messages.
    Invalid(Vec<String>),
    Done(Changed),
}

fn matches_kind(kind: &Kind, v: &AnnotationValue) -> Option<Value> {
    use AnnotationValue as A;
    Some(match (kind, v) {
        (Kind::Text, A::Text(s))
        | (Kind::Textarea, A::Textarea(s))
        | (Kind::Email, A::Email(s))
        | (Kind::DropDownList { .. }, A::DropDownList(s)) => Value::Text(s.clone()),
        (Kind::Checkbox, A::Checkbox(b)) | (Kind::YesNo, A::YesNo(b)) => Value::Bool(*b),
        (Kind::Date, A::Date(d)) => Value::Date(*d),
        (Kind::Datetime, A::Datetime(t)) => Value::DateTime(*t),
        (Kind::IntegerNumber, A::IntegerNumber(i)) => Value::Int(*i),
        (Kind::DecimalNumber, A::DecimalNumber(f)) => Value::Decimal(*f),
        (Kind::MultipleDropDownList { .. }, A::MultipleDropDownList(l)) => Value::Multi(l.clone()),
        _ => return None,
    })
}

fn accepted(kind: &Kind) -> bool {
    matches!(
        kind,
        Kind::Text
            | Kind::Textarea
            | Kind::Email
            | Kind::Checkbox
            | Kind::YesNo
            | Kind::Date
            | Kind::Datetime
            | Kind::IntegerNumber
            | Kind::DecimalNumber
            | Kind::DropDownList { .. }
            | Kind::MultipleDropDownList { .. }
            | Kind::Repetition { .. }
    )
}

fn apply_one(
    dem: &DemarcheRecord,
    rec: &mut DossierRecord,
    id: &str,
    value: &AnnotationValue,
    next_row: &mut dyn FnMut() -> u64,
) -> Lookup {
    let Some((stable_id, row)) = util::decode_champ_id(id) else {
        return Lookup::Missing;
    };
    let now = Utc::now();
    if let Some(row_id) = row {
        // A cell of a repeated block: find the parent repetition holding that row.
        let parent = dem.annotations.iter().find_map(|d| match &d.kind {
            Kind::Repetition { children } => children
                .iter()
                .find(|c| c.stable_id == stable_id)
                .map(|c| (d.stable_id, c.clone())),
            _ => None,
        });
        let Some((parent_id, child)) = parent else {
            return Lookup::Missing;
        };
        if !accepted(&child.kind) || matches!(child.kind, Kind::Repetition { .. }) {
            return Lookup::Missing;
        }
        let Some(v) = matches_kind(&child.kind, value) else {
            return Lookup::WrongType;
        };
        let Some(champ) = rec
            .annotations
            .iter_mut()
            .find(|c| c.stable_id == parent_id)
        else {
            return Lookup::Missing;
        };
        let Value::Rows(rows) = &mut champ.value else {
            return Lookup::Missing;
        };
        let Some(r) = rows.iter_mut().find(|r| r.id == row_id) else {
            return Lookup::Missing;
        };
        match r.champs.iter_mut().find(|c| c.stable_id == stable_id) {
            Some(c) => {
                c.value = v;
                c.updated_at = now;
            }
            None => r.champs.push(ChampRecord {
                stable_id,
                value: v,
                updated_at: now,
            }),
        }
        champ.updated_at = now;
        return Lookup::Done((stable_id, Some(row_id)));
    }
    let Some(desc) = dem.annotations.iter().find(|d| d.stable_id == stable_id) else {
        return Lookup::Missing;
    };
    if !accepted(&desc.kind) {
        return Lookup::Missing;
    }
    let Some(champ) = rec
        .annotations
        .iter_mut()
        .find(|c| c.stable_id == stable_id)
    else {
        return Lookup::Missing;
    };
    if let Kind::Repetition { children } = &desc.kind {
        let AnnotationValue::Repetition(n) = value else {
            return Lookup::WrongType;
        };
        if !matches!(champ.value, Value::Rows(_)) {
            champ.value = Value::Rows(Vec::new());
        }
        if let Value::Rows(rows) = &mut champ.value {
            for _ in 0..(*n).clamp(0, MAX_ROWS_ADDED) {
                let id = next_row();
                rows.push(RowRecord {
                    id,
                    champs: children
                        .iter()
                        .map(|c| ChampRecord {
                            stable_id: c.stable_id,
                            value: Value::Empty,
                            updated_at: now,
                        })
                        .collect(),
                });
            }
        }
        champ.updated_at = now;
        return Lookup::Done((stable_id, None));
    }
    let Some(v) = matches_kind(&desc.kind, value) else {
        return Lookup::WrongType;
    };
    let invalid = crate::annotation_rules::check(desc, &v);
    if !invalid.is_empty() {
        return Lookup::Invalid(invalid);
    }
    champ.value = v;
    champ.updated_at = now;
    Lookup::Done((stable_id, None))
}

/// The type of the annotation (or repeated cell) an id names.
fn legacy_kind(dem: &DemarcheRecord, id: &str) -> Option<Kind> {
    let (sid, _) = util::decode_champ_id(id)?;
    DemarcheRecord::find_descriptor(&dem.annotations, sid).map(|d| d.kind.clone())
}

/// A deprecated mutation's value, as the oneOf variant the annotation's type takes.
fn adapt(kind: &Kind, v: &AnnotationValue) -> AnnotationValue {
    use AnnotationValue as A;
    match (kind, v) {
        (Kind::Textarea, A::Text(s)) => A::Textarea(s.clone()),
        (Kind::YesNo, A::Checkbox(b)) => A::YesNo(*b),
        _ => v.clone(),
    }
}

impl World {
    /// Applies the annotations it can; unknown ids and wrong types become payload errors.
    pub fn modifier_annotations(
        &self,
        caller: &Caller,
        dossier_id: &str,
        instructeur_id: &str,
        items: &[(String, AnnotationValue)],
    ) -> Result<Outcome<Modified>, TopError> {
        self.modifier_annotations_as(
            (
                "dossierModifierAnnotations",
                "DossierModifierAnnotationsPayload",
            ),
            None,
            caller,
            dossier_id,
            instructeur_id,
            items,
        )
    }

    /// [`World::modifier_annotations`] logged as mutation `names.0`, whose payload type
    /// (named in `not_found` errors) is `names.1`: the deprecated one-annotation mutations
    /// share it. `legacy` is their type filter: an annotation of another type "does not
    /// exist" for them (DS's wording there has a ’), and a text value fits a textarea, a
    /// checkbox value a yes/no.
    pub fn modifier_annotations_as(
        &self,
        names: (&str, &str),
        legacy: Option<fn(&Kind) -> bool>,
        caller: &Caller,
        dossier_id: &str,
        instructeur_id: &str,
        items: &[(String, AnnotationValue)],
    ) -> Result<Outcome<Modified>, TopError> {
        let (op, payload) = names;
        let mut st = self.lock();
        let guess = util::decode_typed(dossier_id, "Dossier");
        if !caller.write {
            World::log(&mut st, caller, op, guess, None, Some(READ_ONLY.into()));
            return Ok(Err(READ_ONLY.into()));
        }
        let nf = || TopError {
            message: format!("{payload} not found"),
            code: "not_found",
        };
        let loaded = (|| {
            let n = guess.ok_or_else(nf)?;
            let d = st
                .dossiers
                .get(&n)
                .filter(|d| d.hidden_at.is_none())
                .cloned()
                .ok_or_else(nf)?;
            if !caller.can_see(d.demarche) {
                return Err(TopError {
                    message: "An object of type Dossier was hidden due to permissions".into(),
                    code: "unauthorized",
                });
            }
            let dem = st.demarches.get(&d.demarche).cloned().ok_or_else(nf)?;
            let i = util::decode_typed(instructeur_id, "Instructeur")
                .and_then(|i| st.instructeurs.get(&i).cloned())
                .ok_or_else(nf)?;
            Ok((d, dem, i))
        })();
        let (d, dem, instructeur) = match loaded {
            Ok(x) => x,
            Err(e) => {
                World::log(&mut st, caller, op, guess, None, Some(e.message.clone()));
                return Err(e);
            }
        };
        if !dem
            .groupes
            .iter()
            .any(|g| g.number == d.groupe && g.instructeurs.contains(&instructeur.id))
        {
            World::log(
                &mut st,
                caller,
                op,
                Some(d.number),
                None,
                Some(NO_ACCESS.into()),
            );
            return Ok(Err(NO_ACCESS.into()));
        }
        let mut rec = (*d).clone();
        let mut changed = Vec::new();
        let mut errors = Vec::new();
        // DS lists the validation messages after every lookup error.
        let mut invalid = Vec::new();
        for (id, value) in items {
            let adapted;
            let value = match legacy {
                None => value,
                Some(accept) => match legacy_kind(&dem, id).filter(accept) {
                    None => {
                        errors.push(format!("L’annotation \"{id}\" n’existe pas"));
                        continue;
                    }
                    Some(k) => {
                        adapted = adapt(&k, value);
                        &adapted
                    }
                },
            };
            let mut next_row = || st.next_id();
            match apply_one(&dem, &mut rec, id, value, &mut next_row) {
                Lookup::Done(c) => changed.push(c),
                Lookup::Missing => errors.push(format!("L‘annotation \"{id}\" n’existe pas")),
                Lookup::WrongType => {
                    errors.push(format!("L‘annotation \"{id}\" n’est pas de type attendu"))
                }
                Lookup::Invalid(messages) => invalid.extend(messages),
            }
        }
        errors.extend(invalid);
        if !changed.is_empty() {
            rec.updated_at = Utc::now();
        }
        let rec = Arc::new(rec);
        st.dossiers.insert(rec.number, rec.clone());
        let transition =
            (!changed.is_empty()).then(|| format!("annotations: {} changed", changed.len()));
        let error = (changed.is_empty()).then(|| errors.join("; "));
        World::log(
            &mut st,
            caller,
            op,
            Some(rec.number),
            transition,
            error.filter(|e| !e.is_empty()),
        );
        Ok(Ok(Modified {
            dossier: rec,
            demarche: dem,
            changed,
            errors,
        }))
    }
}
