//! # vtc-carte-pro
//!
//! VTC professional card dossiers (démarche "Carte professionnelle de
//! conducteur VTC"): each is re-entered in the casier judiciaire request
//! form, then in the contrôle du droit à conduire, whose answer comes from
//! an external service after a delay. The answer goes back to DS as
//! annotations; a suspended licence goes to a person.
//!
//! **Waiting without holding anything.** The contrôle answers later, so the
//! robot never waits in a browser: it files both requests, keeps their
//! numbers in `state`, and ends the pass with `Outcome::Waiting`. The runner
//! frees the instance and its browser sessions at once and feeds the dossier
//! again when the wait is over; a wait is not a failure and uses no attempt.
//! The next pass only looks at the answer page. A contrôle that never
//! answers ends in the review queue after `[queue] max-wait-hours`, where a
//! person takes over.
//!
//! Settings: `casier` and `controle`, the base URLs of the two applications;
//! `attente-controle-secs`, how long to wait before looking at the contrôle's
//! answer again (default 600).

mod forms;
mod identity;

use pont_sdk::ds::{self, AnnotationValue, Dossier};
use pont_sdk::{Failure, Item, Outcome, Robot, Settings, log, state, system};

use std::time::Duration;

use identity::Identity;

/// The robot for one instance: the applications' base URLs.
#[derive(Default)]
struct Vtc {
    casier: String,
    controle: String,
    /// How long to wait before looking at the contrôle's answer again.
    attente: Duration,
}

/// Default wait for the contrôle's answer.
const ATTENTE_DEFAUT_SECS: f64 = 600.0;

/// Annotation for the contrôle's answer (yes = valid licence).
const ANNOT_VERIFIE: &str = "Droit à conduire vérifié";
/// Annotation for when the answer was read.
const ANNOT_DATE: &str = "Date de vérification";

/// The state key of one step's request number for a dossier.
fn key(number: i64, step: &str) -> String {
    format!("dossier/{number}/{step}")
}

/// The outcome that means "the external answer is not there yet": the
/// runner feeds the dossier again later, with no instance or browser held.
fn waiting(controle: &str, attente: Duration) -> Outcome {
    pont_sdk::wait_for(
        attente,
        format!("en attente : contrôle {controle} en cours de traitement par le service externe"),
    )
}

/// The request number of `step` for this dossier: the one kept from an
/// earlier attempt, or a new one filed with `file` and kept at once.
fn remembered(
    number: i64,
    step: &str,
    file: impl FnOnce() -> Result<String, Failure>,
) -> Result<(String, bool), Failure> {
    let k = key(number, step);
    if let Some(done) = state::get_string(&k).map_err(system("state"))? {
        return Ok((done, false));
    }
    let filed = file()?;
    state::set_string(&k, &filed).map_err(system("state"))?;
    log::log(
        log::Level::Info,
        &format!("{step} : demande {filed} déposée"),
        &[("dossier", &number.to_string()), ("demande", &filed)],
    );
    Ok((filed, true))
}

/// Writes the contrôle's answer and when it was read.
fn annotate(d: &Dossier, valide: bool) -> Result<(), Failure> {
    let inputs = [
        d.annotation_input(ANNOT_VERIFIE, AnnotationValue::YesNo(valide))?,
        d.annotation_input(ANNOT_DATE, AnnotationValue::Datetime(pont_sdk::now()))?,
    ];
    ds::modifier_annotations(d.number, &inputs).map_err(system("annotations"))
}

/// Forgets the dossier's progress once its outcome is final.
fn forget(number: i64) {
    for step in ["casier", "controle"] {
        if let Err(e) = state::delete(&key(number, step)) {
            log::warn(&format!("state: cannot forget {step}: {e:?}"));
        }
    }
}

impl Vtc {
    fn handle(&self, d: &Dossier) -> Result<Outcome, Failure> {
        let who = Identity::read(d)?;
        // The applicant's data must not change while it is re-entered
        // elsewhere: a dossier still en construction is passed en
        // instruction first.
        d.ensure_en_instruction()
            .map_err(system("passer en instruction"))?;
        let (casier, _) = remembered(d.number, "casier", || {
            forms::file_casier(&self.casier, &who)
        })?;
        let (controle, just_filed) = remembered(d.number, "controle", || {
            forms::file_controle(&self.controle, &who)
        })?;
        if just_filed {
            // The external service needs time: come back later.
            return Ok(waiting(&controle, self.attente));
        }
        let Some(valide) = forms::controle_answer(&self.controle, &controle)? else {
            return Ok(waiting(&controle, self.attente));
        };
        annotate(d, valide)?;
        forget(d.number);
        Ok(if valide {
            Outcome::Done(format!(
                "casier {casier}, contrôle {controle} : droit à conduire valide"
            ))
        } else {
            Outcome::NeedsReview(format!(
                "droit à conduire suspendu (contrôle {controle}, casier {casier}) : décision à prendre par un instructeur"
            ))
        })
    }
}

/// A required setting, named in the error.
fn setting(s: &Settings, key: &str) -> Result<String, String> {
    s.get(key)
        .map(|v| v.trim_end_matches('/').to_string())
        .ok_or_else(|| format!("setting `{key}` missing (base URL of the application)"))
}

/// The `attente-controle-secs` setting (seconds, fractions allowed).
fn attente(s: &Settings) -> Result<Duration, String> {
    let Some(v) = s.get("attente-controle-secs") else {
        return Ok(Duration::from_secs_f64(ATTENTE_DEFAUT_SECS));
    };
    match v.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && (0.0..=86_400.0).contains(&secs) => {
            Ok(Duration::from_secs_f64(secs))
        }
        _ => Err(format!(
            "setting `attente-controle-secs` = `{v}`: a number of seconds between 0 and 86400"
        )),
    }
}

impl Robot for Vtc {
    fn init(settings: Settings) -> Result<Self, String> {
        Ok(Self {
            casier: setting(&settings, "casier")?,
            controle: setting(&settings, "controle")?,
            attente: attente(&settings)?,
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item.load_dossier().map_err(system("dossier"))?;
        self.handle(&d)
    }
}

pont_sdk::export!(Vtc);
