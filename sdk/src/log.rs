//! Structured log lines for the current item, into the host's log and journal.
//! Log what a person reviewing the run needs (dossier numbers, decisions),
//! not applicants' personal data.

use crate::Blob;
use crate::bindings::pont::robot::log as raw;
pub use raw::Level;

/// A log line with key/value fields.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    raw::log(level, message, &fields);
}

/// An info line.
pub fn info(message: &str) {
    raw::log(Level::Info, message, &[]);
}

/// A warning line.
pub fn warn(message: &str) {
    raw::log(Level::Warn, message, &[]);
}

/// An error line.
pub fn error(message: &str) {
    raw::log(Level::Error, message, &[]);
}

/// A debug line.
pub fn debug(message: &str) {
    raw::log(Level::Debug, message, &[]);
}

/// Attach a blob to the current item's evidence, kept for review.
pub fn evidence(name: &str, blob: &Blob) -> Result<(), crate::Error> {
    raw::evidence(name, blob)
}
