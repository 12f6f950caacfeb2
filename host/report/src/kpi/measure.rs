//! Inputs the host fills from its run journal, and the computed [`KpiRow`].
//!
//! The host, not this crate, decides which journal items belong to a period:
//! [`compute`] takes the items it is given as the period's items. This keeps
//! the crate free of any journal format and easy to test with hand-made input.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::guide::GuideFigures;

/// Seconds in a year of 365.25 days, the unit frequencies are extrapolated to.
pub const YEAR_SECONDS: f64 = 365.25 * 86_400.0;
/// Seconds in a month, one twelfth of [`YEAR_SECONDS`] (30.4375 days).
pub const MONTH_SECONDS: f64 = YEAR_SECONDS / 12.0;
/// Shortest period, in days, that per-month and per-year figures are
/// extrapolated from: a few minutes of activity scaled to a year says more
/// about the arithmetic than about the robot.
pub const MIN_EXTRAPOLATION_DAYS: i64 = 7;

/// How one item (dossier) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The robot finished the dossier: it counts as handled.
    Done,
    /// The robot left it in the review queue for a person.
    Review,
    /// The robot failed on it.
    Failed,
}

/// What the journal recorded for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMeasure {
    /// When the robot started on the item.
    pub started_at: DateTime<Utc>,
    /// Wall-clock time the robot spent on it.
    pub duration_ms: u64,
    /// Time it waited for something outside the robot (an external
    /// service's answer): the dossier's delay, not robot time.
    #[serde(default)]
    pub external_ms: u64,
    /// Browser actions (clicks, typing, selections) it took.
    pub clicks: u32,
    /// External applications it touched (DS, Chorus, an Excel base...).
    pub tools: BTreeSet<String>,
    /// How it ended.
    pub outcome: Outcome,
}

/// One robot's journal over a period, plus what to compare it with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotPeriod {
    /// The robot's name.
    pub robot: String,
    /// Start of the period (inclusive).
    pub period_start: DateTime<Utc>,
    /// End of the period (exclusive); must be after the start.
    pub period_end: DateTime<Utc>,
    /// The items the robot worked on during the period.
    pub items: Vec<ItemMeasure>,
    /// Human minutes per dossier before the robot: the robot config's
    /// `baseline-minutes`. Without it, no time saved is claimed.
    pub baseline_minutes: Option<f64>,
    /// The guide's figures for this robot, shown alongside.
    pub guide: Option<GuideFigures>,
}

/// Why a KPI row could not be computed or written.
#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    /// The period is empty or reversed, so no frequency can be derived.
    #[error("robot {robot}: period end {end} is not after its start {start}")]
    Period {
        /// The robot.
        robot: String,
        /// Period start.
        start: DateTime<Utc>,
        /// Period end.
        end: DateTime<Utc>,
    },
    /// A baseline that is negative or not a number.
    #[error("robot {robot}: baseline-minutes {value} is not a non-negative number")]
    Baseline {
        /// The robot.
        robot: String,
        /// The value given.
        value: f64,
    },
    /// The spreadsheet could not be built.
    #[error("cannot build xlsx: {0}")]
    Xlsx(String),
    /// The spreadsheet could not be written to disk.
    #[error("cannot write {path}: {error}")]
    Write {
        /// Destination.
        path: std::path::PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
}

/// The guide's KPI figures for one robot over one period, as measured.
///
/// Means are over *handled* dossiers (outcome [`Outcome::Done`]): items left
/// for review or failed did not save anyone's time, so they are counted in
/// [`KpiRow::unfinished`] but not in the means or the time saved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiRow {
    /// The robot's name.
    pub robot: String,
    /// Start of the period.
    pub period_start: DateTime<Utc>,
    /// End of the period.
    pub period_end: DateTime<Utc>,
    /// Dossiers handled.
    pub dossiers: u64,
    /// Items left for review or failed.
    pub unfinished: u64,
    /// Handled dossiers per month, extrapolated from the period; `None` when
    /// the period is shorter than [`MIN_EXTRAPOLATION_DAYS`].
    pub per_month: Option<f64>,
    /// Handled dossiers per year, extrapolated like [`KpiRow::per_month`].
    pub per_year: Option<f64>,
    /// Human minutes per dossier (the configured baseline).
    pub human_minutes: Option<f64>,
    /// Mean robot minutes per handled dossier, measured.
    pub robot_minutes: Option<f64>,
    /// Mean minutes a handled dossier waited outside the robot (external
    /// delay: not in robot minutes, not in the time saved).
    pub external_minutes: Option<f64>,
    /// Mean clicks per handled dossier.
    pub clicks: Option<f64>,
    /// Distinct applications touched by handled dossiers.
    pub tools: BTreeSet<String>,
    /// Hours saved over the period: dossiers × (human − robot minutes) / 60.
    pub hours_saved: Option<f64>,
    /// Hours saved per year, extrapolated like [`KpiRow::per_year`].
    pub hours_saved_per_year: Option<f64>,
    /// The guide's figures, when known.
    pub guide: Option<GuideFigures>,
}

/// Compute a robot's KPI row from its journal over a period.
pub fn compute(period: &RobotPeriod) -> Result<KpiRow, KpiError> {
    let seconds = period_seconds(period)?;
    let human_minutes = checked_baseline(period)?;
    let handled: Vec<&ItemMeasure> = period
        .items
        .iter()
        .filter(|i| i.outcome == Outcome::Done)
        .collect();
    let dossiers = handled.len() as u64;
    let robot_minutes = mean(handled.iter().map(|i| i.duration_ms as f64 / 60_000.0));
    let saved_each = human_minutes.zip(robot_minutes).map(|(h, r)| h - r);
    let hours_saved = saved_each.map(|m| dossiers as f64 * m / 60.0);
    // Scaled from the period to `unit` seconds, or nothing when it is too short.
    let scaled = |n: f64, unit: f64| extrapolates(period).then(|| n * unit / seconds);
    Ok(KpiRow {
        robot: period.robot.clone(),
        period_start: period.period_start,
        period_end: period.period_end,
        dossiers,
        unfinished: period.items.len() as u64 - dossiers,
        per_month: scaled(dossiers as f64, MONTH_SECONDS),
        per_year: scaled(dossiers as f64, YEAR_SECONDS),
        human_minutes,
        robot_minutes,
        external_minutes: mean(handled.iter().map(|i| i.external_ms as f64 / 60_000.0))
            .filter(|m| *m > 0.0),
        clicks: mean(handled.iter().map(|i| f64::from(i.clicks))),
        tools: handled
            .iter()
            .flat_map(|i| i.tools.iter().cloned())
            .collect(),
        hours_saved,
        hours_saved_per_year: hours_saved.and_then(|h| scaled(h, YEAR_SECONDS)),
        guide: period.guide.clone(),
    })
}

/// Compute every row; stops at the first robot whose input is wrong.
pub fn compute_all(periods: &[RobotPeriod]) -> Result<Vec<KpiRow>, KpiError> {
    periods.iter().map(compute).collect()
}

fn period_seconds(period: &RobotPeriod) -> Result<f64, KpiError> {
    let delta = period.period_end - period.period_start;
    let ms = delta.num_milliseconds();
    if ms <= 0 {
        return Err(KpiError::Period {
            robot: period.robot.clone(),
            start: period.period_start,
            end: period.period_end,
        });
    }
    Ok(ms as f64 / 1000.0)
}

/// Whether the period is long enough to extrapolate per month and per year.
pub fn extrapolates(period: &RobotPeriod) -> bool {
    period.period_end - period.period_start >= chrono::Duration::days(MIN_EXTRAPOLATION_DAYS)
}

fn checked_baseline(period: &RobotPeriod) -> Result<Option<f64>, KpiError> {
    match period.baseline_minutes {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(KpiError::Baseline {
            robot: period.robot.clone(),
            value: v,
        }),
        other => Ok(other),
    }
}

/// Arithmetic mean, `None` for no values (a mean of nothing is not zero).
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0u64), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}
