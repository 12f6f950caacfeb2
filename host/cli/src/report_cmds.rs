//! `pont report` (the guide's KPI table, measured from journals) and
//! `pont assess` (the guide's opportunity grid).

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use clap::ValueEnum;
use pont_policy::RobotConfig;
use pont_report::approvals::{ApprovalRow, ProposalMeasure};
use pont_report::kpi::{self, ItemMeasure, Outcome, RobotPeriod};
use pont_runtime::journal::AttemptRow;

use crate::exit::{Exit, Failure};
use crate::queue_cmds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Markdown,
    Csv,
    Xlsx,
}

/// A date (`2026-01-31`, midnight UTC) or an RFC 3339 instant.
pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time"))
}

fn journal_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Per dossier: its attempts in the period folded into one measure. Time,
/// clicks and tools add up over attempts; the last attempt gives the
/// outcome. Skipped dossiers had nothing to do and are not counted.
fn measures(rows: &[AttemptRow]) -> Vec<ItemMeasure> {
    // One measure per episode of a dossier: a corrected dossier handled
    // again is a second piece of work.
    let mut by_dossier: BTreeMap<(i64, u32), Vec<&AttemptRow>> = BTreeMap::new();
    for r in rows {
        by_dossier.entry((r.number, r.episode)).or_default().push(r);
    }
    let mut out = Vec::new();
    for attempts in by_dossier.values() {
        let Some(last) = attempts.last() else {
            continue;
        };
        let outcome = match last.status.as_str() {
            "done" => Outcome::Done,
            // Skipped, or still waiting at the period's end: no outcome yet.
            "skipped" | "waiting" => continue,
            "needs-review" => Outcome::Review,
            _ => Outcome::Failed,
        };
        let started_at = attempts
            .iter()
            .filter_map(|a| DateTime::parse_from_rfc3339(&a.started_at).ok())
            .map(|t| t.with_timezone(&Utc))
            .min()
            .unwrap_or_default();
        let tools: BTreeSet<String> = attempts
            .iter()
            .flat_map(|a| a.tools_used.split(','))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        out.push(ItemMeasure {
            started_at,
            duration_ms: attempts.iter().map(|a| a.duration_ms).sum(),
            external_ms: attempts.iter().map(|a| a.wait_ms).sum(),
            clicks: attempts.iter().map(|a| a.browser_actions).sum(),
            tools,
            outcome,
        });
    }
    out
}

fn period(
    config: &Path,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<RobotPeriod, Failure> {
    let opened = queue_cmds::open(config)?;
    let cfg = RobotConfig::load(config).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let rows = opened
        .journal
        .attempts(&opened.robot, &journal_time(&since), &journal_time(&until))
        .map_err(|e| Failure::new(Exit::Fatal, format!("journal: {e}")))?;
    Ok(RobotPeriod {
        guide: kpi::guide_figures(&opened.robot),
        robot: opened.robot,
        period_start: since,
        period_end: until,
        items: measures(&rows),
        baseline_minutes: cfg.report.baseline_minutes,
    })
}

/// Each robot's four-eyes figures: the proposals made in the period.
fn approval_rows(
    configs: &[PathBuf],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<ApprovalRow>, Failure> {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok().map(|t| t.to_utc());
    let mut rows = Vec::new();
    for config in configs {
        let o = queue_cmds::open(config)?;
        let list = o
            .journal
            .proposals(&o.robot, None, true, u32::MAX)
            .map_err(|e| Failure::new(Exit::Fatal, format!("journal: {e}")))?;
        let measures: Vec<ProposalMeasure> = list
            .iter()
            .filter_map(|p| {
                let proposed_at = parse(&p.proposed_at).filter(|t| *t >= since && *t < until)?;
                Some(ProposalMeasure {
                    proposed_at,
                    verdict: p.verdict.clone(),
                    decided_at: p.decided_at.as_deref().and_then(parse),
                })
            })
            .collect();
        rows.push(ApprovalRow::compute(&o.robot, &measures));
    }
    Ok(rows)
}

pub(crate) fn report(
    configs: &[PathBuf],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    format: Format,
    output: Option<&Path>,
) -> Result<Exit, Failure> {
    let periods = configs
        .iter()
        .map(|c| period(c, since, until))
        .collect::<Result<Vec<_>, _>>()?;
    let rows = kpi::compute_all(&periods).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let text = match format {
        Format::Markdown => {
            let approvals = approval_rows(configs, since, until)?;
            let section = pont_report::approvals::to_markdown(&approvals);
            format!("{}{section}", kpi::to_markdown(&rows))
        }
        Format::Csv => kpi::to_csv(&rows),
        Format::Xlsx => {
            let Some(path) = output else {
                return Err(Failure::new(
                    Exit::Config,
                    "--format xlsx needs --output <file.xlsx>",
                ));
            };
            kpi::write_xlsx(&rows, path).map_err(|e| Failure::new(Exit::Fatal, e.to_string()))?;
            return Ok(Exit::Ok);
        }
    };
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            Failure::new(Exit::Fatal, format!("cannot write {}: {e}", path.display()))
        })?,
        None => print!("{text}"),
    }
    Ok(Exit::Ok)
}

pub(crate) fn assess(answers: Option<&Path>) -> Result<Exit, Failure> {
    let answers = match answers {
        Some(path) => pont_report::assess::Answers::load(path),
        None if std::io::stdin().is_terminal() => {
            pont_report::assess::walk(&dialoguer::console::Term::stderr())
        }
        None => {
            return Err(Failure::new(
                Exit::Config,
                "no terminal to ask on: pass --answers <file.toml>",
            ));
        }
    }
    .map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let assessment = pont_report::assess::assess(&answers);
    print!("{}", pont_report::assess::render(&answers, &assessment));
    Ok(Exit::Ok)
}
