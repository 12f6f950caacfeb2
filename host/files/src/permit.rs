//! The gate's permit, checked at the mount.
//!
//! Every [`Mount`] operation on robot data takes a [`Permit`] from the
//! policy gate and takes its target from it: the mount must be this one, the
//! path is the permit's, a write needs a write permit and writes exactly the
//! bytes the gate charged. A call the gate did not decide does not compile,
//! and a permit for one mount, path or direction serves no other.
//!
//! ```compile_fail
//! # fn probe(mount: &pont_files::Mount) {
//! // No permit, no read: this does not compile.
//! let _ = mount.open_read("secret.txt");
//! # }
//! ```
//!
//! ```compile_fail
//! # fn probe(mount: &pont_files::Mount) {
//! // No permit, no write: this does not compile either.
//! let _ = mount.write_bytes("out.txt", b"data");
//! # }
//! ```
//!
//! ```compile_fail
//! # fn forge(mount: &pont_files::Mount) {
//! // Nor can a permit be made here: only the gate makes one.
//! let forged = pont_policy::Permit::new("files", "write".into(), &pont_policy::Action::FileWrite {
//!     mount: "out", path: "x", bytes: 4,
//! });
//! let _ = mount.write_bytes(&forged, b"data");
//! # }
//! ```
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use pont_policy::{Action, EffectivePolicy, Gate, MountAccess, MountGrant};
//! let dir = tempfile::tempdir()?;
//! let mut policy = EffectivePolicy::ds_only("doc", &[], &[]);
//! let grant = MountGrant { path: dir.path().into(), access: MountAccess::ReadWrite, quota_bytes: None };
//! policy.mounts.insert("out".into(), grant);
//! let gate = Gate::for_tool("doc", policy, &dir.path().join("audit.jsonl"))?;
//! let mount = pont_files::Mount::open("out", dir.path(), pont_files::Access::ReadWrite, None)?;
//! let write = Action::FileWrite { mount: "out", path: "a.txt", bytes: 2 };
//! mount.write_bytes(&gate.authorize(None, &write)?, b"ok")?;
//! # Ok(()) }
//! ```

use pont_policy::{Permit, Scope};

use crate::error::{FilesError, Result};
use crate::mount::Mount;

/// What a file permit lets the backend do: this path, and for a write, this
/// many bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Granted<'p> {
    pub path: &'p str,
    pub bytes: u64,
}

/// The path a read (or listing) permit covers on `mount`.
pub(crate) fn read<'p>(mount: &Mount, permit: &'p Permit) -> Result<&'p str> {
    covered(mount, permit, false).map(|g| g.path)
}

/// The path and byte count a write permit covers on `mount`.
pub(crate) fn write<'p>(mount: &Mount, permit: &'p Permit) -> Result<Granted<'p>> {
    covered(mount, permit, true)
}

/// A write permit for exactly `path` on `mount` (a workbook's own file).
pub(crate) fn write_to<'p>(mount: &Mount, permit: &'p Permit, path: &str) -> Result<Granted<'p>> {
    let granted = write(mount, permit)?;
    if granted.path != path {
        return Err(refused(mount, permit, &format!("path `{path}`")));
    }
    Ok(granted)
}

/// A write of `len` bytes needs a permit charged for exactly `len`: fewer
/// would let bytes out that no budget saw.
pub(crate) fn check_len(
    mount: &Mount,
    permit: &Permit,
    granted: Granted<'_>,
    len: u64,
) -> Result<()> {
    if granted.bytes == len {
        return Ok(());
    }
    Err(refused(mount, permit, &format!("a write of {len} bytes")))
}

fn covered<'p>(mount: &Mount, permit: &'p Permit, write: bool) -> Result<Granted<'p>> {
    match permit.scope() {
        Scope::File {
            mount: m,
            path,
            write: w,
            bytes,
        } if m == mount.name() && *w == write => Ok(Granted {
            path,
            bytes: *bytes,
        }),
        _ => {
            let what = if write { "a write" } else { "a read" };
            Err(refused(
                mount,
                permit,
                &format!("{what} on mount `{}`", mount.name()),
            ))
        }
    }
}

fn refused(mount: &Mount, permit: &Permit, wanted: &str) -> FilesError {
    FilesError::Unpermitted {
        mount: mount.name().to_string(),
        detail: permit.mismatch(wanted).to_string(),
    }
}

#[cfg(test)]
mod tests;
