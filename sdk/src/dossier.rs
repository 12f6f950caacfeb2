//! Reading dossiers without boilerplate: champs and annotations by label,
//! typed values, and the item's dossier whether or not the queue read it.
//!
//! Robots of the DS-Interop guide are written from the form as instructeurs
//! see it, so labels are the natural key; ids (`Champ-…`) stay available on
//! each [`Champ`] for when a démarche has two champs with one label.

use crate::bindings::pont::robot::ds::{
    self, AnnotationInput, AnnotationValue, Champ, ChampValue, Dossier, DsError, DsFile,
};
use crate::{Failure, Item};

impl Dossier {
    /// The first champ whose label is `label` (surrounding spaces ignored).
    pub fn champ_labelled(&self, label: &str) -> Option<&Champ> {
        find(&self.champs, label)
    }

    /// The first annotation (private champ of the instructeurs) labelled `label`.
    pub fn annotation_labelled(&self, label: &str) -> Option<&Champ> {
        find(&self.annotations, label)
    }

    /// The input that writes `value` into the annotation labelled `label`,
    /// for `ds::modifier_annotations`. No such annotation means the robot
    /// was pointed at a démarche it was not written for: a business failure
    /// naming the label, not retried.
    pub fn annotation_input(
        &self,
        label: &str,
        value: AnnotationValue,
    ) -> Result<AnnotationInput, Failure> {
        let annotation = self.annotation_labelled(label).ok_or_else(|| {
            Failure::Business(format!("annotation « {label} » absente de la démarche"))
        })?;
        Ok(AnnotationInput {
            id: annotation.id.clone(),
            value,
        })
    }
}

fn find<'a>(champs: &'a [Champ], label: &str) -> Option<&'a Champ> {
    champs.iter().find(|c| c.label.trim() == label.trim())
}

impl ChampValue {
    /// The value as text when it is text-like (text, drop-down, date,
    /// date-time, civilité, or a type the host does not model); `None` for
    /// empty champs and structured values.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s)
            | Self::DropDown(s)
            | Self::Date(s)
            | Self::Datetime(s)
            | Self::Civilite(s)
            | Self::Other(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The value as a number when it is an integer or a decimal.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Integer(i) => Some(*i as f64),
            Self::Decimal(d) => Some(*d),
            _ => None,
        }
    }

    /// The files of a piece-justificative champ; empty for any other value,
    /// so a robot can iterate without matching first.
    pub fn files(&self) -> &[DsFile] {
        match self {
            Self::Files(f) => f,
            _ => &[],
        }
    }
}

impl Item {
    /// The item's dossier: the one the queue already read when it listed a
    /// démarche, else fetched from DS (a queue of explicit numbers reads
    /// nothing up front). Needs the `read` DS action.
    pub fn load_dossier(&self) -> Result<Dossier, DsError> {
        match &self.dossier {
            Some(d) => Ok(d.clone()),
            None => ds::get_dossier(self.number),
        }
    }
}

/// Today's date in UTC as `YYYY-MM-DD`, from the host's wall clock (WASI
/// clocks are linked for every robot). For report rows, dated archives and
/// date annotations.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Now in UTC as RFC 3339 (`YYYY-MM-DDTHH:MM:SSZ`), from the host's wall
/// clock. For date-time annotations (a verification time, say).
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day), after
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;
    use crate::Failure;
    use crate::bindings::pont::robot::ds::{
        AnnotationValue, Champ, ChampValue, Demandeur, Dossier, DossierState,
    };

    fn dossier(annotations: &[(&str, &str)]) -> Dossier {
        let champ = |(id, label): &(&str, &str)| Champ {
            id: id.to_string(),
            label: label.to_string(),
            value: ChampValue::Empty,
            rows: Vec::new(),
        };
        Dossier {
            number: 7,
            id: "RG9zc2llci03".into(),
            demarche: 1,
            state: DossierState::EnInstruction,
            archived: false,
            date_depot: None,
            date_derniere_modification: "2026-01-01T00:00:00Z".into(),
            date_passage_en_instruction: None,
            date_traitement: None,
            usager_email: "usager@example.org".into(),
            demandeur: Demandeur::None,
            groupe_instructeur: 1,
            motivation: None,
            labels: Vec::new(),
            champs: Vec::new(),
            annotations: annotations.iter().map(champ).collect(),
        }
    }

    #[test]
    fn annotation_input_by_label() {
        let d = dossier(&[("Champ-1", "Transmis"), ("Champ-2", " Date de saisie ")]);
        let input = d
            .annotation_input("Date de saisie", AnnotationValue::Date("2026-02-03".into()))
            .expect("annotation present");
        assert_eq!(input.id, "Champ-2");
        assert!(matches!(input.value, AnnotationValue::Date(ref v) if v == "2026-02-03"));
        match d.annotation_input("Numéro", AnnotationValue::Checkbox(true)) {
            Err(Failure::Business(m)) => {
                assert_eq!(m, "annotation « Numéro » absente de la démarche")
            }
            other => panic!("expected a business failure, got {other:?}"),
        }
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
    }
}
