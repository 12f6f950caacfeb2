//! Lexical check of the paths robots give for mount operations.
//!
//! The gate decides on text alone (this crate never touches the filesystem),
//! so it refuses what is an escape attempt whatever the disk holds: absolute
//! paths, `..` components, drive prefixes and `\` separators (a `\` is a
//! separator on Windows hosts, so `..\x` would escape there). Symlinks that
//! lead out of a mount are only visible on disk: the files backend refuses
//! those and records the denial through [`crate::Gate::refuse`].

/// Longest path the gate accepts, in bytes; longer ones are refused rather
/// than written whole into the audit log.
pub(crate) const MAX_PATH_BYTES: usize = 1024;

/// `Ok` when `path` stays inside its mount on every host; the reason otherwise.
/// The empty path and `.` name the mount root.
pub(crate) fn check(path: &str) -> Result<(), String> {
    if path.len() > MAX_PATH_BYTES {
        return Err(format!(
            "path longer than {MAX_PATH_BYTES} bytes: paths are relative to the mount"
        ));
    }
    if path.starts_with('/') || path.starts_with('\\') || has_drive_prefix(path) {
        return Err("absolute paths are not allowed: paths are relative to the mount".into());
    }
    if path.contains('\0') {
        return Err("the path contains a NUL byte".into());
    }
    if path.contains('\\') {
        return Err("`\\` is not a path separator here: use `/`".into());
    }
    if path.split('/').any(|part| part == "..") {
        return Err("`..` is not allowed: paths cannot leave the mount".into());
    }
    Ok(())
}

fn has_drive_prefix(path: &str) -> bool {
    let b = path.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn escapes_are_refused_and_plain_paths_pass() {
        for ok in [
            "",
            ".",
            "a",
            "a/b.xlsx",
            "./a//b/",
            "a..b",
            "...",
            "é t é.pdf",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "..",
            "../x",
            "a/../../x",
            "a/..",
            "C:/x",
            "c:x",
            "\\\\server\\share",
            "a\\..\\b",
            "a\0b",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert!(check(&"a/".repeat(600)).is_err());
    }
}
