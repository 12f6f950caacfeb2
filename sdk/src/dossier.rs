//! Reading dossiers without boilerplate: champs and annotations by label,
//! typed values, and the item's dossier whether or not the queue read it.
//!
//! Robots of the DS-Interop guide are written from the form as instructeurs
//! see it, so labels are the natural key; ids (`Champ-…`) stay available on
//! each [`Champ`] for when a démarche has two champs with one label.

use crate::bindings::pont::robot::ds::{
    self, AnnotationInput, AnnotationValue, Champ, ChampValue, Demandeur, Dossier, DossierState,
    DsError, DsFile, EngagementJuridique, GeoArea, Place, RegisterEntry,
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

impl Dossier {
    /// Why a person should see this dossier before the robot acts: DS sent a
    /// state or a champ type this host does not know. `None` when all is
    /// known. The host already sends such dossiers of its listings to
    /// review; a robot reading other dossiers itself can do the same.
    pub fn review_reason(&self) -> Option<String> {
        let mut unknown = Vec::new();
        if self.state == DossierState::Unknown {
            unknown.push("its state".to_string());
        }
        for c in self.champs.iter().chain(&self.annotations) {
            let cells = c.rows.iter().flat_map(|r| &r.cells);
            let new_types = std::iter::once((&c.id, &c.value))
                .chain(cells.map(|cell| (&cell.id, &cell.value)))
                .filter(|(_, v)| v.is_unknown());
            unknown.extend(new_types.map(|(id, _)| format!("champ {id}")));
        }
        (!unknown.is_empty()).then(|| {
            format!(
                "DS sent values this host does not know: {}",
                unknown.join(", ")
            )
        })
    }
}

impl Demandeur {
    /// The SIRET of a legal person, complete or not.
    pub fn siret(&self) -> Option<&str> {
        match self {
            Self::PersonneMorale(e) => Some(e.siret.as_str()),
            Self::PersonneMoraleIncomplete(siret) => Some(siret.as_str()),
            _ => None,
        }
    }
}

fn find<'a>(champs: &'a [Champ], label: &str) -> Option<&'a Champ> {
    champs.iter().find(|c| c.label.trim() == label.trim())
}

impl ChampValue {
    /// The value as text when it is text-like (text, drop-down, date,
    /// date-time, civilité, an engagement juridique's number, or DS's text
    /// of a type the host does not know); `None` for empty champs and
    /// structured values.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) | Self::DropDown(s) | Self::Date(s) | Self::Datetime(s) => {
                Some(s.as_str())
            }
            Self::Civilite(s) | Self::Unknown(Some(s)) => Some(s.as_str()),
            Self::EngagementJuridique(e) => Some(e.numero.as_str()),
            _ => None,
        }
    }

    /// The place of a commune, département, région, pays or EPCI champ.
    pub fn as_place(&self) -> Option<&Place> {
        match self {
            Self::Commune(p) | Self::Departement(p) | Self::Region(p) | Self::Pays(p) => Some(p),
            Self::Epci(p) => Some(p),
            _ => None,
        }
    }

    /// The register entry of an RNA (association) or RNF (foundation) champ.
    pub fn as_register_entry(&self) -> Option<&RegisterEntry> {
        match self {
            Self::Rna(r) | Self::Rnf(r) => Some(r),
            _ => None,
        }
    }

    /// The engagement juridique of an EJ champ.
    pub fn as_engagement_juridique(&self) -> Option<&EngagementJuridique> {
        match self {
            Self::EngagementJuridique(e) => Some(e),
            _ => None,
        }
    }

    /// The number of the dossier a dossier-link champ points to.
    pub fn as_dossier_link(&self) -> Option<i64> {
        match self {
            Self::DossierLink(n) => Some(*n),
            _ => None,
        }
    }

    /// The areas of a carte champ; empty for any other value.
    pub fn geo_areas(&self) -> &[GeoArea] {
        match self {
            Self::Carte(areas) => areas,
            _ => &[],
        }
    }

    /// Whether DS sent a champ type this host does not know.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
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
    fn unknown_values_give_a_review_reason() {
        let mut d = dossier(&[]);
        assert_eq!(d.review_reason(), None);
        d.champs.push(Champ {
            id: "Champ-9".into(),
            label: "Nouveau".into(),
            value: ChampValue::Unknown(Some("x".into())),
            rows: Vec::new(),
        });
        d.state = DossierState::Unknown;
        let why = d.review_reason().expect("a reason");
        assert!(
            why.contains("its state") && why.contains("Champ-9"),
            "{why}"
        );
        assert_eq!(d.champs[0].value.as_text(), Some("x"));
    }

    #[test]
    fn an_incomplete_legal_person_keeps_its_siret() {
        let d = Demandeur::PersonneMoraleIncomplete("13002526500013".into());
        assert_eq!(d.siret(), Some("13002526500013"));
        assert_eq!(Demandeur::None.siret(), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_785), (2026, 11, 28));
    }
}
