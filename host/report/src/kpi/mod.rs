//! `pont report`: the guide's KPI table, measured from the run journal.
//!
//! The guide asks that the benefits of a robot be measured with a small table
//! per robot: number of dossiers, frequency, human minutes per dossier, robot
//! minutes, clicks, tools, and the time saved. The host fills a
//! [`RobotPeriod`] per robot from its journal; [`compute`] turns it into a
//! [`KpiRow`]; the rows render as markdown, CSV or xlsx, with the guide's own
//! figures (from [`guide_figures`]) in a row under the measured one.
//!
//! Conventions, chosen so the numbers can be checked by hand:
//! - a year is 365.25 days and a month a twelfth of it; frequencies are the
//!   handled count scaled from the period's length, only for a period of at
//!   least [`MIN_EXTRAPOLATION_DAYS`] (a shorter one shows its own counts, the
//!   per-month and per-year cells blank and a note giving its length);
//! - tools are what the host recorded per item: `ds`, each origin reached by
//!   the browser or HTTP, each mount (`mount.NAME`, workbooks included);
//! - only dossiers the robot finished count as handled;
//! - time saved = handled × (baseline human minutes − mean robot minutes) / 60,
//!   and is left empty when no baseline is configured, rather than borrowing
//!   the guide's human minutes for a workload that may differ. It may be
//!   negative: a robot slower than the person is reported as such.

pub mod guide;
pub mod measure;
pub mod table;
pub mod xlsx;

pub use guide::{GUIDE_ROBOTS, GuideFigures, Span, guide_figures};
pub use measure::{
    ItemMeasure, KpiError, KpiRow, MIN_EXTRAPOLATION_DAYS, MONTH_SECONDS, Outcome, RobotPeriod,
    YEAR_SECONDS, compute, compute_all, extrapolates,
};
pub use table::{Cell, HEADERS, cells, csv_field, format_number, to_csv, to_markdown};
pub use xlsx::{SHEET_NAME, to_xlsx_bytes, write_xlsx};
