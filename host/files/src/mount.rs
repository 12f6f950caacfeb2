//! A mount: one host directory the operator granted to a robot, opened once with
//! cap-std so that every later operation is confined to it.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, File, Metadata, OpenOptions};
use pont_policy::Permit;

use crate::error::{FilesError, Result};
use crate::path::{RESERVED_PREFIX, RobotPath};
use crate::permit;

/// Whether robots may change a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads only; every write, rename, mkdir and remove is denied.
    ReadOnly,
    /// Reads and writes.
    ReadWrite,
}

/// Kind of a directory entry. Symlinks are reported as what they point to (inside
/// the mount); a symlink pointing outside is not listed at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
}

/// What `entries` and `stat` tell about a file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the mount root, with `/` separators (empty for the root).
    pub path: String,
    /// File or directory.
    pub kind: EntryKind,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// RFC 3339 modification time, when the filesystem knows it.
    pub modified: Option<String>,
}

/// A directory granted to a robot under a name. The host directory is opened once,
/// here, with ambient authority; everything afterwards goes through the cap-std
/// [`Dir`], which cannot reach outside it, and each operation on robot data
/// takes the gate's [`Permit`] for it (see the `permit` module).
#[derive(Debug)]
pub struct Mount {
    name: String,
    dir: Dir,
    access: Access,
    quota_bytes: Option<u64>,
}

/// Distinguishes temporary files of concurrent writes within one process.
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Mount {
    /// Open `host_dir` as the mount `name`. This is the only place that touches the
    /// ambient filesystem; it is the operator's configuration, not robot input,
    /// done before any robot call, so it takes no permit.
    pub fn open(
        name: impl Into<String>,
        host_dir: impl AsRef<Path>,
        access: Access,
        quota_bytes: Option<u64>,
    ) -> Result<Self> {
        let name = name.into();
        let host_dir = host_dir.as_ref();
        let dir = Dir::open_ambient_dir(host_dir, ambient_authority()).map_err(|e| {
            FilesError::from_io(&name, &host_dir.display().to_string(), "open mount", e)
        })?;
        Ok(Self {
            name,
            dir,
            access,
            quota_bytes,
        })
    }

    /// The mount's name, as the manifest gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Read-only or read-write.
    pub fn access(&self) -> Access {
        self.access
    }

    /// The quota in bytes, if any.
    pub fn quota_bytes(&self) -> Option<u64> {
        self.quota_bytes
    }

    pub(crate) fn parse(&self, raw: &str, allow_root: bool) -> Result<RobotPath> {
        RobotPath::parse(&self.name, raw, allow_root)
    }

    pub(crate) fn io_err(
        &self,
        raw: &str,
        op: &'static str,
    ) -> impl FnOnce(io::Error) -> FilesError {
        let (mount, path) = (self.name.clone(), raw.to_string());
        move |e| FilesError::from_io(&mount, &path, op, e)
    }

    pub(crate) fn ensure_writable(&self, raw: &str) -> Result<()> {
        match self.access {
            Access::ReadWrite => Ok(()),
            Access::ReadOnly => Err(FilesError::ReadOnly {
                mount: self.name.clone(),
                path: raw.to_string(),
            }),
        }
    }

    /// The directory of `p` as a cap-std `Dir` (the mount itself for the root).
    fn open_dir(&self, p: &RobotPath, raw: &str) -> Result<Dir> {
        if p.is_root() {
            self.dir
                .try_clone()
                .map_err(self.io_err(raw, "open directory"))
        } else {
            self.dir
                .open_dir(p.to_path())
                .map_err(self.io_err(raw, "open directory"))
        }
    }

    /// The entries of the directory the read `permit` names (not recursive),
    /// sorted by path. Host files (temporary files, lock files) and symlinks
    /// leading outside are left out.
    pub fn entries(&self, permit: &Permit) -> Result<Vec<Entry>> {
        let dir = permit::read(self, permit)?;
        let p = self.parse(dir, true)?;
        let d = self.open_dir(&p, dir)?;
        let mut out = Vec::new();
        for item in d.entries().map_err(self.io_err(dir, "list"))? {
            let item = item.map_err(self.io_err(dir, "list"))?;
            let Some(name) = item.file_name().to_str().map(str::to_string) else {
                continue; // not representable as a robot path
            };
            if name.starts_with(RESERVED_PREFIX) {
                continue;
            }
            // Follows symlinks inside the mount; an escaping one errors and is skipped.
            let Ok(meta) = d.metadata(&name) else {
                continue;
            };
            out.push(entry_of(p.join(&name).display(), &meta));
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// What is at the path the read `permit` names (the root is `""`).
    pub fn stat(&self, permit: &Permit) -> Result<Entry> {
        let path = permit::read(self, permit)?;
        let p = self.parse(path, true)?;
        let meta = self
            .dir
            .metadata(p.to_path())
            .map_err(self.io_err(path, "stat"))?;
        Ok(entry_of(p.display(), &meta))
    }

    /// Open the file the read `permit` names for streamed reading.
    pub fn open_read(&self, permit: &Permit) -> Result<File> {
        let path = permit::read(self, permit)?;
        let p = self.parse(path, false)?;
        self.open_regular(&p, path)
    }

    /// Open `p` (`raw` as the robot wrote it), a regular file, for reading;
    /// the caller checked its permit.
    pub(crate) fn open_regular(&self, p: &RobotPath, raw: &str) -> Result<File> {
        let file = self
            .dir
            .open(p.to_path())
            .map_err(self.io_err(raw, "open"))?;
        let meta = file.metadata().map_err(self.io_err(raw, "stat"))?;
        if !meta.is_file() {
            return Err(FilesError::invalid(&self.name, raw, "not a regular file"));
        }
        Ok(file)
    }

    /// Write `bytes` atomically to the path the write `permit` names, which
    /// must be charged for exactly their length (see [`Mount::write_from_reader`]).
    pub fn write_bytes(&self, permit: &Permit, bytes: &[u8]) -> Result<()> {
        let granted = permit::write(self, permit)?;
        permit::check_len(self, permit, granted, bytes.len() as u64)?;
        self.write_atomic(granted.path, granted.bytes, |f| {
            f.write_all(bytes)?;
            Ok(bytes.len() as u64)
        })
    }

    /// Write the bytes `reader` yields to the path the write `permit` names,
    /// atomically: a temporary file in the same directory is written, fsynced
    /// and renamed over the target, so a crash leaves the old file or the new
    /// one, never a partial one.
    ///
    /// The length is the permit's (blobs know their size, and the gate charged
    /// it), so that the quota is checked before anything is written; a reader
    /// that yields a different count is refused and the target is left untouched.
    pub fn write_from_reader(&self, permit: &Permit, reader: impl Read) -> Result<()> {
        let granted = permit::write(self, permit)?;
        let len = granted.bytes;
        let mut reader = reader.take(len.saturating_add(1));
        self.write_atomic(granted.path, len, |f| io::copy(&mut reader, f))
    }

    /// [`Mount::write_from_reader`] from a file: the copy into the temporary
    /// file is done by the kernel (`copy_file_range` on Linux), which std's
    /// `io::copy` does only between two std files, not through a buffered
    /// reader nor into a cap-std file.
    pub fn write_from_file(&self, permit: &Permit, source: std::fs::File) -> Result<()> {
        let granted = permit::write(self, permit)?;
        let len = granted.bytes;
        let mut reader = source.take(len.saturating_add(1));
        self.write_atomic(granted.path, len, |f| {
            let mut out = f.try_clone()?.into_std();
            io::copy(&mut reader, &mut out)
        })
    }

    fn write_atomic(
        &self,
        raw: &str,
        len: u64,
        fill: impl FnOnce(&mut File) -> io::Result<u64>,
    ) -> Result<()> {
        self.ensure_writable(raw)?;
        let p = self.parse(raw, false)?;
        let Some((parent_path, name)) = p.split_last() else {
            return Err(FilesError::invalid(
                &self.name,
                raw,
                "the mount root cannot be written",
            ));
        };
        let parent = self.open_dir(&parent_path, raw)?;
        let replaced = match parent.symlink_metadata(name) {
            Ok(m) if m.is_dir() => {
                return Err(FilesError::invalid(
                    &self.name,
                    raw,
                    "a directory is in the way",
                ));
            }
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => 0,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
            Err(e) => return Err(self.io_err(raw, "stat")(e)),
        };
        self.check_quota(raw, len, replaced)?;

        let (tmp_name, mut tmp) =
            create_temp(&parent).map_err(self.io_err(raw, "create temporary file"))?;
        let written = fill(&mut tmp).and_then(|n| tmp.sync_all().map(|()| n));
        drop(tmp);
        let outcome = match written {
            Ok(n) if n == len => parent
                .rename(&tmp_name, &parent, name)
                .map_err(self.io_err(raw, "rename into place")),
            Ok(n) => Err(FilesError::invalid(
                &self.name,
                raw,
                format!(
                    "the source gave {} bytes where {len} were announced",
                    n.min(len + 1)
                ),
            )),
            Err(e) => Err(self.io_err(raw, "write")(e)),
        };
        if outcome.is_err() {
            let _ = parent.remove_file(&tmp_name);
            return outcome;
        }
        // Persist the rename itself; without it a power cut may bring the old name back.
        if let Ok(d) = parent.open(".") {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Refuse a write of `new_size` bytes replacing `replaced` bytes that would take
    /// the mount over its quota. Best effort between concurrent writers: the usage is
    /// measured, not reserved.
    fn check_quota(&self, raw: &str, new_size: u64, replaced: u64) -> Result<()> {
        let Some(quota) = self.quota_bytes else {
            return Ok(());
        };
        let needed = new_size.saturating_sub(replaced);
        if needed == 0 {
            return Ok(());
        }
        let used = self.usage()?;
        if used.saturating_add(needed) > quota {
            return Err(FilesError::Quota {
                mount: self.name.clone(),
                path: raw.to_string(),
                quota,
                used,
                needed,
            });
        }
        Ok(())
    }

    /// Bytes used by the regular files of the mount, host files included (they take
    /// disk space too). Symlinks are not followed. Only the quota check asks.
    pub(crate) fn usage(&self) -> Result<u64> {
        fn walk(dir: &Dir, depth: u32) -> io::Result<u64> {
            if depth > 256 {
                return Ok(0);
            }
            let mut total = 0u64;
            for item in dir.entries()? {
                let item = item?;
                let ft = item.file_type()?;
                if ft.is_dir() {
                    total = total.saturating_add(walk(&item.open_dir()?, depth + 1)?);
                } else if ft.is_file() {
                    total = total.saturating_add(item.metadata()?.len());
                }
            }
            Ok(total)
        }
        walk(&self.dir, 0).map_err(self.io_err("", "measure usage"))
    }

    /// Rename the path of the write permit `from` to that of the write permit
    /// `to`, inside the mount (replacing a file there): both ends change.
    pub fn rename(&self, from: &Permit, to: &Permit) -> Result<()> {
        let source = permit::write(self, from)?.path;
        let destination = permit::write(self, to)?.path;
        self.ensure_writable(source)?;
        let from = self.parse(source, false)?;
        let to = self.parse(destination, false)?;
        self.dir
            .rename(from.to_path(), &self.dir, to.to_path())
            .map_err(self.io_err(source, "rename"))
    }

    /// Create the directory the write `permit` names and its missing parents; an
    /// existing one is fine, so a robot re-run after a failure does not trip on its
    /// own earlier work.
    pub fn mkdir(&self, permit: &Permit) -> Result<()> {
        let path = permit::write(self, permit)?.path;
        self.ensure_writable(path)?;
        let p = self.parse(path, false)?;
        self.dir
            .create_dir_all(p.to_path())
            .map_err(self.io_err(path, "mkdir"))
    }

    /// Remove what the write `permit` names: a file, a symlink (not its target)
    /// or a directory with its content.
    pub fn remove(&self, permit: &Permit) -> Result<()> {
        let path = permit::write(self, permit)?.path;
        self.ensure_writable(path)?;
        let p = self.parse(path, false)?;
        let meta = self
            .dir
            .symlink_metadata(p.to_path())
            .map_err(self.io_err(path, "stat"))?;
        if meta.is_dir() {
            self.dir.remove_dir_all(p.to_path())
        } else {
            self.dir.remove_file(p.to_path())
        }
        .map_err(self.io_err(path, "remove"))
    }

    /// Open `p` as a directory for walking (used by `zip`).
    pub(crate) fn dir_of(&self, p: &RobotPath, raw: &str) -> Result<Dir> {
        self.open_dir(p, raw)
    }

    /// Metadata of `p`, following symlinks inside the mount.
    pub(crate) fn metadata_of(&self, p: &RobotPath, raw: &str) -> Result<Metadata> {
        self.dir
            .metadata(p.to_path())
            .map_err(self.io_err(raw, "stat"))
    }

    /// Open `p` for reading (used by `zip`, after its own checks).
    pub(crate) fn open_file(&self, p: &RobotPath, raw: &str) -> Result<File> {
        self.dir.open(p.to_path()).map_err(self.io_err(raw, "open"))
    }

    /// Open or create a host file (lock file) in the directory of `p`.
    pub(crate) fn open_sidecar(&self, p: &RobotPath, raw: &str, suffix: &str) -> Result<File> {
        let Some((parent_path, name)) = p.split_last() else {
            return Err(FilesError::invalid(
                &self.name,
                raw,
                "the mount root is not a file",
            ));
        };
        let parent = self.open_dir(&parent_path, raw)?;
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true);
        parent
            .open_with(format!("{RESERVED_PREFIX}{suffix}-{name}"), &opts)
            .map_err(self.io_err(raw, "open lock file"))
    }
}

/// Create a fresh temporary file in `dir`, named with the reserved prefix so robots
/// never see it even if a crash leaves it behind.
fn create_temp(dir: &Dir) -> io::Result<(String, File)> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    loop {
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("{RESERVED_PREFIX}tmp-{}-{n}-{nanos}", std::process::id());
        match dir.open_with(&name, &opts) {
            Ok(f) => return Ok((name, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

pub(crate) fn entry_of(path: String, meta: &Metadata) -> Entry {
    let kind = if meta.is_dir() {
        EntryKind::Directory
    } else {
        EntryKind::File
    };
    let modified = meta.modified().ok().map(|t| {
        chrono::DateTime::<chrono::Utc>::from(t.into_std())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    });
    Entry {
        path,
        kind,
        size: if kind == EntryKind::File {
            meta.len()
        } else {
            0
        },
        modified,
    }
}
