//! What a Store holds: one per item, so a trap or a runaway robot poisons only
//! its own item. The run-wide parts (gate, journal, spool) are shared.

use std::path::PathBuf;
use std::sync::Arc;

use pont_policy::{Action, Denied, Gate, Permit};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::journal::Journal;
use crate::wasi::OutputSink;

/// Run-wide state shared by every item's Store.
#[derive(Debug)]
pub(crate) struct RunShared {
    pub gate: Gate,
    pub journal: Journal,
    pub run_id: String,
    pub robot: String,
    /// Where blobs are spooled during the run (removed at the end).
    pub spool: PathBuf,
    /// Where evidence blobs are kept for review.
    pub evidence_dir: PathBuf,
    /// The DS connection, when the robot is granted DS actions.
    pub ds: Option<Arc<crate::capabilities::ds::DsBackend>>,
    /// The mounts of the effective policy, opened once at the start of the run.
    pub mounts: crate::capabilities::files::Mounts,
    /// The browser, launched on the first session a robot opens (never for robots
    /// without browser grants); shut down when the run ends.
    pub browser: crate::capabilities::browser::BrowserRun,
    /// The HTTP client of the `http` capability and `wasi:http`.
    pub http: crate::capabilities::http::HttpEgress,
    /// The run's `[limits]` and what the run has used of them.
    pub limits: crate::limits::RunLimits,
    /// Where the run's time goes, per phase of an item (`RunReport::profile`).
    pub profile: crate::runner::Profile,
    /// The DS decisions held for an agent (`[approval]`).
    pub approval: crate::approval::RunApproval,
}

/// The applications an item touched, for the KPI's tools count: `ds` (the
/// dossier handed to it or any DS call), each origin its browser sessions or
/// HTTP requests reached, each mount it opened (`mount.NAME`, workbooks
/// included). Shared because HTTP hops run on a clone of the item's caller.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tools(Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>);

impl Tools {
    fn set(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<String>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, tool: impl Into<String>) {
        self.set().insert(tool.into());
    }

    pub fn extend(&self, tools: impl IntoIterator<Item = String>) {
        self.set().extend(tools);
    }

    /// The tools, sorted and comma-separated, as the journal keeps them.
    pub fn joined(&self) -> String {
        Vec::from_iter(self.set().iter().cloned()).join(",")
    }
}

/// The data of one item's Store.
pub(crate) struct ItemState {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub limits: crate::limits::ItemLimiter,
    pub run: Arc<RunShared>,
    /// The dossier being handled, `None` in `finish`.
    pub item: Option<i64>,
    /// The attempt of this item (1 for the first), for the mutation journal.
    pub attempt: u32,
    /// The dossier's episode: mutations are deduplicated per episode.
    pub episode: u32,
    /// What the robot did to its dossier in this item (the episode's basis).
    pub effects: crate::runner::Effects,
    /// What the robot wrote to stdout/stderr, forwarded to the log.
    pub output: OutputSink,
    /// DS files shown to the robot in this item, by opaque reference.
    pub ds_files: crate::capabilities::ds::FileTable,
    /// Browser actions done in this item (goto, click, fill, select, upload): the KPI's clicks.
    pub browser_actions: u32,
    /// Applications the item touched: the KPI's tools.
    pub tools: Tools,
    /// `wasi:http` state (linked only for robots with an HTTP grant).
    pub http_state: crate::capabilities::http::HttpState,
}

impl ItemState {
    /// Ask the gate; every capability call goes through here.
    pub fn authorize(&self, action: &Action<'_>) -> Result<Permit, Denied> {
        self.run.gate.authorize(self.item, action)
    }
}

impl WasiView for ItemState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
