//! A look at a legacy xls file's records before calamine reads it.
//!
//! calamine parses every sheet of an xls file at once, reserving room for the
//! range each sheet declares (its DIMENSIONS record) and then building the
//! rectangle its cells span: two cells at opposite corners, or one declared
//! range of 2³² rows, would be allocated whole inside the parser. So the
//! BIFF records are walked here first (declared ranges and cell positions
//! only, nothing is decoded or kept), and the file is refused if any sheet's
//! declared or real rectangle, or all of them together, pass the cell limit.
//! A file this walk cannot read is refused as invalid rather than handed on.

use std::io::{Cursor, Read};

use super::limits::Budget;
use crate::error::Result;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const DIMENSIONS: u16 = 0x0200;
const MULRK: u16 = 0x00BD;
const BOUNDSHEET: u16 = 0x0085;
/// Records that hold one cell, with its row and column in their first 4 bytes
/// (number, label, rich label, bool/error, RK, shared-string label, formula).
const CELLS: [u16; 7] = [0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006];

/// Refuse `bytes` (an xls compound file) if its sheets are too large to parse.
pub(crate) fn check(bytes: &[u8], budget: &Budget<'_>) -> Result<()> {
    let bad = |e: std::io::Error| budget.invalid(format!("cannot read xls: {e}"));
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(bad)?;
    let mut stream = cfb
        .open_stream("Workbook")
        .or_else(|_| cfb.open_stream("Book"))
        .map_err(bad)?;
    let mut book = Vec::new();
    stream.read_to_end(&mut book).map_err(bad)?;
    // calamine reads each sheet from the offset its BoundSheet record gives,
    // so each is walked from there, as often as it is listed.
    let sheets: Vec<usize> = records(&book, 0)
        .take_while(|(typ, _)| *typ != EOF)
        .filter(|(typ, data)| *typ == BOUNDSHEET && data.len() >= 4)
        .map(|(_, d)| u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize)
        .collect();
    budget.sheets(sheets.len())?;
    let mut total = 0u64;
    for pos in sheets {
        let cells = sheet_rectangle(&book, pos, budget)?;
        total = total.saturating_add(cells);
        budget.rectangle(1, total)?;
    }
    Ok(())
}

/// The BIFF records of `book` from offset `pos`: (type, data), until the end
/// or a truncated record.
fn records(book: &[u8], pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = book.get(pos..).unwrap_or_default();
    std::iter::from_fn(move || {
        let head = rest.get(..4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

/// Cells of the rectangle the sheet at `pos` declares or spans, whichever is
/// larger; nested substreams (embedded charts) are skipped, as calamine does.
fn sheet_rectangle(book: &[u8], pos: usize, budget: &Budget<'_>) -> Result<u64> {
    let mut bounds: Option<(u64, u64, u64, u64)> = None;
    let mut declared = 0u64;
    let (mut seen_bof, mut depth) = (false, 0u32);
    for (typ, data) in records(book, pos) {
        if depth > 0 {
            match typ {
                BOF => depth += 1,
                EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        let u16_at = |i: usize| {
            data.get(i..i + 2)
                .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let mut at = |row, col| -> Result<()> {
            budget.column(col)?;
            bounds = Some(match bounds {
                None => (row, col, row, col),
                Some((r0, c0, r1, c1)) => (r0.min(row), c0.min(col), r1.max(row), c1.max(col)),
            });
            Ok(())
        };
        match typ {
            BOF if seen_bof => depth = 1,
            BOF => seen_bof = true,
            EOF => break,
            DIMENSIONS => declared = declared.max(declared_cells(data, budget)?),
            MULRK => {
                if let (Some(row), Some(first), Some(last)) =
                    (u16_at(0), u16_at(2), u16_at(data.len().saturating_sub(2)))
                {
                    at(row, first)?;
                    at(row, last)?;
                }
            }
            t if CELLS.contains(&t) => {
                if let (Some(row), Some(col)) = (u16_at(0), u16_at(2)) {
                    at(row, col)?;
                }
            }
            _ => {}
        }
    }
    let spanned = bounds.map_or(0, |(r0, c0, r1, c1)| {
        (r1 - r0 + 1).saturating_mul(c1 - c0 + 1)
    });
    Ok(spanned.max(declared))
}

/// Cells of the range a DIMENSIONS record declares, which calamine reserves
/// room for. A range whose last row comes before its first would make the
/// parser's arithmetic wrap to a huge reservation: refused as invalid.
fn declared_cells(data: &[u8], budget: &Budget<'_>) -> Result<u64> {
    let le16 = |i: usize| u64::from(u16::from_le_bytes([data[i], data[i + 1]]));
    let le32 = |i: usize| {
        u64::from(u32::from_le_bytes([
            data[i],
            data[i + 1],
            data[i + 2],
            data[i + 3],
        ]))
    };
    let (first_row, end_row, end_col) = match data.len() {
        10 => (le16(0), le16(2), le16(6)),
        14 | 16 => (le32(0), le32(4), le16(10)),
        _ => return Ok(0), // calamine refuses the record itself
    };
    if end_row == 0 || end_col == 0 {
        return Ok(1);
    }
    if end_row <= first_row {
        return Err(budget.invalid("xls sheet declares a range that ends before it starts"));
    }
    let cells = (end_row - first_row).saturating_mul(end_col);
    budget.rectangle(1, cells)?;
    Ok(cells)
}
