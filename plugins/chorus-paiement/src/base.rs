//! The EJ base: an Excel workbook kept by the finance service, one row per
//! engagement juridique, on the read-only `referentiel` mount.
//!
//! Columns are found by name on row 1, so the service may add or reorder
//! columns: `EJ`, `SIRET`, `Bénéficiaire`, `Montant engagé (€)`. An EJ that is
//! missing, listed twice, for another SIRET, or engaged for less than the
//! amount asked goes to a person: paying it would be a costly error.

use pont_sdk::Failure;
use pont_sdk::sheets::{Cell, Table, Workbook};

use crate::payment::{Payment, euros};

/// The mount holding the EJ base.
pub const MOUNT: &str = "referentiel";

/// What the base says of a payment's EJ.
pub enum Check {
    Ok(Engagement),
    /// The reason a person must look at it.
    Review(String),
}

/// The EJ's row in the base.
#[derive(Debug, Clone)]
pub struct Engagement {
    pub beneficiaire: String,
    pub engage: f64,
}

/// A cell's number, whether the workbook stores it as a number or as text
/// (`1 234,50`).
pub fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Number(n) => Some(*n),
        Cell::Text(t) => t
            .replace([' ', '\u{a0}', '\u{202f}', '€'], "")
            .replace(',', ".")
            .parse()
            .ok(),
        _ => None,
    }
}

fn column(table: &Table, name: &str) -> Result<usize, Failure> {
    table
        .column(name)
        .ok_or_else(|| Failure::System(format!("base des EJ : colonne « {name} » introuvable")))
}

/// Looks the payment's EJ up and checks it against the dossier.
pub fn check((path, sheet): &(String, String), p: &Payment) -> Result<Check, Failure> {
    let book =
        Workbook::open(MOUNT, path).map_err(pont_sdk::system(format!("base des EJ {path}")))?;
    let table = book
        .table(sheet, 1)
        .map_err(pont_sdk::system(format!("base des EJ, feuille {sheet}")))?;
    let (ej, siret) = (column(&table, "EJ")?, column(&table, "SIRET")?);
    let (name, amount) = (
        column(&table, "Bénéficiaire")?,
        column(&table, "Montant engagé (€)")?,
    );
    let rows: Vec<&Vec<Cell>> = table
        .rows
        .iter()
        .filter(|r| r.get(ej).is_some_and(|c| c.to_text().trim() == p.ej))
        .collect();
    let row = match rows.as_slice() {
        [row] => *row,
        [] => {
            return Ok(Check::Review(format!(
                "EJ {} absent de la base des EJ",
                p.ej
            )));
        }
        many => {
            return Ok(Check::Review(format!(
                "EJ {} présent {} fois dans la base des EJ",
                p.ej,
                many.len()
            )));
        }
    };
    let cell = |i: usize| row.get(i).cloned().unwrap_or(Cell::Empty);
    let base_siret: String = cell(siret).to_text().split_whitespace().collect();
    if base_siret != p.siret {
        return Ok(Check::Review(format!(
            "EJ {} engagé pour un autre SIRET que celui du dossier",
            p.ej
        )));
    }
    let engage = number(&cell(amount)).unwrap_or(0.0);
    if p.montant > engage + 0.005 {
        return Ok(Check::Review(format!(
            "montant demandé {} € supérieur au montant engagé {} € (EJ {})",
            euros(p.montant),
            euros(engage),
            p.ej
        )));
    }
    Ok(Check::Ok(Engagement {
        beneficiaire: cell(name).to_text(),
        engage,
    }))
}
