//! The Chorus subsidy form, driven through the browser capability with the
//! form's stable ids only (the guide's rule for scraped UIs).
//!
//! Step 1 identifies the beneficiary, step 2 gives the amounts; Chorus then
//! reveals its reference. A field Chorus rejects shows in `#erreurs`: that is
//! the dossier's problem (business failure, with Chorus's own words), while
//! an unreachable or broken page is a system failure (retried).

use pont_sdk::browser::{self, Session};
use pont_sdk::{Error, Failure};

use crate::subsidy::Subsidy;

/// How long a page that follows a submit may take.
const PAGE_WAIT_MS: u32 = 15_000;

fn sys(step: &'static str) -> impl Fn(Error) -> Failure {
    pont_sdk::system(format!("Chorus, {step}"))
}

/// Enters `s` into Chorus and returns the Chorus reference.
pub fn enter(base: &str, s: &Subsidy) -> Result<String, Failure> {
    let session = Session::open("chorus").map_err(sys("ouverture"))?;
    session
        .goto(&format!("{base}/subvention"))
        .map_err(sys("page de saisie"))?;
    step1(&session, s)?;
    step2(&session, s)?;
    session
        .wait_text(&browser::id("reference-chorus"), PAGE_WAIT_MS)
        .map(|r| r.trim().to_string())
        .map_err(sys("référence"))
}

fn step1(session: &Session, s: &Subsidy) -> Result<(), Failure> {
    session
        .find(&browser::id("dispositif"))
        .and_then(|e| e.select(&s.dispositif))
        .map_err(sys("dispositif"))?;
    let fields = [
        ("siret", s.siret.as_str()),
        ("raison_sociale", s.raison_sociale.as_str()),
        ("reference_ds", s.reference_ds.as_str()),
    ];
    for (id, value) in fields {
        session
            .fill_in(&browser::id(id), value)
            .map_err(sys("identification"))?;
    }
    session
        .click_on(&browser::id("etape1-suivant"))
        .map_err(sys("étape 1"))?;
    next_step(session, "montant")
}

fn step2(session: &Session, s: &Subsidy) -> Result<(), Failure> {
    let fields = [
        ("montant", s.montant.as_str()),
        ("date_decision", s.date_decision.as_str()),
        ("objet", s.objet.as_str()),
    ];
    for (id, value) in fields {
        session
            .fill_in(&browser::id(id), value)
            .map_err(sys("montants"))?;
    }
    session
        .click_on(&browser::id("etape2-valider"))
        .map_err(sys("étape 2"))?;
    next_step(session, "confirmation")
}

/// Waits for the element of the next page; if it does not come and Chorus
/// shows validation errors instead, the dossier's data is at fault.
fn next_step(session: &Session, expected: &str) -> Result<(), Failure> {
    match session.wait_for(&browser::id(expected), PAGE_WAIT_MS) {
        Ok(_) => Ok(()),
        Err(wait) => match session.find(&browser::id("erreurs")).and_then(|e| e.text()) {
            Ok(errors) => Err(Failure::Business(format!(
                "Chorus refuse la saisie : {}",
                errors.split_whitespace().collect::<Vec<_>>().join(" ")
            ))),
            Err(_) => Err(sys("page suivante")(wait)),
        },
    }
}
