//! The KPI table as an xlsx workbook, written atomically.
//!
//! Offices read these reports in a spreadsheet, so numbers are written as
//! numeric cells (not text) and can be summed. The file is written to a
//! temporary file in the destination's directory and renamed over it, so a
//! reader (or a crash) never sees half a workbook.

use std::io::Write as _;
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::measure::{KpiError, KpiRow};
use super::table::{Cell, HEADERS, cells};

/// Name of the worksheet holding the table.
pub const SHEET_NAME: &str = "KPI";

fn xlsx_error(e: XlsxError) -> KpiError {
    KpiError::Xlsx(e.to_string())
}

/// The workbook's bytes: one sheet, a bold header row, one row per line.
pub fn to_xlsx_bytes(rows: &[KpiRow]) -> Result<Vec<u8>, KpiError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET_NAME).map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet
            .write_string_with_format(0, col, header, &bold)
            .map_err(xlsx_error)?;
    }
    for (r, line) in (1u32..).zip(cells(rows)) {
        for (col, cell) in (0u16..).zip(&line) {
            match cell {
                Cell::Empty => {}
                Cell::Number(n) => {
                    sheet.write_number(r, col, *n).map_err(xlsx_error)?;
                }
                Cell::Text(t) => {
                    sheet.write_string(r, col, t.as_str()).map_err(xlsx_error)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// Write the workbook to `path`, replacing it atomically.
pub fn write_xlsx(rows: &[KpiRow], path: &Path) -> Result<(), KpiError> {
    let bytes = to_xlsx_bytes(rows)?;
    let write_error = |error| KpiError::Write {
        path: path.to_path_buf(),
        error,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pont-report-")
        .suffix(".xlsx.tmp")
        .tempfile_in(dir)
        .map_err(write_error)?;
    tmp.write_all(&bytes).map_err(write_error)?;
    tmp.as_file().sync_all().map_err(write_error)?;
    tmp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}
