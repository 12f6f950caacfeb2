//! A proposal's justificatif (or message attachment) outlives the run's
//! spool: it is copied next to the journal, named by its SHA-256, and
//! checked against that name again before it is uploaded.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The directory of proposal files beside the journal.
pub(crate) fn dir(journal: &Path) -> PathBuf {
    journal.with_extension("proposals")
}

/// Copy `from` (a spooled blob whose SHA-256 is `sha256`) to the proposal
/// files of `journal`; a file already kept under that name is kept as is.
pub(crate) fn keep_file(journal: &Path, from: &Path, sha256: &str) -> std::io::Result<PathBuf> {
    let dir = dir(journal);
    std::fs::create_dir_all(&dir)?;
    let to = dir.join(sha256);
    if !to.exists() {
        let tmp = dir.join(format!("{sha256}.part"));
        std::fs::copy(from, &tmp)?;
        std::fs::rename(&tmp, &to)?;
    }
    Ok(to)
}

/// The kept file for `sha256`, if its bytes still hash to it.
pub(crate) fn checked(journal: &Path, sha256: &str) -> Result<PathBuf, String> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("`{sha256}` is not a SHA-256"));
    }
    let path = dir(journal).join(sha256);
    let mut file = std::fs::File::open(&path).map_err(|e| format!("justificatif {sha256}: {e}"))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("justificatif {sha256}: {e}"))?;
    if hex::encode(hasher.finalize()) != sha256 {
        return Err(format!("justificatif {sha256}: its bytes changed"));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_file_is_checked_against_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("j.sqlite");
        let blob = dir.path().join("blob");
        std::fs::write(&blob, b"justificatif").unwrap();
        let sha = hex::encode(Sha256::digest(b"justificatif"));
        let kept = keep_file(&journal, &blob, &sha).unwrap();
        assert_eq!(checked(&journal, &sha).unwrap(), kept);
        std::fs::write(&kept, b"autre chose").unwrap();
        assert!(checked(&journal, &sha).unwrap_err().contains("changed"));
        assert!(
            checked(&journal, "../../etc/passwd")
                .unwrap_err()
                .contains("not a SHA-256")
        );
    }
}
