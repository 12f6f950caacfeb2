//! Pont's policy: what a robot asks for, what its operator grants, and the one
//! gate every capability call passes.
//!
//! This crate is pure (no wasmtime, no network): it parses the author's
//! manifest (`pont.toml`) and the operator's robot config, both in two stages
//! (raw serde types with `deny_unknown_fields`, then validated types), computes
//! the effective policy (requested ∩ granted, refusing to start when something
//! requested is missing), and decides each capability call through [`Gate`],
//! which alone can make a [`Permit`] and writes an audit record for every
//! decision.

mod audit;
mod audit_verify;
mod budget;
mod config;
mod effective;
mod error;
mod gate;
mod manifest;
mod mount_path;
mod origin;
mod toml_error;

pub use audit::{
    AuditLog, AuditRecord, Decision, GENESIS_HASH, Seal, SealStore, head_path, read_records,
    record_hash,
};
pub use audit_verify::{Break, Intact, SealBook, verify_audit, verify_audit_with};
pub use budget::{DS_DESTINATION, mount_destination};
pub use config::{
    BrowserGrant, DS_STATES, DsSettings, Limits, MountAccess, MountGrant, OriginGrant, Paths,
    QueueConfig, QueueOrder, ReportConfig, Reprocess, RetryPolicy, RobotConfig, SecretSource,
    WaitPolicy,
};
pub use effective::{EffectivePolicy, Missing};
pub use error::PolicyError;
pub use gate::{Action, Denied, DsAction, Gate, Permit, RunContext};
pub use manifest::{Manifest, Requests};
pub use origin::Origin;
