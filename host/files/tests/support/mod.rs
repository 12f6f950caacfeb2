//! The gate, for tests that use the files backend on its own. Each mount is
//! granted read-write to a real gate, so a test gets its permits as the
//! runtime does (and a mount opened read-only still refuses writes itself).
//! The calls below ask the gate for the permit of one backend call and make
//! it with that permit.

#![allow(dead_code)]

use std::io::{Read, Seek, Write};
use std::sync::Arc;

use cap_std::fs::File;
use pont_files::{Entry, Mount, Result, SheetLimits, Workbook};
use pont_policy::{Action, Denied, EffectivePolicy, Gate, MountAccess, MountGrant, Permit};

/// A mount and the gate that grants it.
pub struct Gated {
    pub mount: Arc<Mount>,
    gate: Gate,
    _audit: tempfile::TempDir,
}

impl Gated {
    pub fn new(mount: Mount) -> Self {
        let audit = tempfile::tempdir().unwrap();
        let mut policy = EffectivePolicy::ds_only("files-tests", &[], &[]);
        let grant = MountGrant {
            path: audit.path().into(),
            access: MountAccess::ReadWrite,
            quota_bytes: None,
        };
        policy.mounts.insert(mount.name().into(), grant);
        let gate =
            Gate::for_tool("files-tests", policy, &audit.path().join("audit.jsonl")).unwrap();
        Self {
            mount: Arc::new(mount),
            gate,
            _audit: audit,
        }
    }

    pub fn try_read(&self, path: &str) -> std::result::Result<Permit, Denied> {
        let mount = self.mount.name();
        self.gate.authorize(None, &Action::FileRead { mount, path })
    }

    pub fn try_write(&self, path: &str, bytes: u64) -> std::result::Result<Permit, Denied> {
        let mount = self.mount.name();
        let action = Action::FileWrite { mount, path, bytes };
        self.gate.authorize(None, &action)
    }

    pub fn read(&self, path: &str) -> Permit {
        self.try_read(path).unwrap()
    }

    pub fn write(&self, path: &str, bytes: u64) -> Permit {
        self.try_write(path, bytes).unwrap()
    }

    pub fn open_read(&self, path: &str) -> Result<File> {
        self.mount.open_read(&self.read(path))
    }

    pub fn stat(&self, path: &str) -> Result<Entry> {
        self.mount.stat(&self.read(path))
    }

    pub fn entries(&self, path: &str) -> Result<Vec<Entry>> {
        self.mount.entries(&self.read(path))
    }

    pub fn write_bytes(&self, path: &str, bytes: &[u8]) -> Result<()> {
        let permit = self.write(path, bytes.len() as u64);
        self.mount.write_bytes(&permit, bytes)
    }

    pub fn write_from_reader(&self, path: &str, reader: impl Read, len: u64) -> Result<()> {
        self.mount.write_from_reader(&self.write(path, len), reader)
    }

    pub fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.mount.rename(&self.write(from, 0), &self.write(to, 0))
    }

    pub fn mkdir(&self, path: &str) -> Result<()> {
        self.mount.mkdir(&self.write(path, 0))
    }

    pub fn remove(&self, path: &str) -> Result<()> {
        self.mount.remove(&self.write(path, 0))
    }

    pub fn zip<W: Write + Seek>(&self, paths: &[&str], out: W) -> Result<W> {
        let permits: Vec<Permit> = paths.iter().map(|p| self.read(p)).collect();
        self.mount.zip(&permits, out)
    }

    pub fn open(&self, path: &str) -> Result<Workbook> {
        Workbook::open(self.mount.clone(), &self.read(path))
    }

    pub fn open_with_limits(&self, path: &str, limits: SheetLimits) -> Result<Workbook> {
        Workbook::open_with_limits(self.mount.clone(), &self.read(path), limits)
    }

    /// Save `wb` (the workbook at `path`) as the runtime does: serialised
    /// first, then written under a permit for exactly that many bytes.
    pub fn save(&self, wb: &mut Workbook, path: &str) -> Result<u64> {
        match wb.render()? {
            Some(bytes) => wb.store(&self.write(path, bytes.len() as u64), bytes),
            None => Ok(0),
        }
    }
}
