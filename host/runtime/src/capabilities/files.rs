//! The `files` capability: the WIT `mount` resource wired to `pont-files`
//! through the gate.
//!
//! The mounts of the effective policy are opened once per run (cap-std keeps
//! every later operation inside them). Each call asks the gate first, which
//! refuses ungranted mounts, writes to read-only mounts and paths that are
//! escapes on their face (`..`, absolute), and hands the permit it made to
//! `pont-files`, which takes the path and byte count from it. What only the
//! disk reveals (a symlink leading out, a quota) is refused by `pont-files`
//! and recorded as a denial through [`pont_policy::Gate::refuse`], so every
//! refusal is in the audit log. File contents move as spooled blobs, never
//! through the robot.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use pont_files::{Access, ErrorKind, FilesError, Mount};
use pont_policy::{Action, EffectivePolicy, MountAccess, Permit, PolicyError, Scope};
use tracing::Instrument;
use wasmtime::component::Resource;

use crate::bindings::pont::robot::files::{Entry, EntryKind, Host, HostMount};
use crate::bindings::pont::robot::types::{Error, MountSource, Provenance};
use crate::blob::BlobEntry;
use crate::error::RuntimeError;
use crate::store::ItemState;

/// The run's opened mounts, by the name the manifest gave them.
pub(crate) type Mounts = Arc<HashMap<String, Arc<Mount>>>;

type Res<T> = wasmtime::Result<Result<T, Error>>;

/// Host side of `files.mount`: a handle on one of the run's opened mounts.
#[derive(Debug)]
pub struct MountHandle {
    mount: Arc<Mount>,
}

/// Open every mount of the effective policy, with the access the robot
/// requested (never more than granted) and the operator's quota. A directory
/// that cannot be opened is a config error, reported before the first item.
pub(crate) fn open_mounts(policy: &EffectivePolicy, config: &Path) -> Result<Mounts, RuntimeError> {
    let mut out = HashMap::new();
    for (name, grant) in &policy.mounts {
        let access = match grant.access {
            MountAccess::ReadOnly => Access::ReadOnly,
            MountAccess::ReadWrite => Access::ReadWrite,
        };
        let mount =
            Mount::open(name.clone(), &grant.path, access, grant.quota_bytes).map_err(|e| {
                RuntimeError::Config(PolicyError::Invalid {
                    what: "robot config",
                    path: config.to_owned(),
                    key: format!("grant.mounts.{name}.path"),
                    message: format!("cannot open the directory: {e}"),
                })
            })?;
        out.insert(name.clone(), Arc::new(mount));
    }
    Ok(Arc::new(out))
}

/// Run blocking filesystem work off the async executor, so a large copy does
/// not stall the runtime's timers (item deadlines). A panic in it is a host
/// bug: it traps this item, not the run.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> wasmtime::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| wasmtime::format_err!("host file task failed: {e}"))
}

/// A span per capability call: the operation and the mount, never contents.
pub(crate) fn call_span(capability: &'static str, op: &'static str, mount: &str) -> tracing::Span {
    tracing::info_span!("capability", capability, op, mount = %mount)
}

impl ItemState {
    /// Ask the gate about a file action: its permit, or the WIT `denied`.
    pub(crate) fn authorize_file(&self, action: &Action<'_>) -> Result<Permit, Error> {
        self.authorize(action).map_err(|d| Error::Denied(d.reason))
    }

    /// Map a `pont-files` error met while doing `action` to the WIT error.
    ///
    /// Refusals the gate could not see (a symlink out of the mount, a quota, a
    /// read-only mount caught by the backend) are written to the audit log as
    /// denials before the robot hears of them.
    pub(crate) fn files_error(&self, action: &Action<'_>, e: FilesError) -> Error {
        let message = e.to_string();
        match (&e, e.kind()) {
            // A quota, or a file past the host's parsing limits (a hostile
            // spreadsheet): the robot gets `limit`, the audit log the refusal.
            (FilesError::Quota { .. }, _) | (_, ErrorKind::Limit) => {
                Error::Limit(self.run.gate.refuse(self.item, action, message).reason)
            }
            (_, ErrorKind::Denied) => {
                Error::Denied(self.run.gate.refuse(self.item, action, message).reason)
            }
            (_, ErrorKind::NotFound) => Error::NotFound(message),
            (_, ErrorKind::Invalid) => Error::Invalid(message),
            (_, ErrorKind::Locked | ErrorKind::Io) => Error::Unavailable(message),
        }
    }

    /// The run's mount the gate's `permit` is for (opening it, or a file of
    /// it); the mount becomes one of the item's tools (under its ledger name),
    /// whether opened as files or a workbook.
    pub(crate) fn granted_mount(&self, permit: &Permit) -> Result<Arc<Mount>, Error> {
        let name = match permit.scope() {
            Scope::MountOpen { mount } | Scope::File { mount, .. } => mount.as_str(),
            _ => return Err(Error::Denied(permit.mismatch("a mount").to_string())),
        };
        let mount = self.run.mounts.get(name).cloned().ok_or_else(|| {
            Error::Unavailable(format!("mount `{name}` was not opened for this run"))
        })?;
        self.tools.insert(pont_policy::mount_destination(name));
        Ok(mount)
    }

    fn mount_of(&self, handle: &Resource<MountHandle>) -> wasmtime::Result<Arc<Mount>> {
        Ok(self.table.get(handle)?.mount.clone())
    }

    /// Gate `action`, then run `work` on the mount off the executor with the
    /// gate's permit, mapping its error. The common path of every mount call
    /// but `open`.
    async fn on_mount<T: Send + 'static>(
        &mut self,
        action: &Action<'_>,
        mount: Arc<Mount>,
        work: impl FnOnce(&Mount, Permit) -> pont_files::Result<T> + Send + 'static,
    ) -> Res<T> {
        let permit = match self.authorize_file(action) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let done = blocking(move || work(&mount, permit)).await?;
        if done.is_err() {
            // Writes are atomic: one that failed left nothing in the mount.
            self.run.gate.unsent(action);
        }
        Ok(done.map_err(|e| self.files_error(action, e)))
    }
}

fn entry(e: pont_files::Entry) -> Entry {
    Entry {
        path: e.path,
        kind: match e.kind {
            pont_files::EntryKind::File => EntryKind::File,
            pont_files::EntryKind::Directory => EntryKind::Directory,
        },
        size: e.size,
        modified: e.modified,
    }
}

/// The last component of a robot path: the blob's file name.
fn file_name(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A content type from the extension, for the formats robots move around;
/// anything else is plain bytes.
pub(crate) fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odt" => "application/vnd.oasis.opendocument.text",
        "csv" => "text/csv",
        "txt" => "text/plain",
        "json" => "application/json",
        "xml" => "application/xml",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// A blob's file name has no path in it: it names the file, not a place.
fn check_blob_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 255 || name.contains(['/', '\\', '\0']) {
        return Err(Error::Invalid(
            "a blob's file name is not empty, has no path separators and at most 255 bytes".into(),
        ));
    }
    Ok(())
}

impl HostMount for ItemState {
    async fn open(&mut self, name: String) -> Res<Resource<MountHandle>> {
        let span = call_span("files", "open", &name);
        async {
            let permit = match self.authorize_file(&Action::MountOpen { mount: &name }) {
                Ok(p) => p,
                Err(e) => return Ok(Err(e)),
            };
            let mount = match self.granted_mount(&permit) {
                Ok(m) => m,
                Err(e) => return Ok(Err(e)),
            };
            Ok(self.keep(("files", "open"), MountHandle { mount }))
        }
        .instrument(span)
        .await
    }

    async fn entries(&mut self, m: Resource<MountHandle>, dir: String) -> Res<Vec<Entry>> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "entries", mount.name());
        let action = Action::FileRead {
            mount: mount.name(),
            path: &dir,
        };
        let listed = self
            .on_mount(&action, mount.clone(), |m, p| m.entries(&p))
            .instrument(span)
            .await?;
        Ok(listed.map(|list| list.into_iter().map(entry).collect()))
    }

    async fn stat(&mut self, m: Resource<MountHandle>, path: String) -> Res<Entry> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "stat", mount.name());
        let action = Action::FileRead {
            mount: mount.name(),
            path: &path,
        };
        let found = self
            .on_mount(&action, mount.clone(), |m, p| m.stat(&p))
            .instrument(span)
            .await?;
        Ok(found.map(entry))
    }

    async fn read(&mut self, m: Resource<MountHandle>, path: String) -> Res<Resource<BlobEntry>> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "read", mount.name());
        let action = Action::FileRead {
            mount: mount.name(),
            path: &path,
        };
        let (spool, p) = (self.run.spool.clone(), path.clone());
        // Never more than the spool can take: past that, `keep_blob` refuses it.
        let room = self.run.limits.spool_room();
        let read = self
            .on_mount(&action, mount.clone(), move |m, permit| {
                let file = m.open_read(&permit)?;
                let name = file_name(&p);
                let source = Provenance::MountFile(MountSource {
                    mount: m.name().to_string(),
                    path: p,
                });
                // Streamed from the mount into the spool, hashed on the way.
                Ok(BlobEntry::from_reader(
                    &spool,
                    &permit,
                    std::io::Read::take(file.into_std(), room.saturating_add(1)),
                    (&name, content_type(&name)),
                    source,
                ))
            })
            .instrument(span)
            .await?;
        match read {
            Ok(Ok(entry)) => Ok(self.keep_blob(("files", "read"), entry)),
            Ok(Err(e)) => Ok(Err(Error::Unavailable(format!(
                "cannot spool `{path}`: {e}"
            )))),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn write(
        &mut self,
        m: Resource<MountHandle>,
        path: String,
        data: Resource<BlobEntry>,
    ) -> Res<()> {
        let mount = self.mount_of(&m)?;
        let blob = self.table.get(&data)?;
        let (source, size) = (blob.path().to_owned(), blob.info().size);
        let span = call_span("files", "write", mount.name());
        let action = Action::FileWrite {
            mount: mount.name(),
            path: &path,
            bytes: size,
        };
        let p = path.clone();
        // Copied host-side from the blob's spool file: the bytes never pass
        // through the robot.
        self.on_mount(&action, mount.clone(), move |m, permit| {
            let file = std::fs::File::open(&source).map_err(|e| FilesError::Io {
                mount: m.name().to_string(),
                path: p,
                op: "open blob",
                source: e,
            })?;
            // The length written is the permit's: the blob's size, charged.
            m.write_from_file(&permit, file)
        })
        .instrument(span)
        .await
    }

    async fn write_bytes(
        &mut self,
        m: Resource<MountHandle>,
        path: String,
        data: Vec<u8>,
    ) -> Res<()> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "write-bytes", mount.name());
        let action = Action::FileWrite {
            mount: mount.name(),
            path: &path,
            bytes: data.len() as u64,
        };
        self.on_mount(&action, mount.clone(), move |m, p| m.write_bytes(&p, &data))
            .instrument(span)
            .await
    }

    async fn rename(
        &mut self,
        m: Resource<MountHandle>,
        source: String,
        destination: String,
    ) -> Res<()> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "rename", mount.name());
        let from = Action::FileWrite {
            mount: mount.name(),
            path: &source,
            bytes: 0,
        };
        let from = match self.authorize_file(&from) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let to = Action::FileWrite {
            mount: mount.name(),
            path: &destination,
            bytes: 0,
        };
        self.on_mount(&to, mount.clone(), move |m, to| m.rename(&from, &to))
            .instrument(span)
            .await
    }

    async fn mkdir(&mut self, m: Resource<MountHandle>, path: String) -> Res<()> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "mkdir", mount.name());
        let action = Action::FileWrite {
            mount: mount.name(),
            path: &path,
            bytes: 0,
        };
        self.on_mount(&action, mount.clone(), |m, p| m.mkdir(&p))
            .instrument(span)
            .await
    }

    async fn remove(&mut self, m: Resource<MountHandle>, path: String) -> Res<()> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "remove", mount.name());
        let action = Action::FileWrite {
            mount: mount.name(),
            path: &path,
            bytes: 0,
        };
        self.on_mount(&action, mount.clone(), |m, p| m.remove(&p))
            .instrument(span)
            .await
    }

    async fn zip(
        &mut self,
        m: Resource<MountHandle>,
        paths: Vec<String>,
        name: String,
    ) -> Res<Resource<BlobEntry>> {
        let mount = self.mount_of(&m)?;
        let span = call_span("files", "zip", mount.name());
        if let Err(e) = check_blob_name(&name) {
            return Ok(Err(e));
        }
        // Every path is read: each is asked of the gate (and audited).
        let Some((last, rest)) = paths.split_last() else {
            return Ok(Err(Error::Invalid("nothing to zip".into())));
        };
        let mut permits = Vec::with_capacity(paths.len());
        for p in rest {
            let action = Action::FileRead {
                mount: mount.name(),
                path: p,
            };
            match self.authorize_file(&action) {
                Ok(permit) => permits.push(permit),
                Err(e) => return Ok(Err(e)),
            }
        }
        let action = Action::FileRead {
            mount: mount.name(),
            path: last,
        };
        let spool = self.run.spool.clone();
        let zipped = self
            .on_mount(&action, mount.clone(), move |m, last| {
                permits.push(last);
                zip_to_spool(m, &permits, &spool, &name)
            })
            .instrument(span)
            .await?;
        match zipped {
            Ok(entry) => Ok(self.keep_blob(("files", "zip"), entry)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn drop(&mut self, m: Resource<MountHandle>) -> wasmtime::Result<()> {
        self.table.delete(m)?;
        Ok(())
    }
}

/// Zip the paths of the read `permits` of `m` into a fresh spool file and
/// take it over as a blob, under the same permits.
fn zip_to_spool(
    m: &Mount,
    permits: &[Permit],
    spool: &Path,
    name: &str,
) -> pont_files::Result<BlobEntry> {
    let io = |op: &'static str| {
        let mount = m.name().to_string();
        move |e: std::io::Error| FilesError::Io {
            mount,
            path: String::new(),
            op,
            source: e,
        }
    };
    let dest = match permits.first() {
        Some(first) => BlobEntry::reserve(first, spool, "zip-"),
        None => Err(std::io::Error::other("an archive needs at least one file")),
    };
    let dest = dest.map_err(io("spool archive"))?;
    let zipped = std::fs::File::create(&dest)
        .map_err(io("spool archive"))
        .and_then(|f| m.zip(permits, std::io::BufWriter::new(f)));
    let entry = zipped.and_then(|w| {
        w.into_inner()
            .map_err(|e| io("spool archive")(e.into_error()))?;
        let blob = (dest.clone(), name, "application/zip");
        BlobEntry::adopt(permits, blob, Provenance::Archive).map_err(io("spool archive"))
    });
    if entry.is_err() {
        let _ = std::fs::remove_file(&dest);
    }
    entry
}

impl Host for ItemState {}

#[cfg(test)]
mod tests {
    use super::{check_blob_name, content_type, file_name};

    #[test]
    fn blob_names_and_types_come_from_the_last_component() {
        assert_eq!(file_name("a/b/rapport.PDF"), "rapport.PDF");
        assert_eq!(file_name("seul.csv"), "seul.csv");
        assert_eq!(content_type("rapport.PDF"), "application/pdf");
        assert_eq!(content_type("sans-extension"), "application/octet-stream");
        assert!(check_blob_name("in.zip").is_ok());
        assert!(check_blob_name("a/in.zip").is_err());
        assert!(check_blob_name("").is_err());
    }
}
