//! Where a checked declaration goes: the Excel export, the HR tool (SIRH)
//! and the activity report. Each step keeps its result in `state` under the
//! dossier, so a retry after a later step failed never repeats it.

use pont_sdk::browser::{self, Session};
use pont_sdk::ds::{ChampValue, Dossier};
use pont_sdk::sheets::{Cell, Workbook};
use pont_sdk::{Failure, log, state, system};

/// The mount holding the export and the activity report.
pub const MOUNT: &str = "rapports";
/// The Excel export of consistent declarations, one row per agent.
const EXPORT: (&str, &str) = ("export-agents.xlsx", "Agents");
/// The activity report, one row per dossier handled.
const REPORT: (&str, &str) = ("rapport-activite.xlsx", "Activité");
/// Wait for the page that follows a submit.
const PAGE_WAIT_MS: u32 = 10_000;

/// The result of `step` for this dossier: kept from an earlier attempt, or
/// produced by `run` now and kept at once.
pub fn once(
    number: i64,
    step: &str,
    run: impl FnOnce() -> Result<String, Failure>,
) -> Result<String, Failure> {
    let key = format!("dossier/{number}/{step}");
    if let Some(done) = state::get_string(&key).map_err(system("state"))? {
        return Ok(done);
    }
    let result = run()?;
    state::set_string(&key, &result).map_err(system("state"))?;
    Ok(result)
}

/// Forgets the dossier's steps once its outcome is final.
pub fn forget(number: i64) {
    let prefix = format!("dossier/{number}/");
    let keys = state::keys(&prefix).unwrap_or_default();
    for k in keys {
        if let Err(e) = state::delete(&k) {
            log::warn(&format!("state: cannot forget {k}: {e:?}"));
        }
    }
}

/// A consistent declaration, as exported and entered in the SIRH.
pub struct Agent {
    pub matricule: String,
    pub nom: String,
    pub prenom: String,
    pub courriel: String,
    pub date_entree: String,
    pub services: String,
    pub region: String,
    pub temps_complet: bool,
    pub remuneration: f64,
    pub siret: String,
    pub iban: String,
}

fn text(d: &Dossier, label: &str) -> String {
    d.champ_labelled(label)
        .and_then(|c| c.value.as_text())
        .unwrap_or_default()
        .trim()
        .to_string()
}

impl Agent {
    /// Reads a dossier the rules found consistent (so every value is there).
    pub fn read(d: &Dossier) -> Self {
        let value = |label: &str| d.champ_labelled(label).map(|c| &c.value);
        let services = match value("Services") {
            Some(ChampValue::MultipleDropDown(list)) => list.join(", "),
            Some(v) => v.as_text().unwrap_or_default().to_string(),
            None => String::new(),
        };
        let region = match value("Région d’affectation") {
            Some(ChampValue::Region(p)) => p.name.clone(),
            Some(v) => v.as_text().unwrap_or_default().to_string(),
            None => String::new(),
        };
        let siret = match value("SIRET de l’employeur") {
            Some(ChampValue::Siret(e)) => e.siret.clone(),
            _ => String::new(),
        };
        let matricule = value("Matricule")
            .and_then(ChampValue::as_number)
            .map(|m| format!("{m:.0}"))
            .unwrap_or_default();
        Self {
            matricule,
            nom: text(d, "Nom"),
            prenom: text(d, "Prénom"),
            courriel: text(d, "Courriel"),
            date_entree: text(d, "Date d’entrée"),
            services,
            region,
            temps_complet: matches!(
                value("Temps complet"),
                Some(ChampValue::YesNo(true) | ChampValue::Checkbox(true))
            ),
            remuneration: value("Rémunération brute annuelle (€)")
                .and_then(ChampValue::as_number)
                .unwrap_or_default(),
            siret,
            iban: text(d, "IBAN").split_whitespace().collect(),
        }
    }
}

/// Appends one row to a sheet of a workbook of the mount and saves it.
fn append(book: (&str, &str), row: Vec<Cell>) -> Result<(), Failure> {
    let wb = Workbook::open(MOUNT, book.0).map_err(system("open workbook"))?;
    wb.append_rows(book.1, &[row]).map_err(system("append"))?;
    wb.save().map_err(system("save"))
}

/// The export row: dossier number first, then the declaration.
pub fn export(number: i64, a: &Agent) -> Result<String, Failure> {
    let row = vec![
        Cell::Number(number as f64),
        Cell::text(&a.matricule),
        Cell::text(&a.nom),
        Cell::text(&a.prenom),
        Cell::text(&a.courriel),
        Cell::Date(a.date_entree.clone()),
        Cell::text(&a.services),
        Cell::text(&a.region),
        Cell::Boolean(a.temps_complet),
        Cell::Number(a.remuneration),
        Cell::text(&a.siret),
        Cell::text(&a.iban),
    ];
    append(EXPORT, row)?;
    Ok(EXPORT.0.to_string())
}

/// One line of the activity report: date, dossier, result, count of
/// anomalies, and the SIRH number when there is one.
pub fn report(
    number: i64,
    today: &str,
    result: &str,
    anomalies: usize,
    sirh: &str,
) -> Result<String, Failure> {
    let row = vec![
        Cell::Date(today.to_string()),
        Cell::Number(number as f64),
        Cell::text(result),
        Cell::Number(anomalies as f64),
        Cell::text(sirh),
    ];
    append(REPORT, row)?;
    Ok(REPORT.0.to_string())
}

fn fill(s: &Session, id: &str, text: &str) -> Result<(), Failure> {
    s.find(&browser::id(id))
        .map_err(system("find"))?
        .fill(text)
        .map_err(system("fill"))
}

/// Enters the agent in the SIRH; returns its file number (`AG-…`).
pub fn sirh(base: &str, a: &Agent) -> Result<String, Failure> {
    let s = Session::open("sirh").map_err(system("open sirh"))?;
    s.goto(&format!("{base}/agents/nouveau"))
        .map_err(system("goto"))?;
    fill(&s, "matricule", &a.matricule)?;
    fill(&s, "nom", &a.nom)?;
    fill(&s, "prenom", &a.prenom)?;
    fill(&s, "courriel", &a.courriel)?;
    fill(&s, "date_entree", &a.date_entree)?;
    fill(&s, "service", &a.services)?;
    fill(&s, "region", &a.region)?;
    s.find(&browser::id("temps_complet"))
        .map_err(system("find"))?
        .select(if a.temps_complet { "oui" } else { "non" })
        .map_err(system("select"))?;
    s.find(&browser::id("agent-enregistrer"))
        .map_err(system("find"))?
        .click()
        .map_err(system("click"))?;
    let numero = s
        .wait_for(&browser::id("numero-agent"), PAGE_WAIT_MS)
        .map_err(system("wait"))?
        .text()
        .map_err(system("text"))?;
    let numero = numero.trim().to_string();
    if numero.is_empty() {
        return Err(Failure::System("SIRH: empty file number".into()));
    }
    Ok(numero)
}
