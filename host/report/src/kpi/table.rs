//! The KPI table as cells, and its markdown and CSV renderings.
//!
//! Every format renders the same [`cells`], so markdown, CSV and xlsx always
//! have the same columns in the same order. Each robot gives a "measured"
//! row, followed by a "guide" row when the guide has figures for it, so the
//! two can be compared line by line.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::guide::{GuideFigures, Span};
use super::measure::{KpiRow, MIN_EXTRAPOLATION_DAYS};

/// Column headers, in order.
pub const HEADERS: [&str; 15] = [
    "robot",
    "source",
    "period start",
    "period end",
    "dossiers",
    "unfinished",
    "per month",
    "per year",
    "human min",
    "robot min",
    "clicks",
    "tools",
    "hours saved",
    "hours saved / year",
    "note",
];

/// One cell of the table, typed so spreadsheets get real numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing to show (unknown or not applicable).
    Empty,
    /// A number.
    Number(f64),
    /// Text.
    Text(String),
}

impl Cell {
    /// The cell as text: numbers rounded to two decimals, trailing zeros cut.
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(n) => format_number(*n),
            Cell::Text(t) => t.clone(),
        }
    }
}

fn opt(n: Option<f64>) -> Cell {
    n.map_or(Cell::Empty, Cell::Number)
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn date(d: DateTime<Utc>) -> Cell {
    text(d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn span(s: Span) -> Cell {
    s.single()
        .map_or_else(|| text(s.to_string()), |n| Cell::Number(f64::from(n)))
}

/// The table body: one measured row per robot, plus its guide row if any.
pub fn cells(rows: &[KpiRow]) -> Vec<Vec<Cell>> {
    let mut out = Vec::new();
    for row in rows {
        out.push(measured_cells(row));
        if let Some(g) = &row.guide {
            out.push(guide_cells(&row.robot, g));
        }
    }
    out
}

fn measured_cells(row: &KpiRow) -> Vec<Cell> {
    vec![
        text(&row.robot),
        text("measured"),
        date(row.period_start),
        date(row.period_end),
        Cell::Number(row.dossiers as f64),
        Cell::Number(row.unfinished as f64),
        opt(row.per_month),
        opt(row.per_year),
        opt(row.human_minutes),
        opt(row.robot_minutes),
        opt(row.clicks),
        Cell::Number(row.tools.len() as f64),
        opt(row.hours_saved),
        opt(row.hours_saved_per_year),
        measured_note(row),
    ]
}

/// Why the extrapolations are blank (a period too short), then the tools by name.
fn measured_note(row: &KpiRow) -> Cell {
    let mut parts = Vec::new();
    if row.per_year.is_none() {
        parts.push(format!(
            "measured over {}: under {MIN_EXTRAPOLATION_DAYS} days, not extrapolated",
            period_length(row.period_end - row.period_start)
        ));
    }
    if let Some(m) = row.external_minutes {
        parts.push(format!(
            "external delay {} min per dossier (waiting, not robot time)",
            format_number(m)
        ));
    }
    if !row.tools.is_empty() {
        let tools: Vec<&str> = row.tools.iter().map(String::as_str).collect();
        parts.push(format!("tools: {}", tools.join(", ")));
    }
    if parts.is_empty() {
        Cell::Empty
    } else {
        text(parts.join("; "))
    }
}

/// A period's length in the largest unit that keeps it readable: 3 days,
/// 2.5 h, 12 min.
fn period_length(d: chrono::TimeDelta) -> String {
    let minutes = d.num_milliseconds() as f64 / 60_000.0;
    if minutes >= 24.0 * 60.0 {
        let days = format_number(minutes / (24.0 * 60.0));
        let unit = if days == "1" { "day" } else { "days" };
        format!("{days} {unit}")
    } else if minutes >= 60.0 {
        format!("{} h", format_number(minutes / 60.0))
    } else {
        format!("{} min", format_number(minutes))
    }
}

fn guide_cells(robot: &str, g: &GuideFigures) -> Vec<Cell> {
    vec![
        text(robot),
        text("guide"),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Number(g.per_month()),
        Cell::Number(g.per_year),
        Cell::Number(g.human_minutes),
        Cell::Number(g.robot_minutes),
        span(g.clicks),
        span(g.tools),
        Cell::Empty,
        Cell::Number(g.hours_saved_per_year()),
        g.note.as_deref().map_or(Cell::Empty, text),
    ]
}

/// Round to two decimals and drop trailing zeros: 120, 2.5, 1.33.
pub fn format_number(n: f64) -> String {
    let s = format!("{n:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// The table as GitHub-flavoured markdown; missing values show as "—".
pub fn to_markdown(rows: &[KpiRow]) -> String {
    let mut out = String::new();
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    out.push_str(&line(HEADERS.iter().map(|h| h.to_string()).collect()));
    out.push_str(&line(HEADERS.iter().map(|_| "---".to_string()).collect()));
    for row in cells(rows) {
        out.push_str(&line(row.iter().map(markdown_cell).collect()));
    }
    out
}

fn markdown_cell(cell: &Cell) -> String {
    match cell {
        Cell::Empty => "—".into(),
        // A pipe would end the cell and a newline the row.
        other => other
            .to_text()
            .replace('|', "\\|")
            .replace(['\r', '\n'], " "),
    }
}

/// The table as CSV (RFC 4180: comma-separated, CRLF line ends, fields with
/// a comma, quote or line break quoted, quotes doubled).
pub fn to_csv(rows: &[KpiRow]) -> String {
    let mut out = String::new();
    let fields: Vec<String> = HEADERS.iter().map(|h| csv_field(h)).collect();
    let _ = write!(out, "{}\r\n", fields.join(","));
    for row in cells(rows) {
        let fields: Vec<String> = row.iter().map(|c| csv_field(&c.to_text())).collect();
        let _ = write!(out, "{}\r\n", fields.join(","));
    }
    out
}

/// Quote a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(format_number(120.0), "120");
        assert_eq!(format_number(2.5), "2.5");
        assert_eq!(format_number(4.0 / 3.0), "1.33");
        assert_eq!(format_number(-0.001), "0");
        assert_eq!(format_number(0.0), "0");
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn period_lengths_read_in_days_hours_or_minutes() {
        assert_eq!(period_length(chrono::TimeDelta::days(3)), "3 days");
        assert_eq!(period_length(chrono::TimeDelta::days(1)), "1 day");
        assert_eq!(period_length(chrono::TimeDelta::minutes(150)), "2.5 h");
        assert_eq!(period_length(chrono::TimeDelta::seconds(90)), "1.5 min");
    }

    #[test]
    fn markdown_escapes_pipes() {
        assert_eq!(markdown_cell(&text("a|b\nc")), "a\\|b c");
        assert_eq!(markdown_cell(&Cell::Empty), "—");
    }
}
