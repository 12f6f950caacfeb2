//! Cell values: conversion from what calamine reads, to what umya writes, and the
//! comparison used by `find_rows`.

use calamine::Data;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// A typed cell value, as the WIT `cell` variant.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Empty,
    /// Text.
    Text(String),
    /// A number (integers included: spreadsheets store them as floats).
    Number(f64),
    /// A boolean.
    Boolean(bool),
    /// An ISO 8601 date (`2024-03-01`) or date-time (`2024-03-01T08:30:00`).
    Date(String),
}

impl Cell {
    /// The value as text, for column names and loose comparisons. Whole numbers are
    /// shown without a decimal part, as a person would read them in the sheet.
    pub fn as_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) | Self::Date(s) => s.clone(),
            Self::Number(n) => format_number(*n),
            Self::Boolean(b) => b.to_string(),
        }
    }

    /// Whether a cell read from a sheet matches the value a robot looks for.
    ///
    /// Deliberately loose across text and numbers: an EJ number is stored as a
    /// number in one workbook and as text in the next, and a robot should not have
    /// to guess which. Text is compared after trimming surrounding spaces.
    pub fn matches(&self, wanted: &Cell) -> bool {
        match (self, wanted) {
            (Self::Empty, Self::Empty) => true,
            (Self::Empty, Self::Text(s)) | (Self::Text(s), Self::Empty) => s.trim().is_empty(),
            (Self::Number(a), Self::Number(b)) => a == b,
            (Self::Number(n), Self::Text(s)) | (Self::Text(s), Self::Number(n)) => {
                s.trim().parse::<f64>().is_ok_and(|v| v == *n)
            }
            (Self::Boolean(a), Self::Boolean(b)) => a == b,
            (Self::Text(a) | Self::Date(a), Self::Text(b) | Self::Date(b)) => a.trim() == b.trim(),
            _ => false,
        }
    }
}

fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// Convert a value read by calamine.
pub(crate) fn from_calamine(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        #[allow(clippy::cast_precision_loss)] // spreadsheets hold numbers as f64 anyway
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Boolean(*b),
        Data::DateTime(dt) if !dt.is_duration() => match dt.as_datetime() {
            Some(ndt) => Cell::Date(iso(ndt)),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => Cell::Date(s.clone()),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(e.to_string()),
    }
}

/// ISO form: the date alone when there is no time of day.
fn iso(ndt: NaiveDateTime) -> String {
    if ndt.time() == NaiveTime::MIN {
        ndt.format("%Y-%m-%d").to_string()
    } else {
        ndt.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

/// Parse an ISO date or date-time given by a robot. A trailing `Z` or offset is
/// dropped: spreadsheets have no time zones, the wall-clock value is kept.
pub(crate) fn parse_iso(s: &str) -> Option<(NaiveDateTime, bool)> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some((d.and_time(NaiveTime::MIN), false));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some((dt.naive_local(), true));
    }
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|dt| (dt, true))
}

/// Excel serial number of a date-time (1900 date system: day 0 is 1899-12-30).
pub(crate) fn excel_serial(dt: NaiveDateTime) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)
        .unwrap_or_default()
        .and_time(NaiveTime::MIN);
    let d = dt - epoch;
    #[allow(clippy::cast_precision_loss)] // milliseconds since 1899 fit f64 exactly
    let ms = d.num_milliseconds() as f64;
    ms / 86_400_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_matching_and_dates() {
        assert!(Cell::Number(2_100_123_456.0).matches(&Cell::Text(" 2100123456 ".into())));
        assert!(!Cell::Number(2_100_123_456.0).matches(&Cell::Text("2100123457".into())));
        assert!(Cell::Text("abc".into()).matches(&Cell::Text("abc ".into())));
        let (dt, has_time) = parse_iso("2024-03-01").unwrap();
        assert!(!has_time);
        assert!((excel_serial(dt) - 45352.0).abs() < 1e-9);
        assert!(parse_iso("2024-03-01T08:30:00Z").unwrap().1);
        assert!(parse_iso("01/03/2024").is_none());
        assert_eq!(Cell::Number(12.0).as_text(), "12");
    }
}
