//! The activity report: an Excel workbook on the read-write `rapports`
//! mount, one row per payment, which the service keeps (with its own
//! styles, sheets and formulas) and the robot only appends to.
//!
//! Columns, in order: Date, Dossier, EJ, Bénéficiaire, Montant (€),
//! Numéro de paiement, Pièces jointes, Montant engagé (€).

use pont_sdk::sheets::{Cell, Workbook};
use pont_sdk::{Failure, state};

use crate::base::Engagement;
use crate::payment::Payment;

/// The mount holding the report.
pub const MOUNT: &str = "rapports";

fn sys(step: &'static str) -> impl Fn(pont_sdk::Error) -> Failure {
    pont_sdk::system(format!("rapport d’activité, {step}"))
}

/// Appends the payment's row unless an earlier attempt did; returns the
/// row's number in the sheet (1-based, as Excel shows it).
pub fn append_once(
    (path, sheet): &(String, String),
    p: &Payment,
    e: &Engagement,
    numero: &str,
) -> Result<u32, Failure> {
    let key = format!("rapport:{}", p.dossier);
    if let Some(row) = state::get_string(&key)
        .map_err(sys("état"))?
        .and_then(|s| s.parse().ok())
    {
        return Ok(row);
    }
    let book = Workbook::open(MOUNT, path).map_err(sys("ouverture"))?;
    let table = book.table(sheet, 1).map_err(sys("lecture"))?;
    // Header on row 1, then the existing rows: the new one comes after.
    let row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX - 2) + 2;
    let cells = vec![
        Cell::Date(pont_sdk::today()),
        Cell::Number(p.dossier as f64),
        Cell::text(&p.ej),
        Cell::text(&e.beneficiaire),
        Cell::Number(p.montant),
        Cell::text(numero),
        Cell::Number(p.invoices.len() as f64),
        Cell::Number(e.engage),
    ];
    book.append_rows(sheet, &[cells]).map_err(sys("ajout"))?;
    book.save().map_err(sys("enregistrement"))?;
    state::set_string(&key, &row.to_string()).map_err(sys("état"))?;
    Ok(row)
}
