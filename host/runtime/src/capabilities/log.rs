//! The `log` capability: robot log lines into tracing and the journal, and
//! evidence blobs kept for review. Evidence is kept under the gate's permit,
//! which gives its name and the bytes counted for it.

use std::path::{Path, PathBuf};

use pont_policy::{Action, Permit, Scope};
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
        let permit = match self.authorize(&action) {
            Ok(p) => p,
            Err(d) => return Ok(Err(Error::Denied(d.reason))),
        };
        let run = (self.run.evidence_dir.as_path(), self.run.run_id.as_str());
        let dest = match EvidenceDest::of(&permit, size, run, self.item) {
            Ok(d) => d,
            Err(why) => {
                let d = self.run.gate.refuse(self.item, &action, why);
                return Ok(Err(Error::Denied(d.reason)));
            }
        };
        // Checked before counting, so a refused name uses none of the run's
        // evidence; `keep_new_file` never writes over a file either way.
        if dest.0.exists() {
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
            &dest.0.to_string_lossy(),
            &sha,
            size,
        );
        Ok(recorded.map_err(|e| Error::Unavailable(format!("journal: {e}"))))
    }
}

/// Where a piece of robot evidence goes: made only from the gate's permit
/// for it, so evidence is kept under a decision, under the name decided.
struct EvidenceDest(PathBuf);

impl EvidenceDest {
    /// The place of the evidence `permit` is for, in the evidence directory
    /// `dir` of run `run_id`, if it counts exactly `size` bytes.
    fn of(
        permit: &Permit,
        size: u64,
        (dir, run_id): (&Path, &str),
        item: Option<i64>,
    ) -> Result<Self, String> {
        match permit.scope() {
            Scope::Evidence { name, bytes } if *bytes == size => {
                Ok(Self(robot_evidence_path(dir, run_id, item, name)))
            }
            _ => Err(permit
                .mismatch(&format!("evidence of {size} bytes"))
                .to_string()),
        }
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
fn keep_new_file(source: &Path, EvidenceDest(dest): &EvidenceDest) -> Result<(), Error> {
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

#[cfg(test)]
mod tests {
    use pont_policy::{Action, EffectivePolicy, Gate};

    use super::EvidenceDest;

    #[test]
    fn evidence_goes_where_its_permit_says_and_only_with_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut policy = EffectivePolicy::ds_only("log-test", &[], &[]);
        (policy.log, policy.state) = (true, true);
        let gate = Gate::for_tool("log-test", policy, &dir.path().join("a.jsonl")).unwrap();
        let evidence = Action::Evidence {
            name: "../x",
            bytes: 5,
        };
        let permit = gate.authorize(Some(7), &evidence).unwrap();
        let run = (dir.path(), "run-1");
        let dest = EvidenceDest::of(&permit, 5, run, Some(7)).unwrap();
        assert_eq!(dest.0, dir.path().join("run-1").join("7-robot-.._x"));
        let e = EvidenceDest::of(&permit, 6, run, Some(7)).err().unwrap();
        assert_eq!(
            e,
            "the permit for log.evidence does not cover evidence of 6 bytes"
        );
        let state = gate
            .authorize(None, &Action::StateGet { key: "x" })
            .unwrap();
        assert!(EvidenceDest::of(&state, 0, run, None).is_err());
    }
}
