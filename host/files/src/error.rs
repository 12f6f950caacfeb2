//! The one error type of this crate.
//!
//! Every message is one line and names the mount and the path, because it ends up
//! in a robot's log and an operator must be able to act on it without a backtrace.
//! The variants keep denials (the robot asked for something it may not have) apart
//! from not-found, invalid input and plain I/O failures, so the WIT layer can map
//! them to `denied`, `limit`, `not-found`, `invalid` and `unavailable`.
//! [`FilesError::Limit`] is a file the host refuses to parse whole (too many
//! cells, a zip bomb): it is the file's fault, not the robot's grant.

use std::io;

/// What went wrong in a mount or workbook operation.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The path would leave the mount (`..`, absolute path, symlink pointing outside).
    #[error("mount `{mount}`: path `{path}` denied: {detail}")]
    Escape {
        /// Mount name, as the manifest gave it.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// Why the path was refused.
        detail: String,
    },
    /// A write was attempted on a read-only mount.
    #[error("mount `{mount}`: path `{path}` denied: the mount is read-only")]
    ReadOnly {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
    },
    /// The write would take the mount over its quota; nothing was written.
    #[error(
        "mount `{mount}`: path `{path}` denied: quota of {quota} bytes exceeded ({used} used, {needed} more needed)"
    )]
    Quota {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// The mount's quota in bytes.
        quota: u64,
        /// Bytes used in the mount before the write.
        used: u64,
        /// Net bytes the write would add (new size minus replaced size).
        needed: u64,
    },
    /// The file, directory or sheet does not exist.
    #[error("mount `{mount}`: path `{path}` not found{detail}")]
    NotFound {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// Extra context (such as a sheet or column name), empty or starting with `: `.
        detail: String,
    },
    /// The robot passed something malformed, or the file is not what it should be.
    #[error("mount `{mount}`: path `{path}` invalid: {reason}")]
    Invalid {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The file goes past one of the host's parsing limits (cells, columns, bytes
    /// of a cell, decompressed size...): refused before it could exhaust memory.
    #[error("mount `{mount}`: path `{path}` refused: {limit}")]
    Limit {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// Which limit, with its value, in words.
        limit: String,
    },
    /// Another writer holds the workbook.
    #[error("mount `{mount}`: path `{path}` locked: another writer holds this workbook")]
    Locked {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
    },
    /// The backend was handed a permit for another mount, path, direction
    /// or size: a host bug, refused before the disk is touched.
    #[error("mount `{mount}`: {detail}")]
    Unpermitted {
        /// Mount name.
        mount: String,
        /// What the permit was for and what it was asked to cover.
        detail: String,
    },
    /// The filesystem failed.
    #[error("mount `{mount}`: path `{path}`: {op} failed: {source}")]
    Io {
        /// Mount name.
        mount: String,
        /// The path as the robot wrote it.
        path: String,
        /// The operation that failed (`read`, `write`, `rename`...).
        op: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// The broad class of a [`FilesError`], for callers that map errors to the WIT
/// `error` variant without matching every field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Escape, read-only, quota or a permit that does not cover the call:
    /// the robot may not do this.
    Denied,
    /// The named thing does not exist.
    NotFound,
    /// Malformed input or file.
    Invalid,
    /// The file is larger or wider than the host agrees to parse.
    Limit,
    /// Another writer holds the workbook.
    Locked,
    /// The filesystem failed; retrying later may work.
    Io,
}

impl FilesError {
    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Escape { .. }
            | Self::ReadOnly { .. }
            | Self::Quota { .. }
            | Self::Unpermitted { .. } => ErrorKind::Denied,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Invalid { .. } => ErrorKind::Invalid,
            Self::Limit { .. } => ErrorKind::Limit,
            Self::Locked { .. } => ErrorKind::Locked,
            Self::Io { .. } => ErrorKind::Io,
        }
    }

    /// Map an I/O error raised while working on `path` of `mount`.
    ///
    /// cap-std reports an escape through a symlink as `PermissionDenied` with its own
    /// message; it is turned into [`FilesError::Escape`] so it reads as a denial and
    /// not as a host misconfiguration.
    pub(crate) fn from_io(mount: &str, path: &str, op: &'static str, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::NotFound => Self::NotFound {
                mount: mount.to_string(),
                path: path.to_string(),
                detail: String::new(),
            },
            io::ErrorKind::PermissionDenied if source.to_string().contains("outside") => {
                Self::Escape {
                    mount: mount.to_string(),
                    path: path.to_string(),
                    detail: "a symlink or path leads outside the mount".to_string(),
                }
            }
            _ if source.raw_os_error() == Some(40) => Self::Escape {
                // ELOOP: cap-std refuses to follow a symlink it cannot keep inside.
                mount: mount.to_string(),
                path: path.to_string(),
                detail: "a symlink cannot be followed inside the mount".to_string(),
            },
            _ => Self::Io {
                mount: mount.to_string(),
                path: path.to_string(),
                op,
                source,
            },
        }
    }

    pub(crate) fn invalid(mount: &str, path: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            mount: mount.to_string(),
            path: path.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn limit(mount: &str, path: &str, limit: impl Into<String>) -> Self {
        Self::Limit {
            mount: mount.to_string(),
            path: path.to_string(),
            limit: limit.into(),
        }
    }

    pub(crate) fn not_found(mount: &str, path: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::NotFound {
            mount: mount.to_string(),
            path: path.to_string(),
            detail: if detail.is_empty() {
                detail
            } else {
                format!(": {detail}")
            },
        }
    }
}

/// Result of this crate's operations.
pub type Result<T, E = FilesError> = std::result::Result<T, E>;
