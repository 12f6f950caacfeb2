//! DS's asynchronous virus scan: a freshly uploaded file reads `virusScanResult: "pending"`
//! until ClamAV's job has run, then `"safe"`. Here the scan takes
//! [`crate::Faults::virus_scan_ms`] from the upload's PUT (2 s when unset, 0 = at once), or
//! ends at once on `POST /__sandbox/faults/virus-scan` ([`World::finish_virus_scans`]).
//! Seeded files were scanned long ago.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::world::{State as WorldState, World};

/// How long a scan takes when the fault control does not say.
pub const DEFAULT_SCAN_MS: u64 = 2_000;

/// Scans pending at once; past it, a new upload counts as scanned (memory stays bounded).
const MAX_PENDING: usize = 10_000;

/// Longest scan the fault control may ask for (one day), so the end time cannot overflow.
const MAX_SCAN_MS: u64 = 24 * 3600 * 1000;

/// Files whose scan has not ended: file id → when it ends.
#[derive(Debug, Default)]
pub struct Scans {
    pending: HashMap<u64, DateTime<Utc>>,
}

/// Starts the scan of a file whose bytes just arrived (the direct upload's PUT).
pub fn start(st: &mut WorldState, file: u64) {
    let ms = st.faults.virus_scan_ms.unwrap_or(DEFAULT_SCAN_MS);
    let now = Utc::now();
    st.scans.pending.retain(|_, end| *end > now);
    if ms == 0 || st.scans.pending.len() >= MAX_PENDING {
        return;
    }
    let end = now + Duration::milliseconds(ms.min(MAX_SCAN_MS) as i64);
    st.scans.pending.insert(file, end);
}

impl World {
    /// `File.virusScanResult` of a stored file: `pending` while its scan runs, else `safe`.
    pub fn virus_scan_result(&self, file: u64) -> &'static str {
        match self.lock().scans.pending.get(&file) {
            Some(end) if *end > Utc::now() => "pending",
            _ => "safe",
        }
    }

    /// Ends every pending scan now, all files found safe; returns how many were pending.
    pub fn finish_virus_scans(&self) -> usize {
        let mut st = self.lock();
        let now = Utc::now();
        let n = st.scans.pending.values().filter(|end| **end > now).count();
        st.scans.pending.clear();
        n
    }
}

/// `POST /__sandbox/faults/virus-scan`: `{"finished": n}`.
pub async fn http_finish(State(app): State<crate::http::App>) -> Json<serde_json::Value> {
    Json(json!({ "finished": app.world.finish_virus_scans() }))
}
