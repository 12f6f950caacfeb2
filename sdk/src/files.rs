//! Mounted directories: `Mount::open("name")`, then paths relative to it.
//!
//! A robot names a mount, never a host path. Paths use `/` and cannot leave
//! the mount: `..`, absolute paths and symlinks pointing outside are denied
//! (and audited), writes to a read-only mount are denied, and a write that
//! would exceed the mount's quota fails with `Error::Limit`.
//!
//! Reads give a [`Blob`] held by the host; writing that blob elsewhere copies
//! it host-side, so a file moved from a mount to another (or to DS, or to a
//! browser upload) never passes through the robot's memory.

pub use crate::bindings::pont::robot::files::*;

use crate::BlobInfo;

/// Largest chunk [`read_to_vec`] asks the host for at once.
const CHUNK: u32 = 1024 * 1024;

/// Copy `source` of `from` to `destination` of `to` (which may be the same
/// mount) without the bytes entering the robot; returns what was copied.
pub fn copy(from: &Mount, source: &str, to: &Mount, destination: &str) -> Result<BlobInfo, Error> {
    let blob = from.read(source)?;
    to.write(destination, &blob)?;
    Ok(blob.info())
}

/// All the bytes of `blob`, read in chunks. Only for blobs the robot must
/// inspect itself; to move a file, pass the blob on instead.
pub fn read_to_vec(blob: &Blob) -> Result<Vec<u8>, Error> {
    let size = blob.info().size;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    while (out.len() as u64) < size {
        let chunk = blob.read(out.len() as u64, CHUNK)?;
        if chunk.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
