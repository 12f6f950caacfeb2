//! Loading every sheet of a workbook into typed cells, under [`SheetLimits`].
//!
//! xlsx is read sparsely: cells are streamed one by one from the sheet XML,
//! and only the real (non-empty) ones are kept and counted. The used range a
//! sheet declares (`<dimension ref="A1:XFD1048576"/>`) is never looked at, so
//! a sheet that declares the whole grid but holds a few cells reads like any
//! small sheet. The rectangle the real cells span is what a table hands the
//! robot, so that rectangle is what the cell limit counts, before it is
//! allocated. Other formats go through calamine's whole-sheet reader, after
//! the zip container (ods) or the BIFF records (xls) have been checked; the
//! rectangle is then counted again before the cells are converted.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Xlsx, XlsxError};

use super::cell::{Cell, from_calamine};
use super::limits::{Budget, SheetLimits};
use super::{Format, SheetData, unzip, xls};

/// The signature of a compound file (legacy xls).
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
use crate::error::Result;

/// Load all sheets of `bytes` (a workbook, not csv) read from `raw` on `mount`.
pub(crate) fn load(
    mount: &str,
    raw: &str,
    format: Format,
    bytes: &[u8],
    limits: &SheetLimits,
) -> Result<Vec<SheetData>> {
    let mut budget = Budget::new(limits, mount, raw);
    let zipped = unzip::is_zip(bytes);
    if zipped {
        unzip::check(bytes, &budget)?;
    }
    if bytes.starts_with(&CFB_MAGIC) {
        xls::check(bytes, &budget)?;
    }
    if zipped && format == Format::Xlsx {
        load_xlsx(bytes, &mut budget)
    } else {
        load_whole(bytes, &mut budget)
    }
}

fn load_xlsx(bytes: &[u8], budget: &mut Budget<'_>) -> Result<Vec<SheetData>> {
    let mut book = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| budget.invalid(format!("cannot read spreadsheet: {e}")))?;
    let names = book.sheet_names();
    budget.sheets(names.len())?;
    names
        .into_iter()
        .map(|name| xlsx_sheet(&mut book, name, budget))
        .collect()
}

/// Stream one xlsx sheet's cells, keeping the non-empty ones.
fn xlsx_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: String,
    budget: &mut Budget<'_>,
) -> Result<SheetData> {
    let bad = |e: XlsxError| format!("cannot read sheet `{name}`: {e}");
    let mut reader = match book.worksheet_cells_reader(&name) {
        Ok(r) => r,
        // A chart sheet has no cells; calamine reads it as an empty range too.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Sparse::default().into_sheet(name)),
        Err(e) => return Err(budget.invalid(bad(e))),
    };
    let mut sparse = Sparse::default();
    while let Some(c) = reader.next_cell().map_err(|e| budget.invalid(bad(e)))? {
        let value = c.get_value();
        if matches!(value, DataRef::Empty) {
            continue;
        }
        let (row, col) = c.get_position();
        budget.column(u64::from(col))?;
        budget.text(ref_text_len(value))?;
        budget.cells(1)?;
        sparse.push(row, col, from_calamine(&Data::from(value.clone())));
    }
    drop(reader);
    sparse.count_rectangle(budget)?;
    Ok(sparse.into_sheet(name))
}

/// Bytes of text a cell value would hold once copied out of the reader.
fn ref_text_len(v: &DataRef<'_>) -> usize {
    match v {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 0,
    }
}

/// The real cells of a sheet, as streamed, with the rectangle they span.
#[derive(Default)]
struct Sparse {
    cells: Vec<(u32, u32, Cell)>,
    /// (first row, first column, last row, last column), once a cell was seen.
    bounds: Option<(u32, u32, u32, u32)>,
}

impl Sparse {
    fn push(&mut self, row: u32, col: u32, cell: Cell) {
        self.bounds = Some(match self.bounds {
            None => (row, col, row, col),
            Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
        });
        self.cells.push((row, col, cell));
    }

    /// Height and width of the rectangle.
    fn size(&self) -> (u64, u64) {
        self.bounds.map_or((0, 0), |(r0, c0, r1, c1)| {
            (u64::from(r1 - r0) + 1, u64::from(c1 - c0) + 1)
        })
    }

    /// Count the rectangle's empty cells too (the real ones are counted already),
    /// before [`Sparse::into_sheet`] allocates it.
    fn count_rectangle(&self, budget: &mut Budget<'_>) -> Result<()> {
        let (h, w) = self.size();
        budget.cells(h.saturating_mul(w).saturating_sub(self.cells.len() as u64))
    }

    /// The dense rows, as [`SheetData`] holds them. Only call once counted.
    fn into_sheet(self, name: String) -> SheetData {
        let (first_row, first_col, ..) = self.bounds.unwrap_or_default();
        let (h, w) = self.size();
        #[allow(clippy::cast_possible_truncation)] // counted against the cell limit
        let (h, w) = (h as usize, w as usize);
        let mut rows = vec![vec![Cell::Empty; w]; h];
        for (r, c, cell) in self.cells {
            rows[(r - first_row) as usize][(c - first_col) as usize] = cell;
        }
        SheetData {
            name,
            first_row,
            first_col,
            rows,
        }
    }
}

/// Formats calamine only reads sheet by sheet in full (xls, ods, xlsb): the
/// rectangle is counted before its cells are converted.
fn load_whole(bytes: &[u8], budget: &mut Budget<'_>) -> Result<Vec<SheetData>> {
    let invalid =
        |b: &Budget<'_>, e: calamine::Error| b.invalid(format!("cannot read spreadsheet: {e}"));
    let mut book =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| invalid(budget, e))?;
    let names = book.sheet_names();
    budget.sheets(names.len())?;
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| invalid(budget, e))?;
        let (h, w) = range.get_size();
        if w > 0 {
            budget.column(w as u64 - 1)?;
        }
        budget.cells((h as u64).saturating_mul(w as u64))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let mut rows = Vec::with_capacity(h);
        for r in range.rows() {
            let mut row = Vec::with_capacity(w);
            for d in r {
                budget.text(text_len(d))?;
                row.push(from_calamine(d));
            }
            rows.push(row);
        }
        sheets.push(SheetData {
            name,
            first_row,
            first_col,
            rows,
        });
    }
    Ok(sheets)
}

fn text_len(d: &Data) -> usize {
    match d {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.len(),
        _ => 0,
    }
}
