//! The activity report: an Excel workbook on the read-write `rapports`
//! mount, one row per transmitted dossier, appended to (the service's own
//! styles and other sheets are kept by the host).
//!
//! Columns, in order: Date, Dossier, Nature, Catégorie, Fichiers,
//! Numéros @ctes, Archive.

use pont_sdk::sheets::{Cell, Workbook};
use pont_sdk::{Failure, state};

/// The mount holding the report.
pub const MOUNT: &str = "rapports";

fn sys(step: &'static str) -> impl Fn(pont_sdk::Error) -> Failure {
    pont_sdk::system(format!("rapport d’activité, {step}"))
}

/// One row of the report.
pub struct Row<'a> {
    pub dossier: i64,
    pub nature: &'a str,
    pub categorie: &'a str,
    pub files: usize,
    pub numeros: &'a [String],
    pub archive: &'a str,
}

/// Appends the row unless an earlier attempt did; returns its number in the
/// sheet (1-based, as Excel shows it).
pub fn append_once((path, sheet): &(String, String), r: &Row<'_>) -> Result<u32, Failure> {
    let key = format!("rapport:{}", r.dossier);
    if let Some(row) = state::get_string(&key)
        .map_err(sys("état"))?
        .and_then(|s| s.parse().ok())
    {
        return Ok(row);
    }
    let book = Workbook::open(MOUNT, path).map_err(sys("ouverture"))?;
    let table = book.table(sheet, 1).map_err(sys("lecture"))?;
    let row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX - 2) + 2;
    let cells = vec![
        Cell::Date(pont_sdk::today()),
        Cell::Number(r.dossier as f64),
        Cell::text(r.nature),
        Cell::text(r.categorie),
        Cell::Number(r.files as f64),
        Cell::text(r.numeros.join(", ")),
        Cell::text(r.archive),
    ];
    book.append_rows(sheet, &[cells]).map_err(sys("ajout"))?;
    book.save().map_err(sys("enregistrement"))?;
    state::set_string(&key, &row.to_string()).map_err(sys("état"))?;
    Ok(row)
}
