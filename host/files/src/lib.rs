//! Host side of the `files` and `sheets` capabilities of Pont.
//!
//! A [`Mount`] is a host directory the operator granted to a robot under a name,
//! opened once with cap-std so that `..`, absolute paths and symlinks cannot leave
//! it. Writes are atomic (temporary file, fsync, rename), refused on read-only
//! mounts and checked against the mount's quota before anything is written.
//! A [`Workbook`] reads xlsx, xls, ods and csv files of a mount and appends rows
//! to existing xlsx workbooks without losing their other sheets or styles.
//!
//! Every operation on robot data takes the policy gate's [`pont_policy::Permit`]
//! for it and takes its target (mount, path, direction, bytes) from it, so a
//! call the gate did not decide does not compile.
//!
//! This crate knows nothing of wasm: the runtime wires it to the WIT interfaces
//! `pont:robot/files` and `pont:robot/sheets`, and maps [`FilesError`] to the WIT
//! `error` variant through [`FilesError::kind`].

mod archive;
mod error;
mod mount;
mod path;
mod permit;
pub mod sheets;

pub use error::{ErrorKind, FilesError, Result};
pub use mount::{Access, Entry, EntryKind, Mount};
pub use sheets::{Cell, Format, FoundRow, SheetLimits, Table, Workbook};
