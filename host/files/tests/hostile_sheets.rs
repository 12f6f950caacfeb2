//! Spreadsheets and csv files as an attacker writes them: a citizen's
//! attachment or a file dropped on a mount. Each must be refused with a
//! `limit` error naming the limit, without a panic, and without the host's
//! memory growing with what the file declares.
//!
//! Every hostile file is built here, from a small workbook written by
//! umya-spreadsheet whose zip parts are then rewritten; nothing binary is
//! committed.

use std::io::{Cursor, Read, Write};
use std::path::Path;

use pont_files::{Access, Cell, ErrorKind, FilesError, Mount, SheetLimits};
use support::Gated;
use zip::write::SimpleFileOptions;

mod support;

const SHEET: &str = "xl/worksheets/sheet1.xml";

fn mount(root: &Path, access: Access) -> Gated {
    Gated::new(Mount::open("pieces", root, access, None).unwrap())
}

/// A one-sheet workbook with `cells` ((column, row), 1-based), as xlsx bytes.
fn workbook(cells: &[((u32, u32), &str)]) -> Vec<u8> {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Pièces");
    for (pos, v) in cells {
        match v.parse::<f64>() {
            Ok(n) => ws.cell_mut(*pos).set_value_number(n),
            Err(_) => ws.cell_mut(*pos).set_value_string(*v),
        };
    }
    let mut out = Vec::new();
    umya_spreadsheet::writer::xlsx::write_writer(&book, &mut out).unwrap();
    out
}

/// Copy the zip `xlsx`, passing the text of part `name` through `edit`, and
/// inserting `pad` spaces before its last element closes (written by chunks,
/// so a bomb never sits whole in the test's memory either).
fn rewrite(xlsx: &[u8], name: &str, edit: impl Fn(String) -> String, pad: u64) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_level(Some(1));
    for i in 0..src.len() {
        let mut part = src.by_index(i).unwrap();
        let part_name = part.name().unwrap().to_string();
        let mut text = Vec::new();
        part.read_to_end(&mut text).unwrap();
        out.start_file(part_name.as_str(), opts).unwrap();
        if part_name != name {
            out.write_all(&text).unwrap();
            continue;
        }
        let text = edit(String::from_utf8(text).unwrap());
        let cut = text.rfind("</").unwrap();
        out.write_all(&text.as_bytes()[..cut]).unwrap();
        let chunk = vec![b' '; 1 << 20];
        let mut left = pad;
        while left > 0 {
            let n = left.min(chunk.len() as u64);
            out.write_all(&chunk[..n as usize]).unwrap();
            left -= n;
        }
        out.write_all(&text.as_bytes()[cut..]).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// Replace the sheet's declared used range with `dim`.
fn declare(dim: &str) -> impl Fn(String) -> String {
    let dim = dim.to_string();
    move |xml| {
        let start = xml
            .find("<dimension ref=\"")
            .expect("umya writes a dimension")
            + 16;
        let end = start + xml[start..].find('"').unwrap();
        format!("{}{dim}{}", &xml[..start], &xml[end..])
    }
}

/// The process's peak resident memory, in MiB (Linux).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

/// A refusal for the limit `field` of [`SheetLimits`], with the host's memory
/// still far from what the file asked for.
fn assert_limit(err: &FilesError, field: &str) {
    assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("SheetLimits::{field}")), "{msg}");
    assert!(msg.contains("pieces") && !msg.contains('\n'), "{msg}");
    let peak = peak_rss_mib();
    assert!(peak < 1024, "peak memory {peak} MiB");
}

fn place(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn two_cells_at_opposite_corners_of_the_grid_are_refused() {
    // The file of the report: used range A1:XFD1048576, two real cells.
    let tmp = tempfile::tempdir().unwrap();
    let xlsx = workbook(&[((1, 1), "Dossier"), ((16_384, 1_048_576), "1")]);
    let xlsx = rewrite(&xlsx, SHEET, declare("A1:XFD1048576"), 0);
    assert!(xlsx.len() < 16 * 1024, "{} bytes", xlsx.len());
    place(tmp.path(), "piece.xlsx", &xlsx);
    let err = mount(tmp.path(), Access::ReadOnly)
        .open("piece.xlsx")
        .unwrap_err();
    assert_limit(&err, "max_cells");
}

#[test]
fn whole_grid_declared_with_few_real_cells_reads_and_saves() {
    let tmp = tempfile::tempdir().unwrap();
    let cells = [
        ((1, 1), "Dossier"),
        ((2, 1), "Montant"),
        ((1, 2), "D-1"),
        ((2, 2), "10.5"),
    ];
    let xlsx = rewrite(&workbook(&cells), SHEET, declare("A1:XFD1048576"), 0);
    place(tmp.path(), "piece.xlsx", &xlsx);
    let m = mount(tmp.path(), Access::ReadWrite);
    let mut wb = m.open("piece.xlsx").unwrap();
    let t = wb.table("Pièces", 1).unwrap();
    assert_eq!(t.columns, vec!["Dossier", "Montant"]);
    assert_eq!(
        t.rows,
        vec![vec![Cell::Text("D-1".into()), Cell::Number(10.5)]]
    );
    wb.append_rows(
        "Pièces",
        &[vec![Cell::Text("D-2".into()), Cell::Number(3.0)]],
    )
    .unwrap();
    assert!(m.save(&mut wb, "piece.xlsx").unwrap() > 0);
    let t = m.open("piece.xlsx").unwrap().table("Pièces", 1).unwrap();
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1], vec![Cell::Text("D-2".into()), Cell::Number(3.0)]);
    assert!(peak_rss_mib() < 1024);
}

#[test]
fn sheet_xml_that_inflates_past_the_limit_is_refused() {
    // 300 MiB of sheet XML in a file of a few hundred KB.
    let tmp = tempfile::tempdir().unwrap();
    let xlsx = rewrite(&workbook(&[((1, 1), "x")]), SHEET, |s| s, 300 << 20);
    assert!(xlsx.len() < 4 << 20, "{} bytes", xlsx.len());
    place(tmp.path(), "bombe.xlsx", &xlsx);
    let err = mount(tmp.path(), Access::ReadOnly)
        .open("bombe.xlsx")
        .unwrap_err();
    assert_limit(&err, "max_unzipped_bytes");
}

#[test]
fn shared_strings_past_their_limit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let xlsx = rewrite(
        &workbook(&[((1, 1), "texte")]),
        "xl/sharedStrings.xml",
        |s| s,
        2 << 20,
    );
    place(tmp.path(), "textes.xlsx", &xlsx);
    let limits = SheetLimits {
        max_shared_strings_bytes: 1 << 20,
        ..SheetLimits::default()
    };
    let m = mount(tmp.path(), Access::ReadOnly);
    let err = m.open_with_limits("textes.xlsx", limits).unwrap_err();
    assert_limit(&err, "max_shared_strings_bytes");
    // Under the default limits the same file is fine: the padding is not text.
    let wb = m.open("textes.xlsx").unwrap();
    assert_eq!(wb.table("Pièces", 1).unwrap().columns, vec!["texte"]);
}

#[test]
fn one_long_shared_string_used_by_many_cells_is_refused() {
    // Each cell copies the shared string: 200 cells × 64 KiB = 12.5 MiB of text
    // from one string stored once.
    let tmp = tempfile::tempdir().unwrap();
    let long = "a".repeat(64 * 1024);
    let cells: Vec<_> = (1..=200).map(|r| ((1, r), long.as_str())).collect();
    place(tmp.path(), "copies.xlsx", &workbook(&cells));
    let limits = SheetLimits {
        max_text_bytes: 4 << 20,
        ..SheetLimits::default()
    };
    let m = mount(tmp.path(), Access::ReadOnly);
    let err = m.open_with_limits("copies.xlsx", limits).unwrap_err();
    assert_limit(&err, "max_text_bytes");
    let limits = SheetLimits {
        max_cell_bytes: 1024,
        ..SheetLimits::default()
    };
    let err = m.open_with_limits("copies.xlsx", limits).unwrap_err();
    assert_limit(&err, "max_cell_bytes");
}

#[test]
fn too_many_sheets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut book = umya_spreadsheet::new_file();
    for i in 0..4 {
        book.new_sheet(format!("S{i}")).unwrap();
    }
    umya_spreadsheet::writer::xlsx::write(&book, tmp.path().join("feuilles.xlsx")).unwrap();
    let limits = SheetLimits {
        max_sheets: 3,
        ..SheetLimits::default()
    };
    let m = mount(tmp.path(), Access::ReadOnly);
    let err = m.open_with_limits("feuilles.xlsx", limits).unwrap_err();
    assert_limit(&err, "max_sheets");
    assert_eq!(m.open("feuilles.xlsx").unwrap().sheet_names().len(), 5);
}

#[test]
fn a_file_swapped_for_a_hostile_one_before_editing_is_refused() {
    // Opened while harmless; replaced before the first append re-reads it.
    let tmp = tempfile::tempdir().unwrap();
    place(tmp.path(), "piece.xlsx", &workbook(&[((1, 1), "Dossier")]));
    let m = mount(tmp.path(), Access::ReadWrite);
    let mut wb = m.open("piece.xlsx").unwrap();
    let hostile = workbook(&[((1, 1), "Dossier"), ((16_384, 1_048_576), "1")]);
    place(tmp.path(), "piece.xlsx", &hostile);
    let err = wb
        .append_rows("Pièces", &[vec![Cell::Text("D-1".into())]])
        .unwrap_err();
    assert_limit(&err, "max_cells");
    assert_eq!(
        std::fs::read(tmp.path().join("piece.xlsx")).unwrap(),
        hostile
    );
}

#[test]
fn csv_row_of_two_million_columns_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut row = vec![b';'; 2_000_000];
    row.push(b'\n');
    place(tmp.path(), "large.csv", &row);
    let err = mount(tmp.path(), Access::ReadOnly)
        .open("large.csv")
        .unwrap_err();
    assert_limit(&err, "max_columns");
}

#[test]
fn csv_field_of_a_hundred_megabytes_is_refused_early() {
    let tmp = tempfile::tempdir().unwrap();
    let mut f = std::fs::File::create(tmp.path().join("champ.csv")).unwrap();
    f.write_all(b"Dossier;Pi\xc3\xa8ce\nD-1;\"").unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..100 {
        f.write_all(&chunk).unwrap();
    }
    f.write_all(b"\"\n").unwrap();
    drop(f);
    let before = peak_rss_mib();
    let err = mount(tmp.path(), Access::ReadOnly)
        .open("champ.csv")
        .unwrap_err();
    assert_limit(&err, "max_cell_bytes");
    // Streamed: the peak did not grow by anything like the field's size.
    assert!(
        peak_rss_mib() < before + 64,
        "{before} -> {}",
        peak_rss_mib()
    );
}

#[test]
fn csv_rows_are_counted_as_the_rectangle_a_table_returns() {
    // 10 short rows and one wide row: 220 real fields, but a table pads every
    // row to 200 columns, so 2,200 cells.
    let tmp = tempfile::tempdir().unwrap();
    let mut text = "a;b\n".repeat(10);
    text.push_str(&"b;".repeat(199));
    text.push_str("b\n");
    place(tmp.path(), "escalier.csv", text.as_bytes());
    let m = mount(tmp.path(), Access::ReadOnly);
    let limits = SheetLimits {
        max_cells: 2_000,
        ..SheetLimits::default()
    };
    let err = m.open_with_limits("escalier.csv", limits).unwrap_err();
    assert_limit(&err, "max_cells");
    let limits = SheetLimits {
        max_cells: 2_200,
        ..SheetLimits::default()
    };
    let wb = m.open_with_limits("escalier.csv", limits).unwrap();
    let t = wb.table("escalier", 1).unwrap();
    assert_eq!((t.columns.len(), t.rows.len()), (200, 10));
}

#[test]
fn latin1_csv_still_reads() {
    let tmp = tempfile::tempdir().unwrap();
    place(
        tmp.path(),
        "ancien.csv",
        b"Pi\xe8ce;Montant\r\nD\xe9p\xf4t;12\r\n",
    );
    let wb = mount(tmp.path(), Access::ReadOnly)
        .open("ancien.csv")
        .unwrap();
    let t = wb.table("ancien", 1).unwrap();
    assert_eq!(t.columns, vec!["Pièce", "Montant"]);
    assert_eq!(
        t.rows,
        vec![vec![Cell::Text("Dépôt".into()), Cell::Text("12".into())]]
    );
}

/// One BIFF record: type, length, data.
fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
}

/// A BIFF8 Number record at (`row`, `col`).
fn number(out: &mut Vec<u8>, row: u16, col: u16, value: f64) {
    let mut d = Vec::new();
    d.extend_from_slice(&row.to_le_bytes());
    d.extend_from_slice(&col.to_le_bytes());
    d.extend_from_slice(&0u16.to_le_bytes());
    d.extend_from_slice(&value.to_le_bytes());
    record(out, 0x0203, &d);
}

/// A legacy xls workbook of one sheet named `S`: `dims` is its DIMENSIONS
/// record (first row, row after the last, first column, column after the last)
/// and `cells` its numbers.
fn xls(dims: (u32, u32, u16, u16), cells: &[(u16, u16, f64)]) -> Vec<u8> {
    let bof = |typ: u16| {
        let mut d = vec![0u8; 16];
        d[..2].copy_from_slice(&0x0600u16.to_le_bytes());
        d[2..4].copy_from_slice(&typ.to_le_bytes());
        d
    };
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    // Record head, then position, state, type, name length, name flags, "S".
    let boundsheet_len = 4 + 9;
    let sheet_pos = globals.len() + boundsheet_len + 4;
    let mut bs = u32::try_from(sheet_pos).unwrap().to_le_bytes().to_vec();
    bs.extend_from_slice(&[0, 0, 1, 0, b'S']);
    record(&mut globals, 0x0085, &bs);
    record(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len(), sheet_pos);
    record(&mut globals, 0x0809, &bof(0x0010));
    let mut d = Vec::new();
    d.extend_from_slice(&dims.0.to_le_bytes());
    d.extend_from_slice(&dims.1.to_le_bytes());
    d.extend_from_slice(&dims.2.to_le_bytes());
    d.extend_from_slice(&dims.3.to_le_bytes());
    d.extend_from_slice(&[0, 0]);
    record(&mut globals, 0x0200, &d);
    for (r, c, v) in cells {
        number(&mut globals, *r, *c, *v);
    }
    record(&mut globals, 0x000A, &[]);
    let mut cfb = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    cfb.create_stream("Workbook")
        .unwrap()
        .write_all(&globals)
        .unwrap();
    cfb.flush().unwrap();
    cfb.into_inner().into_inner()
}

#[test]
fn xls_with_cells_at_opposite_corners_or_a_huge_declared_range_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let m = mount(tmp.path(), Access::ReadOnly);
    place(
        tmp.path(),
        "coins.xls",
        &xls((0, 65_536, 0, 256), &[(0, 0, 1.0), (65_535, 255, 2.0)]),
    );
    let err = m.open("coins.xls").unwrap_err();
    assert_limit(&err, "max_cells");
    // Two cells, but a declared range of 2³² − 1 rows the parser would reserve.
    place(
        tmp.path(),
        "declare.xls",
        &xls((0, u32::MAX, 0, 4), &[(0, 0, 1.0)]),
    );
    let err = m.open("declare.xls").unwrap_err();
    assert_limit(&err, "max_cells");
    // A range that ends before it starts would wrap the parser's arithmetic.
    place(tmp.path(), "envers.xls", &xls((9, 3, 0, 1), &[(0, 0, 1.0)]));
    let err = m.open("envers.xls").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    // The same shape, small, reads.
    place(
        tmp.path(),
        "petit.xls",
        &xls((0, 2, 0, 2), &[(0, 0, 1.0), (1, 1, 2.0)]),
    );
    let wb = m.open("petit.xls").unwrap();
    let t = wb.table("S", 1).unwrap();
    assert_eq!(t.rows, vec![vec![Cell::Empty, Cell::Number(2.0)]]);
}
