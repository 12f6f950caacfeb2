//! Run-wide bounds: the spool's bytes held at once, and the evidence kept.
//!
//! The spool is a disk buffer: what bounds the host is the bytes it holds at
//! one time, so each blob holds its size ([`SpoolHold`]) until it is dropped.
//! Evidence is kept after the run, so its files and bytes are counted for the
//! whole run, the host's own failure screenshots included.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pont_policy::Limits;

const MIB: u64 = 1024 * 1024;

/// The run's limits and what has been used of them.
#[derive(Debug)]
pub(crate) struct RunLimits {
    pub config: Limits,
    spool: Arc<SpoolMeter>,
    /// Evidence files and bytes kept so far in the run.
    evidence: Mutex<(u32, u64)>,
}

#[derive(Debug)]
struct SpoolMeter {
    max: u64,
    used: AtomicU64,
}

/// Bytes of the spool held by one blob; given back when the blob is dropped.
#[derive(Debug)]
pub(crate) struct SpoolHold {
    meter: Arc<SpoolMeter>,
    bytes: u64,
}

impl Drop for SpoolHold {
    fn drop(&mut self) {
        self.meter.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

impl RunLimits {
    pub fn new(config: Limits) -> Self {
        Self {
            spool: Arc::new(SpoolMeter {
                max: config.spool_bytes,
                used: AtomicU64::new(0),
            }),
            config,
            evidence: Mutex::new((0, 0)),
        }
    }

    /// Bytes the spool can still take: a streaming producer reads no more.
    pub fn spool_room(&self) -> u64 {
        let used = self.spool.used.load(Ordering::SeqCst);
        self.spool.max.saturating_sub(used)
    }

    /// Hold `bytes` of the spool, or say why not.
    pub fn hold_spool(&self, bytes: u64) -> Result<SpoolHold, String> {
        let meter = &self.spool;
        let taken = meter
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(bytes).filter(|total| *total <= meter.max)
            });
        match taken {
            Ok(_) => Ok(SpoolHold {
                meter: meter.clone(),
                bytes,
            }),
            Err(_) => Err(self.spool_full(bytes)),
        }
    }

    /// The refusal of a blob of `bytes` that does not fit in the spool.
    pub fn spool_full(&self, bytes: u64) -> String {
        format!(
            "a blob of {bytes} bytes would pass the run's spool of {} MiB (limits.spool-mb)",
            self.spool.max / MIB
        )
    }

    /// Count one evidence file of `bytes`, or say which limit it would pass.
    pub fn admit_evidence(&self, bytes: u64) -> Result<(), String> {
        let mut tally = self.evidence.lock().unwrap_or_else(|p| p.into_inner());
        let (files, kept) = *tally;
        if files >= self.config.evidence_per_run {
            return Err(format!(
                "the run already keeps {files} evidence files (limits.evidence-per-run)"
            ));
        }
        let max = self.config.evidence_bytes_per_run;
        if kept.saturating_add(bytes) > max {
            return Err(format!(
                "{bytes} more bytes of evidence would pass the run's {} MiB (limits.evidence-mb-per-run)",
                max / MIB
            ));
        }
        *tally = (files + 1, kept + bytes);
        Ok(())
    }

    /// The spreadsheet reader's bounds: `[limits.sheets]` over its defaults.
    pub fn sheet_limits(&self) -> pont_files::SheetLimits {
        sheet_limits(&self.config)
    }
}

/// The DS client's bounds: `[limits.ds]` over [`pont_ds::DsLimits::default`].
pub(crate) fn ds_limits(config: &Limits) -> pont_ds::DsLimits {
    let d = pont_ds::DsLimits::default();
    let c = &config.ds;
    pont_ds::DsLimits {
        max_response_bytes: c.max_response_bytes.unwrap_or(d.max_response_bytes),
        max_download_bytes: c.max_download_bytes.unwrap_or(d.max_download_bytes),
        max_pages: c.max_pages.unwrap_or(d.max_pages),
    }
}

/// `[limits.sheets]` over [`pont_files::SheetLimits::default`]; the config
/// keeps sizes below `usize::MAX` on every target Pont runs on.
fn sheet_limits(config: &Limits) -> pont_files::SheetLimits {
    let d = pont_files::SheetLimits::default();
    let c = &config.sheets;
    let size = |v: Option<u64>, d: usize| v.map_or(d, |v| usize::try_from(v).unwrap_or(d));
    pont_files::SheetLimits {
        max_file_bytes: c.max_file_bytes.unwrap_or(d.max_file_bytes),
        max_cells: c.max_cells.unwrap_or(d.max_cells),
        max_columns: c.max_columns.unwrap_or(d.max_columns),
        max_cell_bytes: size(c.max_cell_bytes, d.max_cell_bytes),
        max_text_bytes: c.max_text_bytes.unwrap_or(d.max_text_bytes),
        max_sheets: size(c.max_sheets, d.max_sheets),
        max_zip_entries: size(c.max_zip_entries, d.max_zip_entries),
        max_unzipped_bytes: c.max_unzipped_bytes.unwrap_or(d.max_unzipped_bytes),
        max_shared_strings_bytes: c
            .max_shared_strings_bytes
            .unwrap_or(d.max_shared_strings_bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> RunLimits {
        RunLimits::new(Limits {
            spool_bytes: 10,
            evidence_per_run: 2,
            evidence_bytes_per_run: 5,
            ..Limits::default()
        })
    }

    #[test]
    fn the_spool_is_held_until_blobs_drop() {
        let l = limits();
        let a = l.hold_spool(6).unwrap();
        assert!(l.hold_spool(5).unwrap_err().contains("limits.spool-mb"));
        assert_eq!(l.spool_room(), 4);
        drop(a);
        assert!(l.hold_spool(10).is_ok());
    }

    #[test]
    fn evidence_is_counted_in_files_and_bytes() {
        let l = limits();
        assert!(
            l.admit_evidence(6)
                .unwrap_err()
                .contains("evidence-mb-per-run")
        );
        l.admit_evidence(2).unwrap();
        l.admit_evidence(2).unwrap();
        assert!(
            l.admit_evidence(0)
                .unwrap_err()
                .contains("evidence-per-run")
        );
    }

    #[test]
    fn unset_ds_and_sheet_limits_keep_their_crates_defaults() {
        let l = limits();
        assert_eq!(ds_limits(&l.config), pont_ds::DsLimits::default());
        assert_eq!(l.sheet_limits(), pont_files::SheetLimits::default());
        let mut config = Limits::default();
        config.sheets.max_cells = Some(7);
        config.ds.max_pages = Some(3);
        let l = RunLimits::new(config);
        assert_eq!(l.sheet_limits().max_cells, 7);
        assert_eq!(ds_limits(&l.config).max_pages, 3);
    }
}
