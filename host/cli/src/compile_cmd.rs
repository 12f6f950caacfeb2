//! `pont compile`: compile a plugin to native code into the component cache
//! ahead of its first run. A Python robot's component (CPython inside) takes
//! tens of seconds to compile; a scheduler's first run, or a test, should not
//! pay for it. Later runs load the cached artefact (keyed by the component's
//! SHA-256 and the engine's settings) in a fraction of a second.

use std::path::{Path, PathBuf};
use std::time::Instant;

use pont_runtime::{EngineSettings, PontEngine, default_cache_dir};

use crate::exit::{Exit, Failure};

pub(crate) fn compile(plugin: &Path, cache_dir: Option<PathBuf>) -> Result<Exit, Failure> {
    let cache = cache_dir
        .or_else(default_cache_dir)
        .ok_or_else(|| Failure::new(Exit::Usage, "no cache directory: pass --cache-dir"))?;
    let bytes = std::fs::read(plugin).map_err(|e| {
        Failure::new(
            Exit::Plugin,
            format!("cannot read {}: {e}", plugin.display()),
        )
    })?;
    // The memory cap and pool size do not enter compiled code: any will do.
    let engine = PontEngine::new(EngineSettings {
        max_memory_bytes: 128 << 20,
        concurrency: 1,
    })
    .map_err(Failure::from)?;
    let started = Instant::now();
    engine
        .load_component(&bytes, Some(&cache))
        .map_err(|e| Failure::new(Exit::Plugin, format!("{}: {e}", plugin.display())))?;
    println!(
        "{}: compiled code in {} ({:.1} s)",
        plugin.display(),
        cache.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Exit::Ok)
}
