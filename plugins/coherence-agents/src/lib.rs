//! # coherence-agents
//!
//! Agents' declarations (démarche "Déclaration d’agents"): the robot checks
//! what the applicant typed against consistency rules (dates, amounts,
//! SIRET, IBAN, the RIB attachment; see `rules.rs`).
//!
//! - **Inconsistent**: the applicant gets a DS message listing every anomaly,
//!   sent as a correction request (`incomplete` when only things are
//!   missing, else `incorrect`), so the dossier waits for them; the
//!   annotations say what was found.
//! - **Consistent**: the dossier is passed en instruction (the data must not
//!   change once exported), exported as a row of the Excel export, entered
//!   in the HR tool (SIRH), and annotated.
//!
//! Either way a row goes to the Excel activity report.
//!
//! Settings: `sirh`, the base URL of the HR tool.

mod outputs;
mod rules;

use pont_sdk::ds::{self, AnnotationValue, CorrectionReason, Dossier, DossierState};
use pont_sdk::{Failure, Item, Outcome, Robot, Settings, log, system};

use outputs::Agent;
use rules::{Anomaly, Kind};

/// The robot for one instance: the SIRH's base URL.
#[derive(Default)]
struct Coherence {
    sirh: String,
}

/// The message the applicant reads: every anomaly, by champ.
fn correction_message(anomalies: &[Anomaly]) -> String {
    let lines: Vec<String> = anomalies
        .iter()
        .map(|a| format!("- {} : {}", a.champ, a.message))
        .collect();
    format!(
        "Bonjour,\n\nLa vérification de votre déclaration a relevé les points suivants :\n{}\n\n\
         Merci de corriger votre dossier ; il sera de nouveau vérifié ensuite.\n\nLe service des ressources humaines",
        lines.join("\n")
    )
}

/// `incomplete` when only things are missing, else `incorrect`.
fn reason(anomalies: &[Anomaly]) -> CorrectionReason {
    if anomalies.iter().all(|a| a.kind == Kind::Incomplete) {
        CorrectionReason::Incomplete
    } else {
        CorrectionReason::Incorrect
    }
}

/// Writes the verdict and the anomalies (when any) into the annotations.
fn annotate(d: &Dossier, anomalies: &[Anomaly]) -> Result<(), Failure> {
    // This robot's own wording for a missing annotation, kept as it was.
    let input = |label: &str, value| {
        d.annotation_input(label, value)
            .map_err(|_| Failure::Business(format!("annotation « {label} » absente")))
    };
    let mut inputs = vec![input(
        "Cohérent",
        AnnotationValue::YesNo(anomalies.is_empty()),
    )?];
    if !anomalies.is_empty() {
        let text: Vec<String> = anomalies
            .iter()
            .map(|a| format!("{} : {}", a.champ, a.message))
            .collect();
        inputs.push(input(
            "Anomalies relevées",
            AnnotationValue::Textarea(text.join("\n")),
        )?);
    }
    ds::modifier_annotations(d.number, &inputs).map_err(system("annotations"))
}

fn ask_correction(d: &Dossier, anomalies: &[Anomaly], today: &str) -> Result<Outcome, Failure> {
    let body = correction_message(anomalies);
    outputs::once(d.number, "message", || {
        ds::envoyer_message(d.number, &body, None, Some(reason(anomalies)))
            .map_err(system("message"))?;
        Ok("sent".into())
    })?;
    annotate(d, anomalies)?;
    outputs::once(d.number, "rapport", || {
        outputs::report(d.number, today, "correction demandée", anomalies.len(), "")
    })?;
    let champs: Vec<&str> = anomalies.iter().map(|a| a.champ).collect();
    log::log(
        log::Level::Info,
        "correction demandée",
        &[
            ("dossier", &d.number.to_string()),
            ("champs", &champs.join(", ")),
        ],
    );
    Ok(Outcome::Done(format!(
        "correction demandée : {} anomalie(s) ({})",
        anomalies.len(),
        champs.join(", ")
    )))
}

impl Coherence {
    fn accept(&self, d: &Dossier, today: &str) -> Result<Outcome, Failure> {
        // The data must not change once exported: pass it en instruction.
        d.ensure_en_instruction()
            .map_err(system("passer en instruction"))?;
        let agent = Agent::read(d);
        outputs::once(d.number, "export", || outputs::export(d.number, &agent))?;
        let numero = outputs::once(d.number, "sirh", || outputs::sirh(&self.sirh, &agent))?;
        annotate(d, &[])?;
        outputs::once(d.number, "rapport", || {
            outputs::report(d.number, today, "cohérent", 0, &numero)
        })?;
        Ok(Outcome::Done(format!(
            "cohérent : exporté et saisi dans le SIRH sous {numero}"
        )))
    }
}

impl Robot for Coherence {
    fn init(settings: Settings) -> Result<Self, String> {
        let sirh = settings
            .get("sirh")
            .ok_or("setting `sirh` missing (base URL of the HR tool)")?;
        Ok(Self {
            sirh: sirh.trim_end_matches('/').to_string(),
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item.load_dossier().map_err(system("dossier"))?;
        if d.state != DossierState::EnConstruction && d.state != DossierState::EnInstruction {
            return Ok(Outcome::Skipped("dossier déjà traité".into()));
        }
        let today = pont_sdk::today();
        let anomalies = rules::check(&d, &today);
        let outcome = if anomalies.is_empty() {
            self.accept(&d, &today)
        } else {
            ask_correction(&d, &anomalies, &today)
        }?;
        outputs::forget(d.number);
        Ok(outcome)
    }
}

pont_sdk::export!(Coherence);
