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
//! numbers in `state`, closes its sessions and ends the attempt with a
//! system failure that says it is waiting. The runner frees the instance and
//! tries the dossier again after its backoff (`retry-backoff-ms`,
//! `max-attempts` of the robot config, sized to the external delay); the next
//! attempt only looks at the answer page. A contrôle that never answers ends
//! in the review queue, where a person takes over.
//!
//! Settings: `casier` and `controle`, the base URLs of the two applications.

mod forms;
mod identity;

use pont_sdk::ds::{self, AnnotationInput, AnnotationValue, Dossier, DossierState, DsError};
use pont_sdk::{Error, Failure, Item, Outcome, Robot, Settings, log, state};

use identity::Identity;

/// The robot for one instance: the applications' base URLs.
#[derive(Default)]
struct Vtc {
    casier: String,
    controle: String,
}

/// Annotation for the contrôle's answer (yes = valid licence).
const ANNOT_VERIFIE: &str = "Droit à conduire vérifié";
/// Annotation for when the answer was read.
const ANNOT_DATE: &str = "Date de vérification";

/// A failure of an application or of the host, retried by the runner.
fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    move |e| Failure::System(format!("{step}: {e:?}"))
}

fn ds_sys(step: &'static str) -> impl Fn(DsError) -> Failure {
    move |e| Failure::System(format!("{step}: {e:?}"))
}

/// The state key of one step's request number for a dossier.
fn key(number: i64, step: &str) -> String {
    format!("dossier/{number}/{step}")
}

/// The failure that means "the external answer is not there yet": the runner
/// retries after its backoff, with no instance or browser held meanwhile.
fn waiting(controle: &str) -> Failure {
    Failure::System(format!(
        "en attente : contrôle {controle} en cours de traitement par le service externe"
    ))
}

/// The applicant's data must not change while it is re-entered elsewhere:
/// a dossier still en construction is passed en instruction first.
fn freeze(d: &Dossier) -> Result<(), Failure> {
    if d.state != DossierState::EnConstruction {
        return Ok(());
    }
    match ds::passer_en_instruction(d.number, false) {
        Ok(_) | Err(DsError::AlreadyInState(_)) => Ok(()),
        Err(e) => Err(ds_sys("passer en instruction")(e)),
    }
}

/// The request number of `step` for this dossier: the one kept from an
/// earlier attempt, or a new one filed with `file` and kept at once.
fn remembered(
    number: i64,
    step: &str,
    file: impl FnOnce() -> Result<String, Failure>,
) -> Result<(String, bool), Failure> {
    let k = key(number, step);
    if let Some(done) = state::get_string(&k).map_err(sys("state"))? {
        return Ok((done, false));
    }
    let filed = file()?;
    state::set_string(&k, &filed).map_err(sys("state"))?;
    log::log(
        log::Level::Info,
        &format!("{step} : demande {filed} déposée"),
        &[("dossier", &number.to_string()), ("demande", &filed)],
    );
    Ok((filed, true))
}

/// The annotation id of `label`, or a business failure naming it (the
/// démarche is not the one this robot was written for).
fn annotation_id(d: &Dossier, label: &str) -> Result<String, Failure> {
    d.annotation_labelled(label)
        .map(|a| a.id.clone())
        .ok_or_else(|| Failure::Business(format!("annotation « {label} » absente de la démarche")))
}

/// Writes the contrôle's answer and when it was read.
fn annotate(d: &Dossier, valide: bool) -> Result<(), Failure> {
    let inputs = [
        AnnotationInput {
            id: annotation_id(d, ANNOT_VERIFIE)?,
            value: AnnotationValue::YesNo(valide),
        },
        AnnotationInput {
            id: annotation_id(d, ANNOT_DATE)?,
            value: AnnotationValue::Datetime(pont_sdk::now()),
        },
    ];
    ds::modifier_annotations(d.number, &inputs).map_err(ds_sys("annotations"))
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
        freeze(d)?;
        let (casier, _) = remembered(d.number, "casier", || {
            forms::file_casier(&self.casier, &who)
        })?;
        let (controle, just_filed) = remembered(d.number, "controle", || {
            forms::file_controle(&self.controle, &who)
        })?;
        if just_filed {
            // The external service needs time: come back after the backoff.
            return Err(waiting(&controle));
        }
        let Some(valide) = forms::controle_answer(&self.controle, &controle)? else {
            return Err(waiting(&controle));
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

impl Robot for Vtc {
    fn init(settings: Settings) -> Result<Self, String> {
        Ok(Self {
            casier: setting(&settings, "casier")?,
            controle: setting(&settings, "controle")?,
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item.load_dossier().map_err(ds_sys("dossier"))?;
        self.handle(&d)
    }
}

pont_sdk::export!(Vtc);
