//! The two web applications. Each step opens its own session and closes it
//! when the step returns, so no session stays open while the external
//! service works; elements are found by their stable ids.

use pont_sdk::browser::{self, Session};
use pont_sdk::{Failure, system};

use crate::identity::Identity;

/// Wait for the page that follows a submit (confirmations appear late).
const PAGE_WAIT_MS: u32 = 10_000;
/// The casier request's reason for a VTC card.
const MOTIF_VTC: &str = "carte_vtc";

fn fill(s: &Session, id: &str, text: &str) -> Result<(), Failure> {
    s.find(&browser::id(id))
        .map_err(system("find"))?
        .fill(text)
        .map_err(system("fill"))
}

fn click(s: &Session, id: &str) -> Result<(), Failure> {
    s.find(&browser::id(id))
        .map_err(system("find"))?
        .click()
        .map_err(system("click"))
}

fn wait_text(s: &Session, id: &str) -> Result<String, Failure> {
    let text = s
        .wait_for(&browser::id(id), PAGE_WAIT_MS)
        .map_err(system("wait"))?
        .text()
        .map_err(system("text"))?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(Failure::System(format!("#{id} is empty")));
    }
    Ok(text)
}

/// Files the casier judiciaire request; returns its number (`CJ-…`).
pub fn file_casier(base: &str, who: &Identity) -> Result<String, Failure> {
    let s = Session::open("casier").map_err(system("open casier"))?;
    s.goto(&format!("{base}/demande")).map_err(system("goto"))?;
    fill(&s, "nom", &who.nom)?;
    fill(&s, "prenoms", &who.prenoms)?;
    fill(&s, "date_naissance", &who.naissance)?;
    fill(&s, "lieu_naissance", &who.lieu)?;
    fill(&s, "nationalite", &who.nationalite)?;
    s.find(&browser::id("motif"))
        .map_err(system("find"))?
        .select(MOTIF_VTC)
        .map_err(system("select"))?;
    click(&s, "demande-envoyer")?;
    wait_text(&s, "numero-demande")
}

/// Files the contrôle du droit à conduire; returns its number (`DAC-…`).
/// The service answers later, on the request's own page.
pub fn file_controle(base: &str, who: &Identity) -> Result<String, Failure> {
    let s = Session::open("controle").map_err(system("open controle"))?;
    s.goto(&format!("{base}/controle"))
        .map_err(system("goto"))?;
    fill(&s, "numero_permis", &who.permis)?;
    fill(&s, "nom", &who.nom)?;
    fill(&s, "date_naissance", &who.naissance)?;
    click(&s, "controle-envoyer")?;
    wait_text(&s, "numero-demande")
}

/// The contrôle's answer: `None` while it is being processed, else whether
/// the licence is valid.
pub fn controle_answer(base: &str, numero: &str) -> Result<Option<bool>, Failure> {
    let s = Session::open("controle").map_err(system("open controle"))?;
    s.goto(&format!("{base}/controle/{numero}"))
        .map_err(system("goto"))?;
    let statut = s
        .wait_for(&browser::id("statut"), PAGE_WAIT_MS)
        .map_err(system("statut"))?
        .attribute("data-statut")
        .map_err(system("statut"))?;
    if statut.as_deref() != Some("termine") {
        return Ok(None);
    }
    let resultat = s
        .find(&browser::id("resultat"))
        .map_err(system("resultat"))?
        .attribute("data-resultat")
        .map_err(system("resultat"))?;
    match resultat.as_deref() {
        Some("valide") => Ok(Some(true)),
        Some("suspendu") => Ok(Some(false)),
        other => Err(Failure::System(format!(
            "contrôle {numero}: unexpected result {other:?}"
        ))),
    }
}
