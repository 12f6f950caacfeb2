//! The `log` capability: robot log lines into tracing and the journal, and
//! evidence blobs kept for review.

use std::path::{Path, PathBuf};

use pont_policy::Action;
use wasmtime::component::Resource;

use crate::bindings::pont::robot::log::{Host, Level};
use crate::bindings::pont::robot::types::Error;
use crate::blob::BlobEntry;
use crate::journal::LogLine;
use crate::store::ItemState;

/// Longest message kept; longer ones are cut (a robot cannot flood the journal).
const MAX_MESSAGE: usize = 8 * 1024;
/// The refusal of a second piece of evidence under one name in one item.
const TAKEN: &str = "this item already keeps evidence under that name: choose another";
/// Most fields kept per line.
const MAX_FIELDS: usize = 32;

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Trace => "trace",
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Emit a robot line through tracing, under the `robot` target.
pub(crate) fn trace_line(level: &str, robot: &str, item: Option<i64>, message: &str, fields: &str) {
    macro_rules! emit {
        ($lvl:expr) => {
            tracing::event!(target: "robot", $lvl, robot, item, fields, "{message}")
        };
    }
    match level {
        "trace" => emit!(tracing::Level::TRACE),
        "debug" => emit!(tracing::Level::DEBUG),
        "warn" | "stderr" => emit!(tracing::Level::WARN),
        "error" => emit!(tracing::Level::ERROR),
        _ => emit!(tracing::Level::INFO),
    }
}

impl ItemState {
    /// Write one line to tracing and the journal.
    pub(crate) fn write_log(&self, level: &str, message: &str, fields: &str) {
        trace_line(level, &self.run.robot, self.item, message, fields);
        let line = LogLine {
            item: self.item,
            level: level.to_string(),
            message: message.to_string(),
            fields: fields.to_string(),
        };
        if let Err(e) = self.run.journal.log(&self.run.run_id, &line) {
            tracing::warn!("cannot write a log line to the journal: {e}");
        }
    }
}

impl Host for ItemState {
    async fn log(
        &mut self,
        level: Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let level = level_name(level);
        if self.authorize(&Action::Log { level }).is_err() {
            return Ok(());
        }
        // Past the item's cap, lines are counted; the item's end says how many.
        if !self.limits.admit_log_line() {
            return Ok(());
        }
        let map: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .take(MAX_FIELDS)
            .map(|(k, v)| (cut(k, 128).to_string(), cut(v, 1024).into()))
            .collect();
        let fields = serde_json::Value::Object(map).to_string();
        self.write_log(level, cut(&message, MAX_MESSAGE), &fields);
        Ok(())
    }

    async fn evidence(
        &mut self,
        name: String,
        data: Resource<BlobEntry>,
    ) -> wasmtime::Result<Result<(), Error>> {
        let blob = self.table.get(&data)?;
        let size = blob.info().size;
        let action = Action::Evidence {
            name: &name,
            bytes: size,
        };
        if let Err(d) = self.authorize(&action) {
            return Ok(Err(Error::Denied(d.reason)));
        }
        let dest = robot_evidence_path(&self.run.evidence_dir, &self.run.run_id, self.item, &name);
        // Checked before counting, so a refused name uses none of the run's
        // evidence; `keep_new_file` never writes over a file either way.
        if dest.exists() {
            let d = self.run.gate.refuse(self.item, &action, TAKEN.into());
            return Ok(Err(Error::Invalid(d.reason)));
        }
        if let Err(why) = self.run.limits.admit_evidence(size) {
            let d = self.run.gate.refuse(self.item, &action, why);
            return Ok(Err(Error::Limit(d.reason)));
        }
        if let Err(e) = keep_new_file(blob.path(), &dest) {
            return Ok(Err(e));
        }
        let sha = blob.info().sha256.clone();
        let recorded = self.run.journal.add_evidence(
            &self.run.run_id,
            self.item,
            &pont_policy::clip(&name, pont_policy::AUDIT_TEXT_MAX),
            &dest.to_string_lossy(),
            &sha,
            size,
        );
        Ok(recorded.map_err(|e| Error::Unavailable(format!("journal: {e}"))))
    }
}

/// Where the robot's evidence `name` goes. Robot names live under their own
/// `robot-` prefix, so no robot name can land on the host's own evidence
/// (`<item>-browser-failure-<n>.png`).
fn robot_evidence_path(dir: &Path, run_id: &str, item: Option<i64>, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    let item = item.map_or_else(|| "run".to_string(), |n| n.to_string());
    dir.join(run_id).join(format!("{item}-robot-{safe}"))
}

/// Copy the blob at `source` to `dest`, which must not exist yet: a second
/// piece of evidence under the same name is refused, never written over the
/// first.
fn keep_new_file(source: &Path, dest: &Path) -> Result<(), Error> {
    let unavailable = |e: std::io::Error| Error::Unavailable(format!("cannot keep evidence: {e}"));
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
    }
    let mut out = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Invalid(TAKEN.into()));
        }
        Err(e) => return Err(unavailable(e)),
    };
    let copied = std::fs::File::open(source).and_then(|mut f| std::io::copy(&mut f, &mut out));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(dest);
        return Err(unavailable(e));
    }
    Ok(())
}
