//! Everything checked and compiled before the first item: config, manifest,
//! plugin digest and signature, effective policy, engine and component. A run
//! that cannot start says why before it touches anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pont_policy::{EffectivePolicy, Manifest, RobotConfig};
use sha2::{Digest, Sha256};

use super::RunOptions;
use crate::bindings::RobotPre;
use crate::engine::{EngineSettings, PontEngine, default_cache_dir, one_line};
use crate::error::RuntimeError;
use crate::store::ItemState;

/// Everything checked and compiled, ready to run items.
pub(crate) struct Prepared {
    pub config: RobotConfig,
    pub manifest: Manifest,
    pub policy: EffectivePolicy,
    pub digest: String,
    pub signature: String,
    pub engine: PontEngine,
    pub pre: RobotPre<ItemState>,
    /// The cache directory in use (`--cache-dir`, `paths.cache` or the
    /// user's), where the DS budget shared by processes lives.
    pub cache: Option<PathBuf>,
}

pub(super) fn prepare(opts: &RunOptions) -> Result<Prepared, RuntimeError> {
    let config = RobotConfig::load(&opts.config)?;
    let manifest = Manifest::load(&config.manifest)?;
    let plugin = config.plugin.display().to_string();
    let invalid = |message: String| RuntimeError::PluginInvalid {
        path: plugin.clone(),
        message,
    };
    let bytes =
        std::fs::read(&config.plugin).map_err(|e| invalid(format!("cannot read it: {e}")))?;
    let digest = hex::encode(Sha256::digest(&bytes));
    if let Some(pin) = &config.sha256
        && *pin != digest
    {
        return Err(RuntimeError::Integrity(format!(
            "plugin {plugin} has SHA-256 {digest}, but the robot config pins {pin}"
        )));
    }
    let signature = check_signature(&config, &bytes, opts.allow_unsigned)?;
    let policy = EffectivePolicy::compute(&manifest, &config)?;
    let engine = PontEngine::new(EngineSettings {
        max_memory_bytes: mib(policy.limits.memory_mb),
        // One instance per live item (running, or parked while a DS
        // request waits to be retried: `item::Slots`), plus `finish`.
        concurrency: u32::try_from(opts.parallel.max(1) * super::slots::LIVE_PER_SLOT + 1)
            .unwrap_or(u32::MAX),
    })?;
    let cache = opts
        .cache_dir
        .clone()
        .or_else(|| config.paths.cache.clone())
        .or_else(default_cache_dir);
    let component = engine
        .load_component(&bytes, cache.as_deref())
        .map_err(|e| invalid(e.to_string()))?;
    let http = !policy.http.is_empty();
    crate::linker::check_imports(engine.engine(), &component, http).map_err(invalid)?;
    let linker = crate::linker::build(engine.engine(), &component, http)
        .map_err(|e| RuntimeError::Fatal(one_line(&e)))?;
    let pre = linker
        .instantiate_pre(&component)
        .and_then(RobotPre::new)
        .map_err(|e| invalid(one_line(&e)))?;
    Ok(Prepared {
        config,
        manifest,
        policy,
        digest,
        signature,
        engine,
        pre,
        cache,
    })
}

const NO_KEY: &str =
    "the robot config lists no trusted key (plugin.trusted-keys or plugin.trusted-key-files)";

/// The plugin must be signed by a key the config trusts, unless the
/// operator explicitly runs in development mode.
fn check_signature(
    config: &RobotConfig,
    bytes: &[u8],
    allow_unsigned: bool,
) -> Result<String, RuntimeError> {
    let inline = inline_keys(config)?;
    let verdict = file_keys(config).and_then(|mut keys| {
        keys.extend(inline);
        if keys.is_empty() {
            return Err(NO_KEY.to_string());
        }
        pont_trust::verify_plugin(&config.plugin, bytes, &config.manifest, &keys)
            .map_err(|e| e.to_string())
    });
    match verdict {
        Ok(v) => Ok(format!(
            "signature verified: signed by trusted key {} (manifest covered by {})",
            v.key_id, v.manifest_covered_by
        )),
        Err(why) if allow_unsigned => {
            tracing::warn!(
                "DEVELOPMENT MODE: running a plugin that is not signed by a trusted key: {why}"
            );
            Ok(format!("NOT VERIFIED (--allow-unsigned): {why}"))
        }
        Err(why) => Err(RuntimeError::Integrity(format!(
            "plugin {} is not trusted: {why}; sign it (`pont sign`) and list the key in plugin.trusted-keys or plugin.trusted-key-files, or pass --allow-unsigned for development",
            config.plugin.display()
        ))),
    }
}

/// The key lines written in the config: one that does not parse is a
/// config error, whatever the mode.
fn inline_keys(config: &RobotConfig) -> Result<Vec<pont_trust::PublicKey>, RuntimeError> {
    config
        .trusted_keys
        .iter()
        .map(|k| pont_trust::PublicKey::parse(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            RuntimeError::Integrity(format!(
                "robot config {}: `plugin.trusted-keys`: {e}",
                config.path.display()
            ))
        })
}

/// The key files the config names, read now. A missing or unreadable one
/// means the plugin cannot be verified as the operator asked: the run is
/// refused (or, with `--allow-unsigned`, runs in development mode, saying why).
fn file_keys(config: &RobotConfig) -> Result<Vec<pont_trust::PublicKey>, String> {
    config
        .trusted_key_files
        .iter()
        .map(|f| {
            pont_trust::PublicKey::load(f)
                .map_err(|e| format!("trusted key file (plugin.trusted-key-files): {e}"))
        })
        .collect()
}

/// Connect to DS only when the robot may use it.
pub(super) fn ds_backend(
    p: &Prepared,
    observer: Option<Arc<dyn pont_ds::DsObserver>>,
) -> Result<Option<Arc<crate::capabilities::ds::DsBackend>>, RuntimeError> {
    match &p.config.ds {
        Some(settings) if !p.policy.ds_actions.is_empty() => {
            Ok(Some(Arc::new(crate::capabilities::ds::DsBackend::new(
                settings,
                crate::limits::ds_limits(&p.policy.limits),
                &ds_budget_dir(p),
                observer,
            )?)))
        }
        _ => Ok(None),
    }
}

/// Where the DS budget shared by every `pont run` on one token lives: the
/// cache directory, or beside the journal when there is none (no `$HOME`).
fn ds_budget_dir(p: &Prepared) -> PathBuf {
    match &p.cache {
        Some(cache) => cache.join("ds-budget"),
        None => p
            .config
            .paths
            .journal
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    }
}

pub(super) fn mib(mb: u32) -> usize {
    mb as usize * 1024 * 1024
}
