//! Executing approved proposals outside a run (`pont review approve`, the
//! console): the robot config's policy, gate and DS connection, without the
//! plugin. A run of the same config holds the journal's lock; then the run
//! sends them at its start instead.

use std::fs::File;
use std::path::{Path, PathBuf};

use pont_policy::{AuditLog, EffectivePolicy, Gate, Manifest, RobotConfig, RunContext};
use sha2::{Digest, Sha256};

use super::execute::{Executor, execute_all};
use super::{ApprovalError, Executed};
use crate::capabilities::ds::DsBackend;
use crate::journal::Journal;

fn config_err(e: impl std::fmt::Display) -> ApprovalError {
    ApprovalError::Config(e.to_string())
}

pub(super) async fn execute(config: &Path) -> Result<Executed, ApprovalError> {
    let config = RobotConfig::load(config).map_err(config_err)?;
    let manifest = Manifest::load(&config.manifest).map_err(config_err)?;
    let Some(_lock) = try_lock(&config.paths.journal)? else {
        return Ok(Executed {
            deferred: true,
            ..Executed::default()
        });
    };
    let Some(settings) = &config.ds else {
        return Err(ApprovalError::Config(
            "the robot config has no [ds] section".into(),
        ));
    };
    let policy = EffectivePolicy::compute(&manifest, &config).map_err(config_err)?;
    let journal = Journal::open(&config.paths.journal)?;
    let ds = DsBackend::new(
        settings,
        crate::limits::ds_limits(&policy.limits),
        &budget_dir(&config),
        None,
    )
    .map_err(config_err)?;
    let run_id = format!("approval-{}", crate::runner::new_run_id());
    let gate = gate(&config, &manifest, &journal, policy, &run_id)?;
    let ex = Executor {
        gate: &gate,
        ds: &ds,
        journal: &journal,
        journal_path: &config.paths.journal,
        audit_path: &config.paths.audit,
        robot: &manifest.name,
        run_id: &run_id,
    };
    let done = execute_all(&ex).await;
    let _ = gate.sync_audit();
    done
}

fn gate(
    config: &RobotConfig,
    manifest: &Manifest,
    journal: &Journal,
    policy: EffectivePolicy,
    run_id: &str,
) -> Result<Gate, ApprovalError> {
    let seals = journal.seal_store(&config.paths.journal);
    let audit = AuditLog::open(&config.paths.audit)
        .and_then(|l| l.with_seal_store(Box::new(seals)))
        .map_err(|e| ApprovalError::Audit {
            path: config.paths.audit.clone(),
            message: e.to_string(),
        })?;
    let digest = std::fs::read(&config.plugin)
        .map(|b| hex::encode(Sha256::digest(b)))
        .unwrap_or_default();
    let ctx = RunContext {
        run_id: run_id.to_string(),
        robot: manifest.name.clone(),
        plugin_digest: digest,
    };
    Ok(Gate::new(policy, ctx, audit))
}

/// Where the DS budget shared by processes lives, as a run finds it.
fn budget_dir(config: &RobotConfig) -> PathBuf {
    match config
        .paths
        .cache
        .clone()
        .or_else(crate::engine::default_cache_dir)
    {
        Some(cache) => cache.join("ds-budget"),
        None => config
            .paths
            .journal
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

/// The run lock of the journal, or `None` when a run holds it.
fn try_lock(journal: &Path) -> Result<Option<File>, ApprovalError> {
    let mut name = journal.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let path = journal.with_file_name(name);
    let file = File::create(&path)
        .map_err(|e| ApprovalError::Busy(format!("cannot create {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(ApprovalError::Busy(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}
