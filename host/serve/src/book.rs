//! The runs the service started, by id, for `GET /api/runs/{id}`: the run
//! summary (`pont run --json`'s) once it ended, its state while it goes. The
//! book keeps the latest [`KEPT`] runs; older ones are in the journals
//! (`pont runs`).

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Runs remembered in memory.
pub const KEPT: usize = 500;

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// A slot of the robot's schedule.
    Schedule,
    /// A waiting dossier's time came.
    Wake,
    /// `POST /api/robots/{name}/runs`.
    Api,
    /// A signed `POST /hooks/{robot}`.
    Hook,
    /// Another part of the service (the console's retry).
    Request,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Wake => "wake",
            Self::Api => "api",
            Self::Hook => "hook",
            Self::Request => "request",
        }
    }
}

/// How a run ended, as the metrics and the health count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunResult {
    /// Ran to its end, every item handled.
    Ok,
    /// Ran to its end, some items failed (in the journal, system failures
    /// in the review queue).
    ItemsFailed,
    /// A graceful stop ended it early.
    Stopped,
    /// It could not start or a host error stopped it (config, plugin,
    /// journal, DS listing…): the run failed.
    Error,
}

impl RunResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ItemsFailed => "items-failed",
            Self::Stopped => "stopped",
            Self::Error => "error",
        }
    }

    /// Whether the run went to its end (what "succeeded" means for the
    /// health: failed items are the robot's verdicts or in review).
    pub fn completed(self) -> bool {
        matches!(self, Self::Ok | Self::ItemsFailed)
    }
}

/// One run in the book.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    pub run_id: String,
    /// The service's name of the robot.
    pub robot: String,
    pub trigger: Trigger,
    pub started_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, or the result.
    pub status: String,
    /// The run summary, once it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<serde_json::Value>,
    /// Why it failed, for a run that could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct RunBook {
    runs: HashMap<String, RunRecord>,
    order: VecDeque<String>,
}

impl RunBook {
    pub fn insert(&mut self, record: RunRecord) {
        self.order.push_back(record.run_id.clone());
        self.runs.insert(record.run_id.clone(), record);
        while self.order.len() > KEPT {
            if let Some(old) = self.order.pop_front() {
                self.runs.remove(&old);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<RunRecord> {
        self.runs.get(id).cloned()
    }

    pub fn update(&mut self, id: &str, f: impl FnOnce(&mut RunRecord)) {
        if let Some(r) = self.runs.get_mut(id) {
            f(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            robot: "r".into(),
            trigger: Trigger::Api,
            started_at: Utc::now(),
            finished_at: None,
            status: "running".into(),
            summary: None,
            error: None,
        }
    }

    #[test]
    fn the_book_keeps_the_latest_runs_only() {
        let mut book = RunBook::default();
        for i in 0..KEPT + 10 {
            book.insert(record(&i.to_string()));
        }
        assert!(book.get("0").is_none());
        assert!(book.get("9").is_none());
        assert!(book.get("10").is_some());
        assert!(book.get(&(KEPT + 9).to_string()).is_some());
    }
}
