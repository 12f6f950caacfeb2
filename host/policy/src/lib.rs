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
//!
//! A permit is scoped to what was decided ([`Scope`]: the DS action with its
//! démarche and dossier, the mount and path, the origin, the bytes charged),
//! is not `Clone`, and has no public constructor. The DS client (`pont-ds`)
//! takes one in every operation that reaches DS and checks that it covers
//! the call, so a DS request the gate did not decide does not compile. A
//! dossier's démarche may only be learnt from DS under a permit for the
//! action itself ([`Action::DsLocate`], or a read whose démarche is `None`).
//! Tools that use a backend on their own get their permits from a gate too
//! ([`Gate::for_tool`], [`EffectivePolicy::ds_only`]).

pub mod address;
mod audit;
mod audit_verify;
mod budget;
mod clip;
mod config;
mod effective;
mod error;
mod gate;
mod manifest;
mod mount_path;
mod origin;
mod permit;
mod standalone;
mod toml_error;

pub use audit::{
    AuditLog, AuditRecord, AuditStats, Decision, GENESIS_HASH, PersonAction, Seal, SealStore,
    head_path, read_records, record_hash,
};
pub use audit_verify::{Break, Intact, SealBook, verify_audit, verify_audit_with};
pub use budget::{DS_DESTINATION, Egress, LedgerSink, mount_destination};
pub use clip::{AUDIT_TEXT_MAX, JOURNAL_TEXT_MAX, clip, clip_owned};
pub use config::{
    APPROVABLE, ApprovalConfig, BrowserGrant, DS_STATES, DsLimitSettings, DsSettings, Limits,
    MountAccess, MountGrant, OnReject, OriginGrant, Paths, QueueConfig, QueueOrder, ReportConfig,
    Reprocess, RetryPolicy, RobotConfig, SecretGrant, SecretSource, SheetLimitSettings, WaitPolicy,
};
pub use effective::{EffectivePolicy, Missing};
pub use error::PolicyError;
pub use gate::{Action, Denied, DsAction, Gate, RunContext, SecretSink};
pub use manifest::{Manifest, Requests};
pub use origin::Origin;
pub use permit::{DsScope, Permit, Scope, WrongPermit};
