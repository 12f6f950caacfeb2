//! `chorus-subvention`: enters subsidy dossiers (DETN, CATNAT, TDIL, FNADT)
//! of Démarches Simplifiées into the Chorus subsidy form, then writes the
//! Chorus reference back into the dossier's annotations.
//!
//! Per dossier: read it from DS; skip it if an instructeur (or an earlier
//! run) already marked it "Saisi dans Chorus"; check the dispositif is one
//! Chorus takes; fill Chorus's two steps; keep the reference in the state
//! store as soon as Chorus gives it (so a retry never enters it twice); set
//! the annotations "Numéro d’engagement juridique", "Saisi dans Chorus" and
//! "Date de saisie".

mod chorus;
mod subsidy;

use pont_sdk::ds::{self, AnnotationValue, ChampValue, Dossier};
use pont_sdk::{Failure, Item, Outcome, Robot, Settings, log, state};

use subsidy::Subsidy;

/// Annotations the robot writes (labels of démarche 101's private champs).
const ANNOT_REFERENCE: &str = "Numéro d’engagement juridique";
const ANNOT_DONE: &str = "Saisi dans Chorus";
const ANNOT_DATE: &str = "Date de saisie";

#[derive(Default)]
struct ChorusSubvention {
    /// Base URL of Chorus (`[settings] chorus-url`), whose origin the
    /// operator grants as the `chorus` browser application.
    chorus_url: String,
}

impl Robot for ChorusSubvention {
    fn init(settings: Settings) -> Result<Self, String> {
        let chorus_url = settings
            .get("chorus-url")
            .ok_or("setting `chorus-url` is missing (the Chorus base URL)")?
            .trim_end_matches('/')
            .to_string();
        Ok(Self { chorus_url })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let dossier = item
            .load_dossier()
            .map_err(pont_sdk::system("reading the dossier"))?;
        if already_entered(&dossier) {
            return Ok(Outcome::Skipped("déjà saisi dans Chorus".into()));
        }
        let subsidy = Subsidy::from_dossier(&dossier).map_err(Failure::Business)?;
        let reference = match remembered(dossier.number)? {
            Some(r) => {
                log::info(&format!(
                    "dossier {}: already in Chorus as {r} (earlier attempt)",
                    dossier.number
                ));
                r
            }
            None => {
                let r = chorus::enter(&self.chorus_url, &subsidy)?;
                remember(dossier.number, &r)?;
                r
            }
        };
        annotate(&dossier, &reference)?;
        log::info(&format!(
            "dossier {} saisi dans Chorus ({})",
            dossier.number, subsidy.dispositif
        ));
        Ok(Outcome::Done(reference))
    }
}

/// Whether the annotation "Saisi dans Chorus" is already checked.
fn already_entered(d: &Dossier) -> bool {
    d.annotation_labelled(ANNOT_DONE)
        .is_some_and(|a| matches!(a.value, ChampValue::Checkbox(true)))
}

fn state_key(number: i64) -> String {
    format!("chorus-reference:{number}")
}

/// The Chorus reference an earlier attempt obtained for this dossier.
fn remembered(number: i64) -> Result<Option<String>, Failure> {
    state::get_string(&state_key(number)).map_err(pont_sdk::system("state store"))
}

fn remember(number: i64, reference: &str) -> Result<(), Failure> {
    state::set_string(&state_key(number), reference).map_err(pont_sdk::system("state store"))
}

fn annotate(d: &Dossier, reference: &str) -> Result<(), Failure> {
    let inputs = vec![
        d.annotation_input(ANNOT_REFERENCE, AnnotationValue::Text(reference.into()))?,
        d.annotation_input(ANNOT_DONE, AnnotationValue::Checkbox(true))?,
        d.annotation_input(ANNOT_DATE, AnnotationValue::Date(pont_sdk::today()))?,
    ];
    ds::modifier_annotations(d.number, &inputs).map_err(pont_sdk::system("writing the annotations"))
}

pont_sdk::export!(ChorusSubvention);
