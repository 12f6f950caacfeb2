//! Workbooks: appending to an activity report, EJ look-up, the write lock, csv.

use std::path::Path;
use std::time::Instant;

use pont_files::{Access, Cell, ErrorKind, FilesError, Mount};
use support::Gated;

mod support;

fn mount(root: &Path, access: Access) -> Gated {
    Gated::new(Mount::open("rapports", root, access, None).unwrap())
}

/// An activity report as an agent would have it: a styled header, custom widths,
/// two rows, and a second sheet of parameters.
fn write_report(path: &Path) {
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Activité");
    for (i, h) in ["Dossier", "Montant", "Date", "Traité"].iter().enumerate() {
        let col = u32::try_from(i).unwrap() + 1;
        ws.cell_mut((col, 1)).set_value_string(*h);
        let style = ws.style_mut((col, 1));
        style.font_mut().set_bold(true);
        style.set_background_color("FFFFFF00");
    }
    ws.column_dimension_mut("A").set_width(30.0);
    ws.column_dimension_mut("B").set_width(12.5);
    ws.cell_mut((1, 2)).set_value_string("D-1");
    ws.cell_mut((2, 2)).set_value_number(10.5);
    ws.cell_mut((1, 3)).set_value_string("D-2");
    ws.cell_mut((2, 3)).set_value_number(20.0);
    let params = book.new_sheet("Paramètres").unwrap();
    params.cell_mut((1, 1)).set_value_string("Service");
    params.cell_mut((2, 1)).set_value_string("DDFIP 75");
    params.cell_mut((1, 2)).set_value_number(42.0);
    umya_spreadsheet::writer::xlsx::write(&book, path).unwrap();
}

fn new_rows() -> Vec<Vec<Cell>> {
    (3..6)
        .map(|i| {
            vec![
                Cell::Text(format!("D-{i}")),
                Cell::Number(f64::from(i) * 10.0),
                Cell::Date(format!("2024-03-0{i}")),
                Cell::Boolean(i % 2 == 0),
            ]
        })
        .collect()
}

#[test]
fn append_keeps_other_sheet_styles_and_widths() {
    let tmp = tempfile::tempdir().unwrap();
    write_report(&tmp.path().join("rapport.xlsx"));
    let m = mount(tmp.path(), Access::ReadWrite);

    let mut wb = m.open("rapport.xlsx").unwrap();
    assert_eq!(wb.sheet_names(), vec!["Activité", "Paramètres"]);
    wb.append_rows("Activité", &new_rows()).unwrap();
    m.save(&mut wb, "rapport.xlsx").unwrap();
    // This handle reads what it saved.
    assert_eq!(wb.table("Activité", 1).unwrap().rows.len(), 5);
    drop(wb);

    // Re-read with umya: styles, widths and the other sheet survived.
    let book = umya_spreadsheet::reader::xlsx::read(tmp.path().join("rapport.xlsx")).unwrap();
    let ws = book.sheet_by_name("Activité").unwrap();
    for col in 1..=4u32 {
        let style = ws.style((col, 1));
        assert!(
            style.font().is_some_and(|f| f.bold()),
            "header {col} lost its bold"
        );
        let fill = style
            .fill()
            .and_then(|f| f.pattern_fill())
            .and_then(|p| p.foreground_color());
        assert_eq!(
            fill.map(|c| c.argb_str()).as_deref(),
            Some("FFFFFF00"),
            "header {col} lost its fill"
        );
    }
    assert_eq!(ws.column_dimension("A").map(|c| c.width()), Some(30.0));
    assert_eq!(ws.column_dimension("B").map(|c| c.width()), Some(12.5));
    let params = book.sheet_by_name("Paramètres").unwrap();
    assert_eq!(params.value((2, 1)), "DDFIP 75");
    assert_eq!(params.value((1, 2)), "42");
    assert_eq!(ws.value((1, 4)), "D-3");
    assert_eq!(ws.value((1, 6)), "D-5");

    // Re-read through the crate (calamine): old rows, then the three new ones.
    let wb = m.open("rapport.xlsx").unwrap();
    let t = wb.table("Activité", 1).unwrap();
    assert_eq!(t.columns, vec!["Dossier", "Montant", "Date", "Traité"]);
    assert_eq!(t.rows.len(), 5);
    assert_eq!(t.rows[0][0], Cell::Text("D-1".into()));
    assert_eq!(t.rows[1][1], Cell::Number(20.0));
    assert_eq!(&t.rows[2..], &new_rows()[..]);
    let p = wb.table("Paramètres", 1).unwrap();
    assert_eq!(p.columns, vec!["Service", "DDFIP 75"]);
    assert_eq!(p.rows, vec![vec![Cell::Number(42.0), Cell::Empty]]);
    // No temporary or lock file visible to robots.
    let names: Vec<_> = m.entries("").unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(names, vec!["rapport.xlsx"]);
}

#[test]
fn ej_lookup_in_ten_thousand_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let mut book = umya_spreadsheet::new_file();
    let ws = book.sheet_mut(0).unwrap();
    ws.set_name("Base EJ");
    ws.cell_mut((1, 1)).set_value_string("Fournisseur");
    ws.cell_mut((2, 1)).set_value_string("N° EJ");
    ws.cell_mut((3, 1)).set_value_string("Montant");
    for i in 0..10_000u32 {
        let row = i + 2;
        ws.cell_mut((1, row))
            .set_value_string(format!("Fournisseur {i}"));
        ws.cell_mut((2, row))
            .set_value_number(f64::from(2_100_000_000 + i));
        ws.cell_mut((3, row)).set_value_number(f64::from(i) * 1.5);
    }
    umya_spreadsheet::writer::xlsx::write(&book, tmp.path().join("base.xlsx")).unwrap();
    let m = mount(tmp.path(), Access::ReadOnly);

    let start = Instant::now();
    let wb = m.open("base.xlsx").unwrap();
    let found = wb
        .find_rows("Base EJ", "N° EJ", &Cell::Text("2100007421".into()))
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].row_number, 7423);
    assert_eq!(found[0].cells[0], Cell::Text("Fournisseur 7421".into()));
    assert_eq!(found[0].cells[2], Cell::Number(7421.0 * 1.5));
    // Same look-up with a number, then a miss.
    let by_number = wb
        .find_rows("Base EJ", "N° EJ", &Cell::Number(2_100_000_000.0))
        .unwrap();
    assert_eq!(by_number[0].row_number, 2);
    assert!(
        wb.find_rows("Base EJ", "N° EJ", &Cell::Text("999".into()))
            .unwrap()
            .is_empty()
    );
    let err = wb
        .find_rows("Base EJ", "EJ inconnu", &Cell::Empty)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(elapsed.as_secs() < 20, "open + look-up took {elapsed:?}");
    eprintln!("open + look-up in 10,000 rows: {elapsed:?}");
}

#[test]
fn second_writer_gets_locked() {
    let tmp = tempfile::tempdir().unwrap();
    write_report(&tmp.path().join("rapport.xlsx"));
    let m = mount(tmp.path(), Access::ReadWrite);
    let mut first = m.open("rapport.xlsx").unwrap();
    let mut second = m.open("rapport.xlsx").unwrap();
    first.append_rows("Activité", &new_rows()[..1]).unwrap();

    let err = second
        .append_rows("Activité", &new_rows()[1..2])
        .unwrap_err();
    assert!(matches!(err, FilesError::Locked { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Locked);
    assert!(err.to_string().contains("rapport.xlsx"));

    m.save(&mut first, "rapport.xlsx").unwrap();
    drop(first);
    // Once released, the second writer re-reads the file and builds on it.
    second.append_rows("Activité", &new_rows()[1..2]).unwrap();
    m.save(&mut second, "rapport.xlsx").unwrap();
    let t = m
        .open("rapport.xlsx")
        .unwrap()
        .table("Activité", 1)
        .unwrap();
    assert_eq!(&t.rows[2..], &new_rows()[..2]);
}

#[test]
fn read_only_mount_and_bad_values_refuse_append() {
    let tmp = tempfile::tempdir().unwrap();
    write_report(&tmp.path().join("rapport.xlsx"));
    let before = std::fs::read(tmp.path().join("rapport.xlsx")).unwrap();
    let mut wb = mount(tmp.path(), Access::ReadOnly)
        .open("rapport.xlsx")
        .unwrap();
    let err = wb.append_rows("Activité", &new_rows()).unwrap_err();
    assert!(matches!(err, FilesError::ReadOnly { .. }), "{err}");

    let m = mount(tmp.path(), Access::ReadWrite);
    let mut wb = m.open("rapport.xlsx").unwrap();
    let err = wb
        .append_rows("Activité", &[vec![Cell::Date("03/01/2024".into())]])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    let err = wb.append_rows("Nope", &new_rows()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(m.save(&mut wb, "rapport.xlsx").unwrap(), 0);
    assert_eq!(
        std::fs::read(tmp.path().join("rapport.xlsx")).unwrap(),
        before
    );
}

#[test]
fn csv_is_read_as_one_sheet() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ej.csv"),
        "\u{feff}N° EJ;Fournisseur\n2100000001;ACME\n2100000002;\"Dupont; fils\"\n",
    )
    .unwrap();
    std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();
    let m = mount(tmp.path(), Access::ReadOnly);
    let wb = m.open("ej.csv").unwrap();
    assert_eq!(wb.sheet_names(), vec!["ej"]);
    let t = wb.table("ej", 1).unwrap();
    assert_eq!(t.columns, vec!["N° EJ", "Fournisseur"]);
    let found = wb
        .find_rows("ej", "N° EJ", &Cell::Number(2_100_000_002.0))
        .unwrap();
    assert_eq!(found[0].row_number, 3);
    assert_eq!(found[0].cells[1], Cell::Text("Dupont; fils".into()));
    assert_eq!(m.open("notes.txt").unwrap_err().kind(), ErrorKind::Invalid);
    // A path out of the mount gets no permit from the gate.
    assert!(m.try_read("../ej.csv").is_err());
}
