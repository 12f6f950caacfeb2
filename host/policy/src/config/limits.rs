//! `[limits]` of the robot config: how much of the host one robot may use.
//!
//! Every count a robot controls (state keys, log lines, evidence files,
//! spooled bytes, live handles) and every parser bound the host applies to
//! what a page, a file or DS sends (`[limits.ds]`, `[limits.sheets]`) has a
//! default here or in the crate that applies it, and an operator can tune it.
//! A value the host cannot honour is refused at load with the key's name.

use serde::Deserialize;

use super::Validator;
use crate::error::PolicyError;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLimits {
    memory_mb: Option<u32>,
    item_timeout_secs: Option<u32>,
    run_timeout_secs: Option<u32>,
    state_keys: Option<u32>,
    state_mb: Option<u64>,
    log_lines_per_item: Option<u32>,
    evidence_per_run: Option<u32>,
    evidence_mb_per_run: Option<u64>,
    spool_mb: Option<u64>,
    handles_per_item: Option<u32>,
    #[serde(default)]
    ds: RawDsLimits,
    #[serde(default)]
    sheets: RawSheetLimits,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDsLimits {
    response_mb: Option<u64>,
    download_mb: Option<u64>,
    pages: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSheetLimits {
    file_mb: Option<u64>,
    cells: Option<u64>,
    columns: Option<u32>,
    cell_bytes: Option<u64>,
    text_mb: Option<u64>,
    sheets: Option<u64>,
    zip_entries: Option<u64>,
    unzipped_mb: Option<u64>,
    shared_strings_mb: Option<u64>,
}

/// Limits the host enforces on the robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Memory of one item, summed over all its linear memories.
    pub memory_mb: u32,
    pub item_timeout_secs: u32,
    pub run_timeout_secs: Option<u32>,
    /// Keys the robot's state store may hold (across runs).
    pub state_keys: u32,
    /// Bytes of keys and values the robot's state store may hold.
    pub state_bytes: u64,
    /// Log lines kept per item; later ones are dropped and counted in one line.
    pub log_lines_per_item: u32,
    /// Evidence files a run may keep (the host's own failure screenshots included).
    pub evidence_per_run: u32,
    /// Bytes of evidence a run may keep.
    pub evidence_bytes_per_run: u64,
    /// Bytes the run's spool may hold at once (blobs made, read, downloaded, zipped).
    pub spool_bytes: u64,
    /// Live resource handles (blobs, mounts, workbooks, sessions…) of one item.
    pub handles_per_item: u32,
    pub ds: DsLimitSettings,
    pub sheets: SheetLimitSettings,
}

/// `[limits.ds]`: overrides of the DS client's bounds (`pont_ds::DsLimits`);
/// `None` keeps that crate's default, so the defaults live in one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DsLimitSettings {
    pub max_response_bytes: Option<u64>,
    pub max_download_bytes: Option<u64>,
    pub max_pages: Option<u32>,
}

/// `[limits.sheets]`: overrides of the spreadsheet reader's bounds
/// (`pont_files::SheetLimits`); `None` keeps that crate's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SheetLimitSettings {
    pub max_file_bytes: Option<u64>,
    pub max_cells: Option<u64>,
    pub max_columns: Option<u32>,
    pub max_cell_bytes: Option<u64>,
    pub max_text_bytes: Option<u64>,
    pub max_sheets: Option<u64>,
    pub max_zip_entries: Option<u64>,
    pub max_unzipped_bytes: Option<u64>,
    pub max_shared_strings_bytes: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_mb: 128,
            item_timeout_secs: 300,
            run_timeout_secs: None,
            state_keys: 10_000,
            state_bytes: 64 * MIB,
            log_lines_per_item: 1_000,
            evidence_per_run: 1_000,
            evidence_bytes_per_run: 1024 * MIB,
            spool_bytes: 8 * 1024 * MIB,
            handles_per_item: 1_000,
            ds: DsLimitSettings::default(),
            sheets: SheetLimitSettings::default(),
        }
    }
}

/// The largest value a count of the robot's own may take: past it, the
/// host's own structures (wasmtime's handle table, SQLite) are the limit.
const MAX_COUNT: u64 = 1_000_000;
/// The largest byte size in MB: 1 TiB.
const MAX_MB: u64 = 1024 * 1024;

impl Validator<'_> {
    /// A count between 1 and `max`, if given.
    fn count<T: Copy + Into<u64>>(
        &self,
        key: &str,
        v: Option<T>,
        max: u64,
    ) -> Result<Option<T>, PolicyError> {
        match v {
            Some(n) if n.into() == 0 || n.into() > max => {
                Err(self.err(key, format!("must be between 1 and {max}")))
            }
            v => Ok(v),
        }
    }

    /// A size in MB between 1 and [`MAX_MB`], if given, as bytes.
    fn mb(&self, key: &str, v: Option<u64>) -> Result<Option<u64>, PolicyError> {
        match v {
            Some(mb) if mb == 0 || mb > MAX_MB => {
                Err(self.err(key, format!("must be between 1 and {MAX_MB} (MB)")))
            }
            v => Ok(v.map(|mb| mb * MIB)),
        }
    }

    /// A count of the robot's own, or its default.
    fn count_or<T: Copy + Into<u64>>(
        &self,
        key: &str,
        v: Option<T>,
        d: T,
    ) -> Result<T, PolicyError> {
        Ok(self
            .count(&format!("limits.{key}"), v, MAX_COUNT)?
            .unwrap_or(d))
    }

    /// A size in MB, or its default in bytes.
    fn mb_or(&self, key: &str, v: Option<u64>, d: u64) -> Result<u64, PolicyError> {
        Ok(self.mb(&format!("limits.{key}"), v)?.unwrap_or(d))
    }

    pub(super) fn limits(&self, raw: RawLimits) -> Result<Limits, PolicyError> {
        let d = Limits::default();
        let limits = Limits {
            memory_mb: raw.memory_mb.unwrap_or(d.memory_mb),
            item_timeout_secs: raw.item_timeout_secs.unwrap_or(d.item_timeout_secs),
            run_timeout_secs: raw.run_timeout_secs,
            state_keys: self.count_or("state-keys", raw.state_keys, d.state_keys)?,
            state_bytes: self.mb_or("state-mb", raw.state_mb, d.state_bytes)?,
            log_lines_per_item: self.count_or(
                "log-lines-per-item",
                raw.log_lines_per_item,
                d.log_lines_per_item,
            )?,
            evidence_per_run: self.count_or(
                "evidence-per-run",
                raw.evidence_per_run,
                d.evidence_per_run,
            )?,
            evidence_bytes_per_run: self.mb_or(
                "evidence-mb-per-run",
                raw.evidence_mb_per_run,
                d.evidence_bytes_per_run,
            )?,
            spool_bytes: self.mb_or("spool-mb", raw.spool_mb, d.spool_bytes)?,
            handles_per_item: self.count_or(
                "handles-per-item",
                raw.handles_per_item,
                d.handles_per_item,
            )?,
            ds: self.ds_limits(raw.ds)?,
            sheets: self.sheet_limits(raw.sheets)?,
        };
        self.times(&limits)?;
        Ok(limits)
    }

    fn times(&self, limits: &Limits) -> Result<(), PolicyError> {
        if limits.memory_mb == 0 || limits.memory_mb > 4096 {
            return Err(self.err("limits.memory-mb", "must be between 1 and 4096"));
        }
        if limits.item_timeout_secs == 0 {
            return Err(self.err("limits.item-timeout-secs", "must be at least 1"));
        }
        if limits.run_timeout_secs == Some(0) {
            return Err(self.err("limits.run-timeout-secs", "must be at least 1"));
        }
        Ok(())
    }

    fn ds_limits(&self, raw: RawDsLimits) -> Result<DsLimitSettings, PolicyError> {
        Ok(DsLimitSettings {
            max_response_bytes: self.mb("limits.ds.response-mb", raw.response_mb)?,
            max_download_bytes: self.mb("limits.ds.download-mb", raw.download_mb)?,
            max_pages: self.count("limits.ds.pages", raw.pages, u64::from(u32::MAX))?,
        })
    }

    fn sheet_limits(&self, raw: RawSheetLimits) -> Result<SheetLimitSettings, PolicyError> {
        let key = |k: &str| format!("limits.sheets.{k}");
        Ok(SheetLimitSettings {
            max_file_bytes: self.mb(&key("file-mb"), raw.file_mb)?,
            max_cells: self.count(&key("cells"), raw.cells, 1 << 32)?,
            max_columns: self.count(&key("columns"), raw.columns, 1 << 20)?,
            max_cell_bytes: self.count(&key("cell-bytes"), raw.cell_bytes, 64 * MIB)?,
            max_text_bytes: self.mb(&key("text-mb"), raw.text_mb)?,
            max_sheets: self.count(&key("sheets"), raw.sheets, 1 << 16)?,
            max_zip_entries: self.count(&key("zip-entries"), raw.zip_entries, MAX_COUNT)?,
            max_unzipped_bytes: self.mb(&key("unzipped-mb"), raw.unzipped_mb)?,
            max_shared_strings_bytes: self.mb(&key("shared-strings-mb"), raw.shared_strings_mb)?,
        })
    }
}

#[cfg(test)]
mod tests;
