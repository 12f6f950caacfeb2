//! Spreadsheets on mounts: `Workbook::open("mount", "path.xlsx")`.
//!
//! Opening reads the workbook (xlsx, xls, ods, csv) through the gate as a file
//! read; `table` and `find-rows` then work on what was loaded. `append-rows`
//! edits an xlsx in the host, keeping its other sheets, styles and column
//! widths, and `save` writes it back atomically (a write of the mount: denied
//! on a read-only mount, limited by its quota). A workbook being written is
//! locked against other runs until its handle is dropped.

pub use crate::bindings::pont::robot::sheets::*;

impl Cell {
    /// A text cell.
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    /// The cell as a person would read it: whole numbers without decimals,
    /// dates in ISO form, empty cells as `""`.
    pub fn to_text(&self) -> String {
        match self {
            Self::Empty => String::new(),
            Self::Text(s) | Self::Date(s) => s.clone(),
            Self::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
            Self::Number(n) => n.to_string(),
            Self::Boolean(b) => b.to_string(),
        }
    }
}

impl Table {
    /// The index of the column named `name` (surrounding spaces ignored).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.trim() == name.trim())
    }
}
