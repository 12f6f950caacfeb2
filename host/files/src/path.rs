//! Validation of robot paths before they reach cap-std.
//!
//! cap-std already refuses to leave the mount, but its errors are generic. Checking
//! the text first gives the robot a precise message (`..` vs absolute path) and
//! keeps the host's own bookkeeping files (temporary files, lock files) out of reach.

use std::path::PathBuf;

use crate::error::{FilesError, Result};

/// Prefix of the files the host keeps inside a mount (temporary files of atomic
/// writes, workbook lock files). Robots can neither see nor name them.
pub(crate) const RESERVED_PREFIX: &str = ".pont-";

/// A robot path checked and split into components, relative to the mount root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RobotPath {
    parts: Vec<String>,
}

impl RobotPath {
    /// Check `raw` (relative, `/` separators) for `mount`. The root (`""` or `"."`)
    /// is accepted only when `allow_root`, since one cannot write or remove it.
    pub(crate) fn parse(mount: &str, raw: &str, allow_root: bool) -> Result<Self> {
        let escape = |detail: &str| FilesError::Escape {
            mount: mount.to_string(),
            path: raw.to_string(),
            detail: detail.to_string(),
        };
        if raw.starts_with('/') || raw.starts_with('\\') || has_drive_prefix(raw) {
            return Err(escape(
                "absolute paths are not allowed; paths are relative to the mount",
            ));
        }
        if raw.contains('\0') {
            return Err(FilesError::invalid(
                mount,
                raw,
                "the path contains a NUL byte",
            ));
        }
        if raw.contains('\\') {
            return Err(FilesError::invalid(
                mount,
                raw,
                "use `/` as the path separator, not `\\`",
            ));
        }
        let mut parts = Vec::new();
        for part in raw.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(escape("`..` is not allowed: paths cannot leave the mount")),
                p if p.starts_with(RESERVED_PREFIX) => {
                    return Err(FilesError::invalid(
                        mount,
                        raw,
                        format!(
                            "names starting with `{RESERVED_PREFIX}` are reserved for the host"
                        ),
                    ));
                }
                p => parts.push(p.to_string()),
            }
        }
        if parts.is_empty() && !allow_root {
            return Err(FilesError::invalid(
                mount,
                raw,
                "the mount root cannot be used here",
            ));
        }
        Ok(Self { parts })
    }

    /// Whether this is the mount root.
    pub(crate) fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The path for cap-std (`.` for the root).
    pub(crate) fn to_path(&self) -> PathBuf {
        if self.parts.is_empty() {
            PathBuf::from(".")
        } else {
            self.parts.iter().collect()
        }
    }

    /// The normalized robot form, `/`-separated, empty for the root.
    pub(crate) fn display(&self) -> String {
        self.parts.join("/")
    }

    /// The parent directory and the last component; `None` for the root.
    pub(crate) fn split_last(&self) -> Option<(Self, &str)> {
        let (last, rest) = self.parts.split_last()?;
        Some((
            Self {
                parts: rest.to_vec(),
            },
            last.as_str(),
        ))
    }

    /// `self/name`, for walking directories.
    pub(crate) fn join(&self, name: &str) -> Self {
        let mut parts = self.parts.clone();
        parts.push(name.to_string());
        Self { parts }
    }
}

fn has_drive_prefix(raw: &str) -> bool {
    let b = raw.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses() {
        let p = RobotPath::parse("m", "./a//b/", false).unwrap();
        assert_eq!(p.display(), "a/b");
        assert!(RobotPath::parse("m", "", true).unwrap().is_root());
        assert!(matches!(
            RobotPath::parse("m", "", false),
            Err(FilesError::Invalid { .. })
        ));
        assert!(matches!(
            RobotPath::parse("m", "a/../../x", false),
            Err(FilesError::Escape { .. })
        ));
        assert!(matches!(
            RobotPath::parse("m", "/etc/passwd", false),
            Err(FilesError::Escape { .. })
        ));
        assert!(matches!(
            RobotPath::parse("m", "C:/x", false),
            Err(FilesError::Escape { .. })
        ));
        assert!(matches!(
            RobotPath::parse("m", "a\\b", false),
            Err(FilesError::Invalid { .. })
        ));
        assert!(matches!(
            RobotPath::parse("m", "d/.pont-tmp-1", false),
            Err(FilesError::Invalid { .. })
        ));
    }
}
