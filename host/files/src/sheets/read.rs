//! Loading every sheet of a workbook into typed cells: calamine for the binary
//! formats, the csv crate for text.

use std::io::Cursor;

use calamine::Reader;

use super::cell::{Cell, from_calamine};
use super::{Format, SheetData};
use crate::error::{FilesError, Result};
use crate::mount::Mount;
use crate::path::RobotPath;

/// Load all sheets of `bytes`, read from `raw` on `mount`.
pub(crate) fn load(
    mount: &Mount,
    raw: &str,
    p: &RobotPath,
    format: Format,
    bytes: Vec<u8>,
) -> Result<Vec<SheetData>> {
    if format == Format::Csv {
        let name = p
            .split_last()
            .map(|(_, n)| n.rsplit_once('.').map_or(n, |(stem, _)| stem).to_string())
            .unwrap_or_default();
        return Ok(vec![load_csv(mount, raw, name, &bytes)?]);
    }
    let invalid = |e: calamine::Error| {
        FilesError::invalid(mount.name(), raw, format!("cannot read spreadsheet: {e}"))
    };
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(invalid)?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(invalid)?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let rows = range
            .rows()
            .map(|r| r.iter().map(from_calamine).collect())
            .collect();
        sheets.push(SheetData {
            name,
            first_row,
            first_col,
            rows,
        });
    }
    Ok(sheets)
}

/// A csv file as one sheet of text cells. The separator is guessed from the first
/// line (French exports use `;`), and a file that is not UTF-8 is read as Latin-1,
/// the usual encoding of older office exports.
fn load_csv(mount: &Mount, raw: &str, name: String, bytes: &[u8]) -> Result<SheetData> {
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let first = text.lines().next().unwrap_or("");
    let delimiter = [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| FilesError::invalid(mount.name(), raw, format!("bad csv: {e}")))?;
        rows.push(
            record
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(f.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(SheetData {
        name,
        first_row: 0,
        first_col: 0,
        rows,
    })
}
