use std::path::PathBuf;

use crate::effective::Missing;

/// Why a manifest or a robot config cannot be used. Each message fits on one
/// line and names the file and what is wrong, so an operator can act on it.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} {}: {message}", path.display())]
    Parse {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("{what} {}: `{key}`: {message}", path.display())]
    Invalid {
        what: &'static str,
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error(
        "robot `{robot}` requests what its config does not grant: {}",
        Missing::join(missing)
    )]
    NotGranted {
        robot: String,
        missing: Vec<Missing>,
    },
    #[error("cannot write the audit log {}: {source}", path.display())]
    Audit {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
