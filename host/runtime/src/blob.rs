//! Blobs: bytes held by the host in a spool file, with what is known of them.
//! Only the handle crosses into the robot; the bytes move between
//! capabilities host-side.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bindings::pont::robot::types::{BlobInfo, Provenance};

/// A spooled blob. Dropping it removes its spool file.
#[derive(Debug)]
pub struct BlobEntry {
    path: PathBuf,
    info: BlobInfo,
}

impl BlobEntry {
    /// Spool `data` into `dir` under a fresh name.
    pub(crate) fn from_bytes(
        dir: &Path,
        file_name: &str,
        content_type: &str,
        data: &[u8],
        source: Provenance,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::Builder::new().prefix("blob-").tempfile_in(dir)?;
        tmp.write_all(data)?;
        let (_, path) = tmp.keep().map_err(|e| e.error)?;
        Ok(Self {
            path,
            info: BlobInfo {
                size: data.len() as u64,
                sha256: hex::encode(Sha256::digest(data)),
                content_type: content_type.to_string(),
                file_name: file_name.to_string(),
                source,
            },
        })
    }

    /// Take over a file already in the spool, hashing it by streaming.
    pub(crate) fn from_file(
        path: PathBuf,
        file_name: &str,
        content_type: &str,
        source: Provenance,
    ) -> std::io::Result<Self> {
        let mut f = File::open(&path)?;
        let mut hasher = Sha256::new();
        let size = std::io::copy(&mut f, &mut hasher)?;
        Ok(Self {
            path,
            info: BlobInfo {
                size,
                sha256: hex::encode(hasher.finalize()),
                content_type: content_type.to_string(),
                file_name: file_name.to_string(),
                source,
            },
        })
    }

    pub fn info(&self) -> &BlobInfo {
        &self.info
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Up to `len` bytes from `offset`.
    pub(crate) fn read(&self, offset: u64, len: u32) -> std::io::Result<Vec<u8>> {
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(offset.min(self.info.size)))?;
        let mut out = Vec::new();
        f.take(u64::from(len)).read_to_end(&mut out)?;
        Ok(out)
    }
}

impl Drop for BlobEntry {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
