//! Pont's host runtime: the wasmtime engine, the capability glue behind the
//! policy gate, the runner and its journal.
//!
//! The CLI is a thin layer over [`run`] and [`inspect`]; embedders can call the
//! same functions.

pub mod approval;
pub mod bindings;
mod blob;
mod capabilities;
mod denied;
mod egress;
mod engine;
mod error;
mod inspect;
pub mod journal;
mod limits;
mod linker;
pub mod review;
mod runner;
mod store;
mod wasi;

pub use egress::{ds_ledger_name, ledger_budget_key};
pub use engine::{EngineSettings, PontEngine, default_cache_dir};
pub use error::RuntimeError;
pub use inspect::{Inspection, InterfaceInfo, ManifestSummary, inspect};
pub use runner::{
    CancellationToken, DEFAULT_GRACE, ItemReport, Progress, RunOptions, RunReport, new_run_id, run,
};
