//! `pont runs` and `pont review`: what the journal of a robot config says
//! about past runs and about the dossiers waiting for a person.

use std::io::Write;
use std::path::Path;

use pont_policy::{Manifest, RobotConfig};
use pont_runtime::journal::{Journal, QueueStatus};
use pont_runtime::review::{Person, ReviewDesk, ReviewError};

use crate::exit::{Exit, Failure};
use crate::output;

/// The journal of a robot config and the robot's name in it.
pub(crate) struct Opened {
    pub journal: Journal,
    pub robot: String,
    pub journal_path: std::path::PathBuf,
    pub audit_path: std::path::PathBuf,
}

impl Opened {
    /// The robot's review desk: the decisions `pont review` and the web
    /// console share (audited in the robot's audit file).
    fn desk(&self) -> ReviewDesk {
        ReviewDesk::new(
            self.journal.clone(),
            &self.journal_path,
            &self.audit_path,
            &self.robot,
        )
    }
}

/// Who runs the command, for the audit record of a review decision: the
/// login name the environment gives (the CLI has no accounts of its own).
pub(crate) fn person_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn review_failure(e: ReviewError) -> Failure {
    Failure::new(Exit::Fatal, e.to_string())
}

pub(crate) fn open(config: &Path) -> Result<Opened, Failure> {
    let config =
        RobotConfig::load(config).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let manifest =
        Manifest::load(&config.manifest).map_err(|e| Failure::new(Exit::Config, e.to_string()))?;
    let path = &config.paths.journal;
    if !path.exists() {
        return Err(Failure::new(
            Exit::Fatal,
            format!(
                "no journal at {}: the robot has not run yet",
                path.display()
            ),
        ));
    }
    let journal = Journal::open(path)
        .map_err(|e| Failure::new(Exit::Fatal, format!("journal {}: {e}", path.display())))?;
    Ok(Opened {
        journal,
        robot: manifest.name,
        journal_path: config.paths.journal.clone(),
        audit_path: config.paths.audit.clone(),
    })
}

fn db(e: rusqlite::Error) -> Failure {
    Failure::new(Exit::Fatal, format!("journal: {e}"))
}

pub(crate) fn runs(config: &Path, limit: u32, json: bool) -> Result<Exit, Failure> {
    let o = open(config)?;
    let runs = o.journal.runs(limit).map_err(db)?;
    if json {
        output::print_json(&runs)?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<32} {:<12} {:>5} {:>7} {:>6} {:>6}  started",
        "run", "status", "done", "skipped", "review", "failed"
    );
    for r in runs {
        let _ = writeln!(
            out,
            "{:<32} {:<12} {:>5} {:>7} {:>6} {:>6}  {}",
            r.id, r.status, r.done, r.skipped, r.needs_review, r.failed, r.started_at
        );
    }
    print_waiting(&mut out, &o)
}

/// The dossiers waiting for something outside the robot, with their deadline.
fn print_waiting(out: &mut impl Write, o: &Opened) -> Result<Exit, Failure> {
    let waiting = o
        .journal
        .queue_entries(&o.robot, &[QueueStatus::Waiting])
        .map_err(db)?;
    if waiting.is_empty() {
        return Ok(Exit::Ok);
    }
    let _ = writeln!(out, "waiting ({}):", waiting.len());
    for e in waiting {
        let _ = writeln!(
            out,
            "  dossier {:>8}  until {}  {}",
            e.number,
            e.wake_at.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("")
        );
    }
    Ok(Exit::Ok)
}

pub(crate) fn review_list(config: &Path, json: bool) -> Result<Exit, Failure> {
    let o = open(config)?;
    let entries = o
        .journal
        .queue_entries(&o.robot, &[QueueStatus::Review])
        .map_err(db)?;
    if json {
        output::print_json(&entries)?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    if entries.is_empty() {
        let _ = writeln!(out, "the review queue of {} is empty", o.robot);
    }
    for e in entries {
        let _ = writeln!(
            out,
            "dossier {:>8}  {} attempt(s)  {}: {}",
            e.number,
            e.attempts,
            e.outcome.as_deref().unwrap_or("-"),
            e.reason.as_deref().unwrap_or("")
        );
    }
    Ok(Exit::Ok)
}

pub(crate) fn review_show(config: &Path, number: i64, json: bool) -> Result<Exit, Failure> {
    let o = open(config)?;
    let Some(entry) = o.journal.queue_entry(&o.robot, number).map_err(db)? else {
        return Err(Failure::new(
            Exit::Fatal,
            format!("dossier {number} is not in the journal of {}", o.robot),
        ));
    };
    let mutations = o
        .journal
        .mutations(&o.robot, number, None, None)
        .map_err(db)?;
    let logs = match &entry.run_id {
        Some(run) => o.journal.item_logs(run, number).map_err(db)?,
        None => Vec::new(),
    };
    if json {
        let logs: Vec<_> = logs
            .iter()
            .map(|l| serde_json::json!({"level": l.level, "message": l.message}))
            .collect();
        output::print_json(&serde_json::json!({
            "entry": entry, "mutations": mutations, "logs": logs,
        }))?;
        return Ok(Exit::Ok);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "dossier {number}: {} after {} attempt(s), last run {}",
        entry.status.as_str(),
        entry.attempts,
        entry.run_id.as_deref().unwrap_or("-")
    );
    let _ = writeln!(
        out,
        "  {}: {}",
        entry.outcome.as_deref().unwrap_or("-"),
        entry.reason.as_deref().unwrap_or("")
    );
    if entry.episode > 1 {
        let _ = writeln!(
            out,
            "  episode {}: {}",
            entry.episode,
            entry.episode_reason.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "DS mutations:");
    for m in &mutations {
        let _ = writeln!(
            out,
            "  {}  {}  {}  run {} episode {} attempt {}  {}",
            m.intent_at,
            m.operation,
            m.status,
            m.run_id,
            m.episode,
            m.attempt,
            m.detail.as_deref().unwrap_or("")
        );
    }
    let _ = writeln!(out, "log of the last run:");
    for l in &logs {
        let _ = writeln!(out, "  [{}] {}", l.level, l.message);
    }
    Ok(Exit::Ok)
}

pub(crate) fn review_dismiss(
    config: &Path,
    numbers: &[i64],
    reason: &str,
) -> Result<Exit, Failure> {
    let o = open(config)?;
    let name = person_name();
    let who = Person {
        name: &name,
        interface: "cli",
    };
    for n in numbers {
        o.desk().dismiss(who, *n, reason).map_err(review_failure)?;
        println!("dossier {n}: dismissed");
    }
    Ok(Exit::Ok)
}

/// Check the dossiers are under review before a retry run takes them
/// (the run puts them back in the queue), and audit the retry.
pub(crate) fn retry_under_review(config: &Path, numbers: &[i64]) -> Result<(), Failure> {
    let o = open(config)?;
    let desk = o.desk();
    desk.check(numbers).map_err(review_failure)?;
    let name = person_name();
    let who = Person {
        name: &name,
        interface: "cli",
    };
    for n in numbers {
        desk.retry(who, *n).map_err(review_failure)?;
    }
    Ok(())
}
