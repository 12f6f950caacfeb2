//! The KPI table: numbers on hand-made journals, markdown, CSV, xlsx.

use std::collections::BTreeSet;

use calamine::{Data, Reader, Xlsx, open_workbook};
use chrono::{DateTime, Duration, Utc};
use pont_report::kpi::{
    ItemMeasure, KpiError, KpiRow, Outcome, RobotPeriod, SHEET_NAME, compute, guide_figures,
    to_csv, to_markdown, write_xlsx,
};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .expect("valid date")
        .with_timezone(&Utc)
}

/// Exactly one month (a twelfth of 365.25 days) after [`start`].
fn one_month_later() -> DateTime<Utc> {
    start() + Duration::seconds(2_629_800)
}

fn item(minutes: u64, clicks: u32, tools: &[&str], outcome: Outcome) -> ItemMeasure {
    ItemMeasure {
        started_at: start() + Duration::hours(1),
        duration_ms: minutes * 60_000,
        external_ms: 0,
        clicks,
        tools: tools.iter().map(|t| t.to_string()).collect(),
        outcome,
    }
}

/// Four handled dossiers (1, 2, 3, 4 min; 10..40 clicks), one for review and
/// one failed, over one month, against a 10-minute baseline.
fn sample(robot: &str) -> RobotPeriod {
    RobotPeriod {
        robot: robot.to_string(),
        period_start: start(),
        period_end: one_month_later(),
        items: vec![
            item(1, 10, &["ds", "chorus"], Outcome::Done),
            item(2, 20, &["ds"], Outcome::Done),
            item(3, 30, &["ds", "excel"], Outcome::Done),
            item(4, 40, &["ds"], Outcome::Done),
            item(9, 99, &["ds", "other"], Outcome::Review),
            item(9, 99, &["ds", "other"], Outcome::Failed),
        ],
        baseline_minutes: Some(10.0),
        guide: None,
    }
}

fn row(period: &RobotPeriod) -> KpiRow {
    compute(period).expect("valid period")
}

#[test]
fn numbers_from_a_hand_made_month() {
    let r = row(&sample("chorus-subvention"));
    assert_eq!(r.dossiers, 4);
    assert_eq!(r.unfinished, 2);
    assert_eq!(r.per_month, Some(4.0));
    assert_eq!(r.per_year, Some(48.0));
    assert_eq!(r.human_minutes, Some(10.0));
    assert_eq!(r.robot_minutes, Some(2.5));
    assert_eq!(r.clicks, Some(25.0));
    let tools: BTreeSet<String> = ["chorus", "ds", "excel"].map(String::from).into();
    assert_eq!(r.tools, tools);
    // 4 × (10 − 2.5) / 60
    assert_eq!(r.hours_saved, Some(0.5));
    assert_eq!(r.hours_saved_per_year, Some(6.0));
}

#[test]
fn a_ten_day_period_extrapolates() {
    let mut p = sample("x");
    p.period_end = p.period_start + Duration::days(10);
    let r = row(&p);
    // 4 dossiers in 10 days: 4 × 365.25 / 10 per year.
    let per_year = r.per_year.expect("10 days extrapolate");
    let per_month = r.per_month.expect("10 days extrapolate");
    assert!((per_year - 146.1).abs() < 1e-9, "{per_year}");
    assert!((per_month - 146.1 / 12.0).abs() < 1e-9, "{per_month}");
    // 0.5 h saved in 10 days.
    let saved = r.hours_saved_per_year.expect("a baseline and 10 days");
    assert!((saved - 0.5 * 36.525).abs() < 1e-9, "{saved}");
    let md = to_markdown(&[r]);
    assert!(md.lines().nth(2).unwrap().contains(" | 146.1 | "), "{md}");
    assert!(!md.contains("not extrapolated"), "{md}");
}

fn three_days() -> KpiRow {
    let mut p = sample("x");
    p.period_end = p.period_start + Duration::days(3);
    row(&p)
}

#[test]
fn a_three_day_period_shows_its_counts_but_no_yearly_figures() {
    let r = three_days();
    assert_eq!((r.dossiers, r.per_month, r.per_year), (4, None, None));
    // What was measured stays: the hours saved in the period, not per year.
    assert_eq!(r.hours_saved, Some(0.5));
    assert_eq!(r.hours_saved_per_year, None);
}

#[test]
fn seven_days_is_the_shortest_period_extrapolated() {
    let mut p = sample("x");
    p.period_end = p.period_start + Duration::days(7) - Duration::seconds(1);
    assert_eq!(row(&p).per_year, None);
    p.period_end = p.period_start + Duration::days(7);
    assert!(row(&p).per_year.is_some());
}

#[test]
fn a_short_period_leaves_markdown_and_csv_blank_and_says_why() {
    let md = to_markdown(&[three_days()]);
    assert_eq!(
        md.lines().nth(2).unwrap(),
        "| x | measured | 2025-01-01T00:00:00Z | 2025-01-04T00:00:00Z | 4 | 2 | — | — | 10 \
         | 2.5 | 25 | 3 | 0.5 | — | measured over 3 days: under 7 days, not extrapolated; \
         tools: chorus, ds, excel |"
    );
    let csv = to_csv(&[three_days()]);
    assert_eq!(
        csv.split("\r\n").nth(1).unwrap(),
        "x,measured,2025-01-01T00:00:00Z,2025-01-04T00:00:00Z,4,2,,,10,2.5,25,3,0.5,,\
         \"measured over 3 days: under 7 days, not extrapolated; tools: chorus, ds, excel\""
    );
}

#[test]
fn a_short_period_leaves_xlsx_cells_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kpi.xlsx");
    write_xlsx(&[three_days()], &path).expect("written");
    let mut book: Xlsx<_> = open_workbook(&path).expect("valid xlsx");
    let range = book.worksheet_range(SHEET_NAME).expect("KPI sheet");
    assert_eq!(cell(&range, 1, 4), Data::Float(4.0));
    assert_eq!(cell(&range, 1, 6), Data::Empty);
    assert_eq!(cell(&range, 1, 7), Data::Empty);
    assert_eq!(cell(&range, 1, 12), Data::Float(0.5));
    assert_eq!(cell(&range, 1, 13), Data::Empty);
    let Data::String(note) = cell(&range, 1, 14) else {
        panic!("a note")
    };
    assert!(note.starts_with("measured over 3 days"), "{note}");
}

/// A robot like the guide's: every dossier read from DS, the web application
/// for most, an Excel workbook for some. What the host records for each item.
#[test]
fn ds_a_web_app_and_a_workbook_count_as_three_tools() {
    const APP: &str = "https://chorus-pro.example";
    const BOOK: &str = "mount.activity";
    let mut p = sample("chorus-paiement");
    p.items = vec![
        item(1, 10, &["ds", APP], Outcome::Done),
        item(2, 20, &["ds", APP, BOOK], Outcome::Done),
        item(3, 30, &["ds"], Outcome::Done),
        // Not handled: what it touched does not count.
        item(3, 30, &["ds", "https://other.example"], Outcome::Failed),
    ];
    let r = row(&p);
    let tools: BTreeSet<String> = ["ds", APP, BOOK].map(String::from).into();
    assert_eq!(r.tools, tools);
    let csv = to_csv(&[r]);
    let line = csv.split("\r\n").nth(1).unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    assert_eq!(fields[11], "3", "{line}");
    assert!(
        line.ends_with("\"tools: ds, https://chorus-pro.example, mount.activity\""),
        "{line}"
    );
}

#[test]
fn no_baseline_claims_no_time_saved() {
    let mut p = sample("x");
    p.baseline_minutes = None;
    let r = row(&p);
    assert_eq!(r.hours_saved, None);
    assert_eq!(r.hours_saved_per_year, None);
    assert_eq!(r.robot_minutes, Some(2.5));
}

#[test]
fn a_slower_robot_shows_negative_savings() {
    let mut p = sample("x");
    p.baseline_minutes = Some(1.0);
    assert_eq!(row(&p).hours_saved, Some(4.0 * -1.5 / 60.0));
}

#[test]
fn an_empty_period_has_no_means() {
    let mut p = sample("x");
    p.items.clear();
    let r = row(&p);
    assert_eq!((r.dossiers, r.per_year), (0, Some(0.0)));
    assert_eq!(
        (r.robot_minutes, r.clicks, r.hours_saved),
        (None, None, None)
    );
}

#[test]
fn bad_inputs_are_refused() {
    let mut p = sample("x");
    p.period_end = p.period_start;
    assert!(matches!(compute(&p), Err(KpiError::Period { .. })));
    let mut p = sample("x");
    p.baseline_minutes = Some(-1.0);
    let err = compute(&p).expect_err("negative baseline");
    assert_eq!(
        err.to_string(),
        "robot x: baseline-minutes -1 is not a non-negative number"
    );
}

fn with_guide(name: &str) -> KpiRow {
    let mut p = sample(name);
    p.guide = guide_figures(name);
    row(&p)
}

#[test]
fn markdown_has_a_measured_and_a_guide_row() {
    let md = to_markdown(&[with_guide("chorus-subvention")]);
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "| robot | source | period start | period end | dossiers | unfinished | per month \
         | per year | human min | robot min | clicks | tools | hours saved | hours saved / year \
         | note |"
    );
    assert_eq!(
        lines[2],
        "| chorus-subvention | measured | 2025-01-01T00:00:00Z | 2025-01-31T10:30:00Z | 4 | 2 \
         | 4 | 48 | 10 | 2.5 | 25 | 3 | 0.5 | 6 | tools: chorus, ds, excel |"
    );
    assert_eq!(
        lines[3],
        "| chorus-subvention | guide | — | — | — | — | 83.33 | 1000 | 5 | 2 | 50 | 3 | — | 50 | — |"
    );
}

#[test]
fn csv_quotes_fields_and_ranges() {
    let mut odd = sample("robot, \"quoted\"");
    odd.baseline_minutes = None;
    let csv = to_csv(&[with_guide("cps-instruction"), row(&odd)]);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 5, "{csv:?}"); // header, 3 rows, trailing empty
    assert!(lines[0].starts_with("robot,source,period start,"));
    assert_eq!(
        lines[1],
        "cps-instruction,measured,2025-01-01T00:00:00Z,2025-01-31T10:30:00Z,4,2,4,48,10,2.5,25,3,\
         0.5,6,\"tools: chorus, ds, excel\""
    );
    assert_eq!(
        lines[2],
        "cps-instruction,guide,,,,,200,2400,10,1.5,60–100,6–10,,340,the guide gives 200 per month"
    );
    // No baseline: human minutes and savings are empty fields.
    assert_eq!(
        lines[3],
        "\"robot, \"\"quoted\"\"\",measured,2025-01-01T00:00:00Z,2025-01-31T10:30:00Z,4,2,4,48,,\
         2.5,25,3,,,\"tools: chorus, ds, excel\""
    );
    assert_eq!(lines[4], "");
}

fn cell(range: &calamine::Range<Data>, r: u32, c: u32) -> Data {
    range.get_value((r, c)).cloned().unwrap_or(Data::Empty)
}

#[test]
fn xlsx_reads_back_with_numbers_and_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("kpi.xlsx");
    std::fs::write(&path, b"old content").expect("pre-existing file");
    write_xlsx(&[with_guide("cps-instruction")], &path).expect("written");

    let mut book: Xlsx<_> = open_workbook(&path).expect("valid xlsx");
    let range = book.worksheet_range(SHEET_NAME).expect("KPI sheet");
    assert_eq!(cell(&range, 0, 0), Data::String("robot".into()));
    assert_eq!(cell(&range, 0, 14), Data::String("note".into()));
    assert_eq!(cell(&range, 1, 0), Data::String("cps-instruction".into()));
    assert_eq!(cell(&range, 1, 1), Data::String("measured".into()));
    assert_eq!(cell(&range, 1, 4), Data::Float(4.0));
    assert_eq!(cell(&range, 1, 7), Data::Float(48.0));
    assert_eq!(cell(&range, 1, 9), Data::Float(2.5));
    assert_eq!(cell(&range, 1, 12), Data::Float(0.5));
    assert_eq!(cell(&range, 2, 1), Data::String("guide".into()));
    assert_eq!(cell(&range, 2, 4), Data::Empty);
    assert_eq!(cell(&range, 2, 7), Data::Float(2400.0));
    assert_eq!(cell(&range, 2, 10), Data::String("60–100".into()));
    assert_eq!(cell(&range, 2, 13), Data::Float(340.0));

    // The rename left nothing behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("kpi.xlsx")]);
}

#[test]
fn xlsx_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no/such/dir/kpi.xlsx");
    let err = write_xlsx(&[with_guide("pj-actes")], &path).expect_err("no directory");
    assert!(matches!(err, KpiError::Write { .. }));
    assert!(err.to_string().contains("kpi.xlsx"));
}

/// Time a dossier waited outside the robot is reported as external delay,
/// and counts neither as robot minutes nor against the time saved.
#[test]
fn waiting_is_external_delay_not_robot_time() {
    let mut period = sample("vtc-carte-pro");
    let before = compute(&period).unwrap();
    for i in period
        .items
        .iter_mut()
        .filter(|i| i.outcome == Outcome::Done)
    {
        i.external_ms = 90 * 60_000;
    }
    let row = compute(&period).unwrap();
    assert_eq!(row.external_minutes, Some(90.0));
    assert_eq!(row.robot_minutes, before.robot_minutes);
    assert_eq!(row.hours_saved, before.hours_saved);
    assert!(to_markdown(&[row]).contains("external delay 90 min per dossier"));
    assert_eq!(before.external_minutes, None);
}
