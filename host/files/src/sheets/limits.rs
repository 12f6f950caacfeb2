//! How much of a spreadsheet the host agrees to parse.
//!
//! A workbook is attacker-controlled input: it may come from a citizen's
//! attachment. A 2 KB file can declare a million rows, place two cells at
//! opposite corners of the sheet, reference one long shared string from a
//! million cells, or hold a zip part that inflates to gigabytes. Every one of
//! these is cheap for the attacker and fatal for the host if the parser trusts
//! it, so each is counted against a [`SheetLimits`] while reading, and the
//! file is refused with [`FilesError::Limit`] as soon as one is passed.

use crate::error::{FilesError, Result};

/// The limits one workbook (or csv file) is read under. The defaults hold
/// every real EJ base or activity report we have seen with a wide margin, and
/// keep a hostile file under a few hundred MiB of host memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// Bytes of the file itself.
    pub max_file_bytes: u64,
    /// Cells held for the whole workbook, counted as the rectangle each sheet's
    /// real cells span (that is what a table hands the robot), summed over sheets.
    pub max_cells: u64,
    /// Columns of a sheet or csv row (Excel's own maximum is 16,384).
    pub max_columns: u32,
    /// Bytes of one cell's text or one csv field.
    pub max_cell_bytes: usize,
    /// Bytes of text held for the whole workbook, once shared strings are copied
    /// into every cell that uses them.
    pub max_text_bytes: u64,
    /// Sheets of a workbook.
    pub max_sheets: usize,
    /// Entries of the zip container (xlsx, ods).
    pub max_zip_entries: usize,
    /// Decompressed bytes of all parts of the zip container together, checked
    /// by inflating them, not by trusting the sizes the container declares.
    pub max_unzipped_bytes: u64,
    /// Decompressed bytes of the shared-strings part, which the parser keeps
    /// whole in memory.
    pub max_shared_strings_bytes: u64,
}

impl Default for SheetLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: super::MAX_WORKBOOK_BYTES,
            max_cells: 2_000_000,
            max_columns: 16_384,
            max_cell_bytes: 128 * 1024,
            max_text_bytes: 128 * 1024 * 1024,
            max_sheets: 256,
            max_zip_entries: 10_000,
            max_unzipped_bytes: 256 * 1024 * 1024,
            max_shared_strings_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What one read has used so far of its [`SheetLimits`]; every check names the
/// limit it enforces, so the robot's log says which one a file passed.
pub(crate) struct Budget<'a> {
    pub(crate) limits: &'a SheetLimits,
    mount: &'a str,
    raw: &'a str,
    cells: u64,
    text: u64,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(limits: &'a SheetLimits, mount: &'a str, raw: &'a str) -> Self {
        Self {
            limits,
            mount,
            raw,
            cells: 0,
            text: 0,
        }
    }

    /// The error for a passed limit, naming it.
    pub(crate) fn refuse(&self, what: impl Into<String>) -> FilesError {
        FilesError::limit(self.mount, self.raw, what)
    }

    /// The error for a file that is broken rather than too large.
    pub(crate) fn invalid(&self, reason: impl Into<String>) -> FilesError {
        FilesError::invalid(self.mount, self.raw, reason)
    }

    /// Count `n` more cells held.
    pub(crate) fn cells(&mut self, n: u64) -> Result<()> {
        self.rectangle(1, n)?;
        self.cells += n;
        Ok(())
    }

    /// The error for a cell or field past the cell size limit.
    pub(crate) fn oversized_cell(&self) -> FilesError {
        self.refuse(format!(
            "a cell of more than {} bytes (SheetLimits::max_cell_bytes)",
            self.limits.max_cell_bytes
        ))
    }

    /// Check, without counting it yet, that a `height` × `width` rectangle
    /// still fits beside what is already counted.
    pub(crate) fn rectangle(&self, height: u64, width: u64) -> Result<()> {
        let total = self.cells.saturating_add(height.saturating_mul(width));
        if total > self.limits.max_cells {
            return Err(self.refuse(format!(
                "more than {} cells (SheetLimits::max_cells)",
                self.limits.max_cells
            )));
        }
        Ok(())
    }

    /// Check a 0-based column index against the column limit.
    pub(crate) fn column(&self, col: u64) -> Result<()> {
        if col >= u64::from(self.limits.max_columns) {
            return Err(self.refuse(format!(
                "more than {} columns (SheetLimits::max_columns)",
                self.limits.max_columns
            )));
        }
        Ok(())
    }

    /// Count `len` bytes of one cell's text.
    pub(crate) fn text(&mut self, len: usize) -> Result<()> {
        if len > self.limits.max_cell_bytes {
            return Err(self.oversized_cell());
        }
        self.text = self.text.saturating_add(len as u64);
        if self.text > self.limits.max_text_bytes {
            return Err(self.refuse(format!(
                "more than {} bytes of text (SheetLimits::max_text_bytes)",
                self.limits.max_text_bytes
            )));
        }
        Ok(())
    }

    /// Check the number of sheets.
    pub(crate) fn sheets(&self, n: usize) -> Result<()> {
        if n > self.limits.max_sheets {
            return Err(self.refuse(format!(
                "more than {} sheets (SheetLimits::max_sheets)",
                self.limits.max_sheets
            )));
        }
        Ok(())
    }
}
