//! # cps-instruction
//!
//! CPS card requests (démarche "Demande de carte CPS"), in order of arrival
//! (run it without `--parallel`): each dossier is passed en instruction,
//! its RPPS number is checked against the health professional directory
//! (HTTP, bearer token added by the host from a secret) and against the
//! agency's internal list of oppositions (a sheet on a read-only mount); the
//! decision is recorded in the CPS management tool (browser, password typed
//! by the host), written into the annotations, and the dossier is accepted
//! or refused with a motivation that tells the applicant why.
//!
//! Settings: `cps` and `referentiel` (base URLs), `cps-identifiant` (the
//! robot's account in the CPS tool, default `robot.cps-instruction`),
//! `liste` (the internal list's path on the mount, default
//! `liste-interne.xlsx`).

mod checks;
mod cps;

use pont_sdk::ds::{self, AnnotationValue, Dossier, DossierState, DsError};
use pont_sdk::{Failure, Item, Outcome, Robot, Settings, log, state, system};

use checks::Directory;

/// The robot for one instance: where the applications are.
#[derive(Default)]
struct CpsInstruction {
    cps: String,
    referentiel: String,
    user: String,
    list: String,
}

/// The decision and the sentence that justifies it to the applicant.
struct Verdict {
    accept: bool,
    why: String,
}

impl Verdict {
    fn refuse(why: String) -> Self {
        Self { accept: false, why }
    }
}

/// The RPPS number as typed, without spaces; `None` if not 11 digits.
fn rpps(d: &Dossier) -> (String, bool) {
    let typed: String = d
        .champ_labelled("Numéro RPPS")
        .and_then(|c| c.value.as_text())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let ok = typed.len() == 11 && typed.bytes().all(|b| b.is_ascii_digit());
    (typed, ok)
}

/// The instructeur's work: both verifications, in the order a person does them.
fn verify(r: &CpsInstruction, d: &Dossier) -> Result<Verdict, Failure> {
    let (number, well_formed) = rpps(d);
    if !well_formed {
        return Ok(Verdict::refuse(format!(
            "le numéro RPPS saisi (« {number} ») n’a pas le format attendu (11 chiffres)"
        )));
    }
    match checks::directory(&r.referentiel, &number)? {
        Directory::Unknown => {
            return Ok(Verdict::refuse(format!(
                "le numéro RPPS {number} est inconnu du répertoire des professionnels de santé"
            )));
        }
        Directory::Inactive => {
            return Ok(Verdict::refuse(format!(
                "l’inscription du numéro RPPS {number} au répertoire des professionnels de santé n’est plus active"
            )));
        }
        Directory::Active => {}
    }
    if let Some(motif) = checks::opposition(&r.list, &number)? {
        return Ok(Verdict::refuse(format!(
            "une opposition est enregistrée pour le numéro RPPS {number} ({motif})"
        )));
    }
    Ok(Verdict {
        accept: true,
        why: format!(
            "le numéro RPPS {number} est actif au répertoire des professionnels de santé et aucune opposition n’est enregistrée"
        ),
    })
}

/// The decision in the CPS tool, once: a retry after a later DS failure
/// finds it in `state` and does not record it again.
fn record_in_cps(r: &CpsInstruction, d: &Dossier, v: &Verdict) -> Result<(), Failure> {
    let key = format!("dossier/{}/cps", d.number);
    if state::get_string(&key).map_err(system("state"))?.is_some() {
        return Ok(());
    }
    let decision = if v.accept { "accepter" } else { "refuser" };
    let comment = format!("Instruit par robot : {}.", v.why);
    let confirmation = cps::instruct(&r.cps, &r.user, d.number, decision, &comment)?;
    state::set_string(&key, decision).map_err(system("state"))?;
    log::log(
        log::Level::Info,
        &confirmation,
        &[("dossier", &d.number.to_string()), ("decision", decision)],
    );
    Ok(())
}

fn annotate(d: &Dossier, v: &Verdict) -> Result<(), Failure> {
    let value = if v.accept { "Acceptée" } else { "Refusée" };
    // This robot's own wording for a missing annotation, kept as it was.
    let input = d
        .annotation_input("Décision", AnnotationValue::DropDown(value.into()))
        .map_err(|_| Failure::Business("annotation « Décision » absente".into()))?;
    ds::modifier_annotations(d.number, &[input]).map_err(system("annotations"))
}

/// Accepts or refuses in DS; the motivation is what the applicant receives.
fn decide(d: &Dossier, v: &Verdict) -> Result<String, Failure> {
    let motivation = if v.accept {
        format!("Votre demande de carte CPS est acceptée : {}.", v.why)
    } else {
        format!(
            "Votre demande de carte CPS est refusée : {}. Vous pouvez déposer une nouvelle demande une fois la situation régularisée.",
            v.why
        )
    };
    let sent = if v.accept {
        ds::accepter(d.number, Some(&motivation), None, false)
    } else {
        ds::refuser(d.number, &motivation, None, false)
    };
    match sent {
        Ok(_) | Err(DsError::AlreadyInState(_)) => Ok(motivation),
        Err(e) => Err(system("décision")(e)),
    }
}

impl Robot for CpsInstruction {
    fn init(settings: Settings) -> Result<Self, String> {
        let url = |key: &str| {
            settings
                .get(key)
                .map(|v| v.trim_end_matches('/').to_string())
                .ok_or_else(|| format!("setting `{key}` missing (base URL)"))
        };
        Ok(Self {
            cps: url("cps")?,
            referentiel: url("referentiel")?,
            user: settings
                .get_or("cps-identifiant", "robot.cps-instruction")
                .to_string(),
            list: settings.get_or("liste", "liste-interne.xlsx").to_string(),
        })
    }

    fn process(&mut self, item: Item) -> Result<Outcome, Failure> {
        let d = item.load_dossier().map_err(system("dossier"))?;
        if !matches!(
            d.state,
            DossierState::EnConstruction | DossierState::EnInstruction
        ) {
            return Ok(Outcome::Skipped("dossier déjà terminé".into()));
        }
        // The dossier is examined from now on: the applicant can no longer
        // edit it.
        d.ensure_en_instruction()
            .map_err(system("passer en instruction"))?;
        let verdict = verify(self, &d)?;
        record_in_cps(self, &d, &verdict)?;
        annotate(&d, &verdict)?;
        decide(&d, &verdict)?;
        let _ = state::delete(&format!("dossier/{}/cps", d.number));
        let word = if verdict.accept {
            "acceptée"
        } else {
            "refusée"
        };
        Ok(Outcome::Done(format!("{word} : {}", verdict.why)))
    }
}

pont_sdk::export!(CpsInstruction);
