//! A csv file as one sheet of text cells, streamed from the mount.
//!
//! The file is never read whole: csv-core parses it from a small buffer into a
//! field buffer that grows only up to the cell size limit, so a 100 MB field
//! or a row of two million columns is refused after a few hundred KB, not
//! after it was held in memory. The rectangle the rows span (what a table
//! hands the robot, short rows padded) is counted against the cell limit as
//! each field arrives.

use std::io::{BufRead, BufReader, Read};

use csv_core::{ReadFieldResult, ReaderBuilder};

use super::SheetData;
use super::cell::Cell;
use super::limits::{Budget, SheetLimits};
use crate::error::{FilesError, Result};

/// Bytes read from the file at a time; also how much of the first line is
/// looked at to guess the separator.
const CHUNK: usize = 64 * 1024;

/// Read the csv file `file` (`raw` on `mount`) as the sheet `name`. The
/// separator is guessed from the first line (French exports use `;`), and a
/// field that is not UTF-8 is read as Latin-1, the usual encoding of older
/// office exports (decided field by field, as the file is streamed).
pub(crate) fn load(
    mount: &str,
    raw: &str,
    name: String,
    file: impl Read,
    limits: &SheetLimits,
) -> Result<SheetData> {
    let io = |e| FilesError::from_io(mount, raw, "read", e);
    let mut input = BufReader::with_capacity(CHUNK, file);
    let start = input.fill_buf().map_err(io)?;
    let bom = start.starts_with(b"\xEF\xBB\xBF");
    let delimiter = guess_delimiter(if bom { &start[3..] } else { start });
    if bom {
        input.consume(3);
    }
    let mut sheet = Rows::new(Budget::new(limits, mount, raw));
    let mut csv = ReaderBuilder::new().delimiter(delimiter).build();
    let mut field = vec![0; 4096.min(limits.max_cell_bytes + 1)];
    let mut filled = 0;
    let mut consumed = 0u64;
    loop {
        let buf = input.fill_buf().map_err(io)?;
        let (res, nin, nout) = csv.read_field(buf, &mut field[filled..]);
        input.consume(nin);
        consumed += nin as u64;
        filled += nout;
        if consumed > limits.max_file_bytes {
            return Err(sheet.budget.refuse(format!(
                "larger than {} bytes (SheetLimits::max_file_bytes)",
                limits.max_file_bytes
            )));
        }
        match res {
            ReadFieldResult::InputEmpty => {}
            ReadFieldResult::OutputFull => grow(&mut field, &sheet.budget)?,
            ReadFieldResult::Field { record_end } => {
                sheet.field(&field[..filled], record_end)?;
                filled = 0;
            }
            ReadFieldResult::End => break,
        }
    }
    sheet.into_sheet(name)
}

/// The separator that appears most on the first line (`\t` when none does, as
/// the reader has always done), among `;`, `,` and tab.
fn guess_delimiter(start: &[u8]) -> u8 {
    let first = start
        .split(|b| *b == b'\n' || *b == b'\r')
        .next()
        .unwrap_or_default();
    [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| first.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

/// Double the field buffer, up to one byte past the cell size limit: a field
/// that fills that is refused.
fn grow(field: &mut Vec<u8>, budget: &Budget<'_>) -> Result<()> {
    let cap = budget.limits.max_cell_bytes + 1;
    if field.len() >= cap {
        return Err(budget.oversized_cell());
    }
    field.resize(field.len().saturating_mul(2).min(cap), 0);
    Ok(())
}

/// The rows read so far and the row being read.
struct Rows<'a> {
    budget: Budget<'a>,
    rows: Vec<Vec<Cell>>,
    row: Vec<Cell>,
    width: usize,
}

impl<'a> Rows<'a> {
    fn new(budget: Budget<'a>) -> Self {
        Self {
            budget,
            rows: Vec::new(),
            row: Vec::new(),
            width: 0,
        }
    }

    /// Add one field to the current row, and end the row if `record_end`.
    fn field(&mut self, bytes: &[u8], record_end: bool) -> Result<()> {
        self.budget.column(self.row.len() as u64)?;
        self.budget.text(bytes.len())?;
        self.width = self.width.max(self.row.len() + 1);
        self.budget
            .rectangle(self.rows.len() as u64 + 1, self.width as u64)?;
        self.row.push(decode(bytes));
        if record_end {
            self.rows.push(std::mem::take(&mut self.row));
        }
        Ok(())
    }

    fn into_sheet(mut self, name: String) -> Result<SheetData> {
        if !self.row.is_empty() {
            self.rows.push(std::mem::take(&mut self.row));
        }
        let (h, w) = (self.rows.len() as u64, self.width as u64);
        self.budget.cells(h.saturating_mul(w))?;
        Ok(SheetData {
            name,
            first_row: 0,
            first_col: 0,
            rows: self.rows,
        })
    }
}

fn decode(bytes: &[u8]) -> Cell {
    if bytes.is_empty() {
        return Cell::Empty;
    }
    Cell::Text(match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_is_the_most_frequent_on_the_first_line() {
        assert_eq!(guess_delimiter(b"a;b;c\nd,e,f,g,h"), b';');
        assert_eq!(guess_delimiter(b"a,b\r\n"), b',');
        assert_eq!(guess_delimiter(b"a\tb"), b'\t');
        assert_eq!(guess_delimiter(b"seul"), b'\t');
    }
}
