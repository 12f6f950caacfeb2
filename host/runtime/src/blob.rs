//! Blobs: bytes held by the host in a spool file, with what is known of them.
//! Only the handle crosses into the robot; the bytes move between
//! capabilities host-side.
//!
//! A blob is spooled under the gate's permit for the call that produced its
//! bytes, and its provenance must be what that permit covers: a mount file's
//! bytes need the read permit for that file, an archive read permits of its
//! mount, an HTTP response the permit of the request to that origin, a DS
//! attachment the read permit of its dossier, a screenshot or a download the
//! permit of the browser session, the robot's own bytes the permit of
//! `blob.create`. Every constructor takes that permit (even reserving a spool
//! file does), so the spool cannot be filled, nor a blob's origin claimed, by
//! a call the gate did not decide.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use pont_policy::{DsAction, Origin, Permit, Scope};
use sha2::{Digest, Sha256};

use crate::bindings::pont::robot::types::{BlobInfo, Provenance};

/// A spooled blob. Dropping it removes its spool file.
#[derive(Debug)]
pub struct BlobEntry {
    path: PathBuf,
    info: BlobInfo,
    /// The run's spool bytes this blob holds, given back when it is dropped.
    hold: Option<crate::limits::SpoolHold>,
}

impl BlobEntry {
    /// Spool the bytes the robot handed over into `dir`, under the gate's
    /// `blob.create` permit: the blob's name and size are the permit's.
    pub(crate) fn from_robot(
        dir: &Path,
        permit: &Permit,
        content_type: &str,
        data: &[u8],
    ) -> std::io::Result<Self> {
        let wanted = || format!("spooling {} bytes of the robot", data.len());
        match permit.scope() {
            Scope::Blob { name, bytes } if *bytes == data.len() as u64 => {
                Self::spool_bytes(dir, (name, content_type), data, Provenance::Robot)
            }
            _ => Err(std::io::Error::other(
                permit.mismatch(&wanted()).to_string(),
            )),
        }
    }

    /// Spool `data` a host call produced (a screenshot) into `dir` under
    /// `permit`, which must cover `source`.
    pub(crate) fn capture(
        dir: &Path,
        permit: &Permit,
        (file_name, content_type): (&str, &str),
        data: &[u8],
        source: Provenance,
    ) -> std::io::Result<Self> {
        check(std::slice::from_ref(permit), &source)?;
        Self::spool_bytes(dir, (file_name, content_type), data, source)
    }

    /// Spool `data` into `dir` under a fresh name; the callers checked the permit.
    fn spool_bytes(
        dir: &Path,
        (file_name, content_type): (&str, &str),
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
            hold: None,
        })
    }

    /// Spool everything `reader` yields into `dir` under `permit` (which must
    /// cover `source`), hashing while copying, so a large file goes to disk in
    /// one streamed pass and never sits in memory. On error nothing is left
    /// in the spool.
    pub(crate) fn from_reader(
        dir: &Path,
        permit: &Permit,
        mut reader: impl Read,
        (file_name, content_type): (&str, &str),
        source: Provenance,
    ) -> std::io::Result<Self> {
        check(std::slice::from_ref(permit), &source)?;
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new().prefix("blob-").tempfile_in(dir)?;
        let mut out = HashingWriter {
            inner: std::io::BufWriter::new(tmp),
            hasher: Sha256::new(),
        };
        let size = std::io::copy(&mut reader, &mut out)?;
        let HashingWriter { inner, hasher } = out;
        let tmp = inner.into_inner().map_err(|e| e.into_error())?;
        let (_, path) = tmp.keep().map_err(|e| e.error)?;
        Ok(Self {
            path,
            info: BlobInfo {
                size,
                sha256: hex::encode(hasher.finalize()),
                content_type: content_type.to_string(),
                file_name: file_name.to_string(),
                source,
            },
            hold: None,
        })
    }

    /// Reserve a fresh, empty file in the spool for a producer that writes by
    /// path (a download, an archive, a streamed response) under `permit`, then
    /// hand it to [`BlobEntry::adopt`]. Only the permit of a call that may
    /// produce a blob reserves one. Fresh names matter: two blobs sharing a
    /// spool file would delete each other's bytes when dropped.
    pub(crate) fn reserve(permit: &Permit, dir: &Path, prefix: &str) -> std::io::Result<PathBuf> {
        if !produces(permit) {
            let wanted = "reserving a spool file";
            return Err(std::io::Error::other(permit.mismatch(wanted).to_string()));
        }
        std::fs::create_dir_all(dir)?;
        let tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
        let (_, path) = tmp.keep().map_err(|e| e.error)?;
        Ok(path)
    }

    /// [`BlobEntry::from_file`] under the `permits` of the calls that
    /// produced the file (each must cover `source`): `path` is the spool file,
    /// named `file_name`, of `content_type`.
    pub(crate) fn adopt(
        permits: &[Permit],
        (path, file_name, content_type): (PathBuf, &str, &str),
        source: Provenance,
    ) -> std::io::Result<Self> {
        check(permits, &source)?;
        Self::from_file(path, file_name, content_type, source)
    }

    /// Take over a file already in the spool, hashing it by streaming; the
    /// caller checked the permits.
    fn from_file(
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
            hold: None,
        })
    }

    /// [`BlobEntry::adopt`] for a file whose producer hashed it while writing
    /// it (a checked DS download), so it is not read a second time.
    pub(crate) fn adopt_hashed(
        permit: &Permit,
        (path, file_name, content_type): (PathBuf, &str, &str),
        (size, sha256): (u64, &[u8; 32]),
        source: Provenance,
    ) -> std::io::Result<Self> {
        check(std::slice::from_ref(permit), &source)?;
        Ok(Self {
            path,
            info: BlobInfo {
                size,
                sha256: hex::encode(sha256),
                content_type: content_type.to_string(),
                file_name: file_name.to_string(),
                source,
            },
            hold: None,
        })
    }

    /// Charge this blob to the run's spool (see [`crate::limits::RunLimits`]).
    pub(crate) fn with_hold(mut self, hold: crate::limits::SpoolHold) -> Self {
        self.hold = Some(hold);
        self
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

/// Refuse to spool a blob of `source` unless there is a permit and every one
/// of `permits` covers it.
fn check(permits: &[Permit], source: &Provenance) -> std::io::Result<()> {
    if permits.is_empty() {
        return Err(std::io::Error::other(
            "a blob is spooled under the permit of the call that made it: none was given",
        ));
    }
    match permits.iter().find(|p| !covers(p, source)) {
        None => Ok(()),
        Some(wrong) => {
            let wanted = format!("spooling {}", kind(source));
            Err(std::io::Error::other(wrong.mismatch(&wanted).to_string()))
        }
    }
}

/// Whether `permit` is for the call that produces a blob of `source`.
fn covers(permit: &Permit, source: &Provenance) -> bool {
    match (permit.scope(), source) {
        (
            Scope::File {
                mount,
                path,
                write: false,
                ..
            },
            Provenance::MountFile(from),
        ) => *mount == from.mount && *path == from.path,
        (Scope::File { write: false, .. }, Provenance::Archive) => true,
        (Scope::Http { origin, .. }, Provenance::HttpResponse(from)) => {
            Origin::parse(from).is_ok_and(|from| from == *origin)
        }
        (Scope::Ds(ds), Provenance::DsAttachment(from)) => {
            ds.action == DsAction::Read && ds.dossier == Some(from.dossier)
        }
        (Scope::BrowserOpen { .. }, Provenance::Screenshot(_) | Provenance::BrowserDownload(_)) => {
            true
        }
        _ => false,
    }
}

/// Whether `permit` is for a call that may spool a blob by path.
fn produces(permit: &Permit) -> bool {
    match permit.scope() {
        Scope::File { write, .. } => !write,
        Scope::Ds(ds) => ds.action == DsAction::Read,
        Scope::Http { .. } | Scope::BrowserOpen { .. } => true,
        _ => false,
    }
}

/// How a provenance reads in a refusal.
fn kind(source: &Provenance) -> &'static str {
    match source {
        Provenance::DsAttachment(_) => "a DS attachment",
        Provenance::MountFile(_) => "a mount file",
        Provenance::BrowserDownload(_) => "a browser download",
        Provenance::Screenshot(_) => "a screenshot",
        Provenance::HttpResponse(_) => "an HTTP response",
        Provenance::Archive => "an archive",
        Provenance::Robot => "the robot's bytes",
    }
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Drop for BlobEntry {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
#[path = "blob_tests.rs"]
mod tests;
