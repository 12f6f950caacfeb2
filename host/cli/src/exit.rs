//! Exit codes: each kind of outcome has its own, so a scheduler can react
//! without parsing text. Documented in the README and in `--help`.

use std::process::ExitCode;

use pont_runtime::RuntimeError;

pub(crate) const HELP: &str = "Exit codes:
  0  every item was handled (done, skipped or sent to review by the robot)
  1  fatal host error (journal, audit log, engine)
  2  bad command line
  3  the run finished but some items failed
  4  the robot config or the manifest is invalid
  5  the robot requests something its config does not grant
  6  the plugin is not a usable component
  7  the plugin is not trusted: digest differs from the pin, or not signed by a trusted key
  8  `pont audit verify`: the audit file was tampered with, or its seal is
     missing, garbled or does not match it
  9  the run was stopped by SIGTERM or SIGINT before its queue was exhausted:
     the items it ran are settled, the rest wait for the next run
  130, 143  a second SIGINT or SIGTERM stopped it at once (crash rules apply)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Ok = 0,
    Fatal = 1,
    Usage = 2,
    ItemsFailed = 3,
    Config = 4,
    Policy = 5,
    Plugin = 6,
    Integrity = 7,
    AuditBroken = 8,
    /// A graceful stop ended the run before its queue was exhausted.
    Stopped = 9,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// An error to print on one line, with its exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(code: Exit, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<RuntimeError> for Failure {
    fn from(e: RuntimeError) -> Self {
        let code = match &e {
            RuntimeError::Config(_) => Exit::Config,
            RuntimeError::Policy(_) => Exit::Policy,
            RuntimeError::PluginInvalid { .. } | RuntimeError::Plugin(_) => Exit::Plugin,
            RuntimeError::Integrity(_) => Exit::Integrity,
            RuntimeError::Fatal(_) => Exit::Fatal,
        };
        let message = e.to_string().replace('\n', " ");
        Self::new(code, message)
    }
}
