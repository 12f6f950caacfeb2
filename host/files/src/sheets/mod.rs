//! Spreadsheets on a mount: the EJ base to look numbers up in, the activity
//! reports to append to.
//!
//! Reading goes through calamine (xlsx, xls, ods) or the csv crate, into typed
//! cells held in memory. Appending edits the existing xlsx with umya-spreadsheet,
//! which round-trips the parts it does not touch (other sheets, styles, column
//! widths), and saving goes through the mount's atomic write. While a workbook is
//! being written a lock file beside it is held, so two runs cannot interleave.

mod cell;
mod csv;
mod limits;
mod read;
mod unzip;
mod xls;

use std::fs::TryLockError;
use std::io::{Cursor, Read};
use std::sync::Arc;

use pont_policy::Permit;

pub use cell::Cell;
pub use limits::SheetLimits;

use crate::error::{FilesError, Result};
use crate::mount::Mount;
use crate::path::RobotPath;
use crate::permit;

/// Workbooks larger than this are refused instead of being loaded into memory
/// (the default of [`SheetLimits::max_file_bytes`]).
pub const MAX_WORKBOOK_BYTES: u64 = 256 * 1024 * 1024;

/// A table read from a sheet: the header row gives the column names.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names, from the header row (empty header cells give `""`).
    pub columns: Vec<String>,
    /// Rows below the header, each as wide as `columns`; trailing empty rows dropped.
    pub rows: Vec<Vec<Cell>>,
}

/// A row found by [`Workbook::find_rows`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoundRow {
    /// 1-based row number in the sheet, as a person sees it.
    pub row_number: u32,
    /// The row's cells, aligned with the header.
    pub cells: Vec<Cell>,
}

/// File formats, from the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML (xlsx, xlsm): readable and appendable.
    Xlsx,
    /// Legacy Excel: read-only.
    Xls,
    /// OpenDocument: read-only.
    Ods,
    /// Comma- or semicolon-separated text: read-only, every cell is text.
    Csv,
}

/// One sheet's used range, converted to cells.
#[derive(Debug)]
pub(crate) struct SheetData {
    pub(crate) name: String,
    /// 0-based row of `rows[0]` in the sheet.
    pub(crate) first_row: u32,
    /// 0-based column of each row's first cell.
    pub(crate) first_col: u32,
    pub(crate) rows: Vec<Vec<Cell>>,
}

/// Held while the workbook is being written: the lock and the editable document.
struct Writer {
    /// Dropping the file releases the lock.
    _lock: std::fs::File,
    book: umya_spreadsheet::Workbook,
    dirty: bool,
}

/// An opened workbook. Reads come from the file as it was when opened (or last
/// saved by this handle); appends are kept in memory until [`Workbook::store`].
///
/// Opening takes the gate's read permit for the file, and storing a write
/// permit for the same file charged for the bytes stored. Taking the write
/// lock and re-reading the file in between works under the opening's
/// decision: the lock is a host file, the mount's own access refuses it on a
/// read-only mount, and no robot byte is written until `store`.
pub struct Workbook {
    mount: Arc<Mount>,
    path: RobotPath,
    raw: String,
    format: Format,
    sheets: Vec<SheetData>,
    writer: Option<Writer>,
    /// Applied to every read of the file: at open, before editing, after saving.
    limits: SheetLimits,
}

impl std::fmt::Debug for Workbook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workbook")
            .field("mount", &self.mount.name())
            .field("path", &self.raw)
            .field("format", &self.format)
            .field("writing", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl Workbook {
    /// Open the workbook the read `permit` names on `mount` under the default
    /// [`SheetLimits`]; the format follows the extension.
    pub fn open(mount: Arc<Mount>, permit: &Permit) -> Result<Self> {
        Self::open_with_limits(mount, permit, SheetLimits::default())
    }

    /// Open the workbook the read `permit` names on `mount`, refusing it with
    /// [`FilesError::Limit`] as soon as it passes one of `limits`.
    pub fn open_with_limits(
        mount: Arc<Mount>,
        permit: &Permit,
        limits: SheetLimits,
    ) -> Result<Self> {
        let path = permit::read(&mount, permit)?;
        let p = mount.parse(path, false)?;
        let format = format_of(&mount, path, &p)?;
        let sheets = if format == Format::Csv {
            let file = mount.open_regular(&p, path)?;
            vec![csv::load(mount.name(), path, csv_name(&p), file, &limits)?]
        } else {
            let bytes = read_all(&mount, &p, path, &limits)?;
            read::load(mount.name(), path, format, &bytes, &limits)?
        };
        Ok(Self {
            mount,
            raw: path.to_string(),
            path: p,
            format,
            sheets,
            writer: None,
            limits,
        })
    }

    /// The file format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Sheet names, in workbook order (a csv file has one, named after the file).
    pub fn sheet_names(&self) -> Vec<String> {
        self.sheets.iter().map(|s| s.name.clone()).collect()
    }

    fn sheet(&self, name: &str) -> Result<&SheetData> {
        self.sheets
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| self.not_found(format!("no sheet named `{name}`")))
    }

    fn not_found(&self, detail: String) -> FilesError {
        FilesError::not_found(self.mount.name(), &self.raw, detail)
    }

    fn invalid(&self, reason: impl Into<String>) -> FilesError {
        FilesError::invalid(self.mount.name(), &self.raw, reason)
    }

    /// Read `sheet` as a table whose column names are on `header_row` (1-based).
    pub fn table(&self, sheet: &str, header_row: u32) -> Result<Table> {
        let s = self.sheet(sheet)?;
        if header_row == 0 {
            return Err(self.invalid("header rows are numbered from 1"));
        }
        let width = s.rows.iter().map(Vec::len).max().unwrap_or(0);
        let idx = (header_row - 1)
            .checked_sub(s.first_row)
            .map(|i| i as usize)
            .filter(|i| *i < s.rows.len())
            .ok_or_else(|| self.invalid(format!("sheet `{sheet}` has no row {header_row}")))?;
        let mut columns: Vec<String> = s.rows[idx]
            .iter()
            .map(|c| c.as_text().trim().to_string())
            .collect();
        columns.resize(width, String::new());
        let mut rows: Vec<Vec<Cell>> = s.rows[idx + 1..]
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r.resize(width, Cell::Empty);
                r
            })
            .collect();
        while rows
            .last()
            .is_some_and(|r| r.iter().all(|c| matches!(c, Cell::Empty)))
        {
            rows.pop();
        }
        Ok(Table { columns, rows })
    }

    /// Rows of `sheet` whose `column` (named on row 1) matches `value`, compared as
    /// [`Cell::matches`] does (a number matches the same number written as text).
    pub fn find_rows(&self, sheet: &str, column: &str, value: &Cell) -> Result<Vec<FoundRow>> {
        let s = self.sheet(sheet)?;
        if s.first_row != 0 || s.rows.is_empty() {
            return Err(self.invalid(format!("sheet `{sheet}` has no header on row 1")));
        }
        let header = &s.rows[0];
        let wanted = column.trim();
        let col = header
            .iter()
            .position(|c| c.as_text().trim() == wanted)
            .or_else(|| {
                header
                    .iter()
                    .position(|c| c.as_text().trim().eq_ignore_ascii_case(wanted))
            })
            .ok_or_else(|| self.not_found(format!("no column `{column}` in sheet `{sheet}`")))?;
        let width = header.len();
        let mut found = Vec::new();
        for (i, row) in s.rows.iter().enumerate().skip(1) {
            if row.get(col).is_some_and(|c| c.matches(value)) {
                let mut cells = row.clone();
                cells.resize(width, Cell::Empty);
                found.push(FoundRow {
                    row_number: u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1),
                    cells,
                });
            }
        }
        Ok(found)
    }

    /// Take the write lock and load the workbook for editing, if not done yet.
    ///
    /// The file is re-read once the lock is held, so an append never builds on a
    /// version another writer has since replaced. A second writer gets
    /// [`FilesError::Locked`] until this handle is dropped.
    pub fn begin_write(&mut self) -> Result<()> {
        if self.writer.is_some() {
            return Ok(());
        }
        self.mount.ensure_writable(&self.raw)?;
        if self.format != Format::Xlsx {
            return Err(self.invalid("only xlsx workbooks can be written"));
        }
        let lock = self
            .mount
            .open_sidecar(&self.path, &self.raw, "lock")?
            .into_std();
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(FilesError::Locked {
                    mount: self.mount.name().to_string(),
                    path: self.raw.clone(),
                });
            }
            Err(TryLockError::Error(e)) => {
                return Err(FilesError::from_io(self.mount.name(), &self.raw, "lock", e));
            }
        }
        let bytes = read_all(&self.mount, &self.path, &self.raw, &self.limits)?;
        // The file may have been replaced since it was opened: it is checked
        // against the limits again before the editor, which trusts it, sees it.
        read::load(
            self.mount.name(),
            &self.raw,
            self.format,
            &bytes,
            &self.limits,
        )?;
        let book = umya_spreadsheet::reader::xlsx::read_reader(Cursor::new(bytes), true)
            .map_err(|e| self.invalid(format!("cannot edit this xlsx: {e}")))?;
        self.writer = Some(Writer {
            _lock: lock,
            book,
            dirty: false,
        });
        Ok(())
    }

    /// Append `rows` after the last used row of `sheet`, keeping the other sheets,
    /// styles and column widths. Every value is checked before any is written.
    pub fn append_rows(&mut self, sheet: &str, rows: &[Vec<Cell>]) -> Result<()> {
        let first_col = self.sheet(sheet)?.first_col.saturating_add(1);
        let mut prepared = Vec::with_capacity(rows.len());
        for row in rows {
            let mut out = Vec::with_capacity(row.len());
            for c in row {
                out.push(match c {
                    Cell::Date(s) => {
                        let (dt, has_time) = cell::parse_iso(s).ok_or_else(|| {
                            self.invalid(format!("`{s}` is not an ISO 8601 date"))
                        })?;
                        Some((cell::excel_serial(dt), has_time))
                    }
                    Cell::Number(n) if !n.is_finite() => {
                        return Err(self.invalid("numbers must be finite"));
                    }
                    _ => None,
                });
            }
            prepared.push(out);
        }
        self.begin_write()?;
        let raw = self.raw.clone();
        let mount = self.mount.clone();
        let Some(w) = self.writer.as_mut() else {
            return Err(FilesError::invalid(
                mount.name(),
                &raw,
                "workbook not open for writing",
            ));
        };
        let ws = w.book.sheet_by_name_mut(sheet).map_err(|_| {
            FilesError::not_found(mount.name(), &raw, format!("no sheet named `{sheet}`"))
        })?;
        let mut next = ws.highest_row().saturating_add(1);
        for (row, dates) in rows.iter().zip(&prepared) {
            for (i, (c, date)) in row.iter().zip(dates).enumerate() {
                let col = first_col.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                write_cell(ws, col, next, c, *date);
            }
            next = next.saturating_add(1);
        }
        w.dirty = true;
        Ok(())
    }

    /// The workbook with its appended rows, serialised as it would be saved;
    /// `None` when there is nothing to save. With [`Workbook::store`], lets a
    /// caller learn the exact size of a save before anything is written, to
    /// ask the gate for a write of that size (and charge its budget) first.
    pub fn render(&mut self) -> Result<Option<Vec<u8>>> {
        let Some(w) = self.writer.as_mut() else {
            return Ok(None);
        };
        if !w.dirty {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        umya_spreadsheet::writer::xlsx::write_writer(&w.book, &mut bytes).map_err(|e| {
            FilesError::invalid(
                self.mount.name(),
                &self.raw,
                format!("cannot write xlsx: {e}"),
            )
        })?;
        Ok(Some(bytes))
    }

    /// Write `bytes` made by [`Workbook::render`] (atomically, through the
    /// mount: quota, temporary file, rename) under the write `permit` for this
    /// workbook's file, charged for exactly `bytes`, and refresh what this
    /// handle reads. The lock is kept until drop, so further appends by this
    /// handle stay safe. Returns the bytes written.
    pub fn store(&mut self, permit: &Permit, bytes: Vec<u8>) -> Result<u64> {
        let written = bytes.len() as u64;
        let granted = permit::write_to(&self.mount, permit, &self.raw)?;
        permit::check_len(&self.mount, permit, granted, written)?;
        self.mount.write_bytes(permit, &bytes)?;
        if let Some(w) = self.writer.as_mut() {
            w.dirty = false;
        }
        self.sheets = read::load(
            self.mount.name(),
            &self.raw,
            self.format,
            &bytes,
            &self.limits,
        )?;
        Ok(written)
    }
}

fn write_cell(
    ws: &mut umya_spreadsheet::Worksheet,
    col: u32,
    row: u32,
    c: &Cell,
    date: Option<(f64, bool)>,
) {
    if matches!(c, Cell::Empty) {
        return;
    }
    let cell = ws.cell_mut((col, row));
    match c {
        Cell::Empty => {}
        Cell::Text(s) => {
            cell.set_value_string(s.clone());
        }
        Cell::Number(n) => {
            cell.set_value_number(*n);
        }
        Cell::Boolean(b) => {
            cell.set_value_bool(*b);
        }
        Cell::Date(_) => {
            let (serial, has_time) = date.unwrap_or((0.0, false));
            cell.set_value_number(serial);
            let code = if has_time {
                "yyyy-mm-dd hh:mm:ss"
            } else {
                "yyyy-mm-dd"
            };
            cell.style_mut().number_format_mut().set_format_code(code);
        }
    }
}

fn format_of(mount: &Mount, raw: &str, p: &RobotPath) -> Result<Format> {
    let name = p.display();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" => Ok(Format::Xlsx),
        "xls" => Ok(Format::Xls),
        "ods" => Ok(Format::Ods),
        "csv" => Ok(Format::Csv),
        _ => Err(FilesError::invalid(
            mount.name(),
            raw,
            "not a spreadsheet (xlsx, xls, ods or csv)",
        )),
    }
}

fn read_all(mount: &Mount, p: &RobotPath, raw: &str, limits: &SheetLimits) -> Result<Vec<u8>> {
    let file = mount.open_regular(p, raw)?;
    let mut bytes = Vec::new();
    file.take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FilesError::from_io(mount.name(), raw, "read", e))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(FilesError::limit(
            mount.name(),
            raw,
            format!(
                "larger than {} bytes (SheetLimits::max_file_bytes)",
                limits.max_file_bytes
            ),
        ));
    }
    Ok(bytes)
}

/// A csv file's one sheet is named after the file, without its extension.
fn csv_name(p: &RobotPath) -> String {
    p.split_last()
        .map(|(_, n)| n.rsplit_once('.').map_or(n, |(stem, _)| stem).to_string())
        .unwrap_or_default()
}
