//! One wasmtime engine per process: async, epoch interruption for deadlines,
//! the pooling allocator so an instance per item costs microseconds, and a
//! disk cache of compiled components so a warm start does not recompile.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::error::RuntimeError;

/// How often the epoch advances: the granularity of item deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Sizing of the engine, from the robot's limits.
#[derive(Debug, Clone, Copy)]
pub struct EngineSettings {
    /// Largest linear memory an instance may have, in bytes.
    pub max_memory_bytes: usize,
    /// How many items may run at once (instances kept in the pool).
    pub concurrency: u32,
}

/// The engine and the thread that ticks its epoch. Dropping it stops the
/// thread.
pub struct PontEngine {
    engine: Engine,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for PontEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PontEngine").finish_non_exhaustive()
    }
}

impl PontEngine {
    pub fn new(settings: EngineSettings) -> Result<Self, RuntimeError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling(settings)));
        let engine = Engine::new(&config)
            .map_err(|e| RuntimeError::Fatal(format!("cannot create the wasm engine: {e}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop.clone());
        Ok(Self { engine, stop })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compile `bytes`, or load the compiled artifact from `cache_dir`.
    pub fn load_component(
        &self,
        bytes: &[u8],
        cache_dir: Option<&Path>,
    ) -> Result<Component, RuntimeError> {
        let Some(dir) = cache_dir else {
            return self.compile(bytes);
        };
        if let Err(e) = private_dir(dir) {
            tracing::warn!("not using the component cache: {e}");
            return self.compile(bytes);
        }
        let path = self.cache_path(dir, bytes);
        if let Some(component) = self.load_cached(&path) {
            tracing::debug!(path = %path.display(), "compiled component loaded from cache");
            return Ok(component);
        }
        self.compile_once(&path, bytes)
    }

    /// Compile on a cache miss, one process at a time: runs of a large robot
    /// that start together (a Python component takes tens of seconds to
    /// compile) compile it once, the later ones loading what the first
    /// stored. Without the lock (a filesystem without locks), each compiles.
    fn compile_once(&self, path: &Path, bytes: &[u8]) -> Result<Component, RuntimeError> {
        let lock =
            std::fs::File::create(path.with_extension("lock")).and_then(|f| f.lock().map(|()| f));
        if lock.is_ok()
            && let Some(component) = self.load_cached(path)
        {
            return Ok(component);
        }
        let component = self.compile(bytes)?;
        if let Err(e) = store_cached(path, &component) {
            tracing::warn!(path = %path.display(), "cannot cache the compiled component: {e}");
        }
        Ok(component)
    }

    fn compile(&self, bytes: &[u8]) -> Result<Component, RuntimeError> {
        Component::new(&self.engine, bytes)
            .map_err(|e| RuntimeError::Plugin(format!("not a valid component: {}", one_line(&e))))
    }

    /// The cache key: the component's SHA-256 and the engine settings that
    /// affect compiled code (wasmtime version, target, flags).
    fn cache_path(&self, dir: &Path, bytes: &[u8]) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        let digest = hex::encode(Sha256::digest(bytes));
        dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()))
    }

    #[allow(unsafe_code)]
    fn load_cached(&self, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: deserializing trusts the file to be wasmtime's own output.
        // Only this host writes the cache, into a directory it created private
        // to the user (checked by `private_dir`), and under a name derived
        // from the component's hash and the engine's settings; wasmtime itself
        // checks the artifact's version and settings and fails if they differ.
        match unsafe { Component::deserialize_file(&self.engine, path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(path = %path.display(), "ignoring unusable cache entry: {e}");
                None
            }
        }
    }
}

impl Drop for PontEngine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn pooling(settings: EngineSettings) -> PoolingAllocationConfig {
    // A robot component holds a handful of core instances (its code, the WASI
    // adapter glue); keep room for a few per running item.
    let slots = settings.concurrency.max(1) * 2 + 2;
    let mut p = PoolingAllocationConfig::new();
    p.total_component_instances(slots)
        .total_core_instances(slots * 16)
        .total_memories(slots * 4)
        .total_tables(slots * 8)
        .total_stacks(slots)
        .max_core_instances_per_component(32)
        .max_memories_per_component(4)
        .max_tables_per_component(16)
        .max_component_instance_size(1 << 20)
        .max_core_instance_size(1 << 20)
        .table_elements(100_000)
        .max_memory_size(settings.max_memory_bytes)
        // A fresh instance per item reuses a pool slot whose memory was used
        // by the item before. By default the slot is reset with `madvise`,
        // which drops its pages: the next item then takes a page fault (and
        // the kernel zeroes a page) for each page it touches again, its
        // stack and heap included. Resetting up to this much with a plain
        // copy of the original image (or zeroes) keeps the pages mapped;
        // with `pagemap_scan` (Linux 6.7+) only the pages the item dirtied
        // are reset. Either way the next item sees exactly the initial
        // memory, as before: only how the reset is done changes.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT_TABLES)
        .pagemap_scan(wasmtime::Enabled::Auto);
    p
}

/// Bytes of each linear memory reset in place rather than decommitted when
/// an instance is dropped (see [`pooling`]): more than a small robot's stack
/// and heap, little against the memory a pool slot holds anyway.
const KEEP_RESIDENT: usize = 4 << 20;

/// The same for tables (function tables, a few hundred KiB at most).
const KEEP_RESIDENT_TABLES: usize = 256 << 10;

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("pont-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch thread");
}

fn store_cached(path: &Path, component: &Component) -> std::io::Result<()> {
    let bytes = component
        .serialize()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Create the cache directory private to the user, and refuse one that
/// others can write (they could plant native code there).
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let mode = std::fs::metadata(dir)?.permissions().mode();
    if mode & 0o022 != 0 {
        return Err(std::io::Error::other(format!(
            "{} is writable by other users; the cache needs a private directory",
            dir.display()
        )));
    }
    Ok(())
}

/// The default cache directory: `$PONT_CACHE_DIR`, else the user's cache.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PONT_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("pont"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("pont"))
}

/// An error chain on one line.
pub(crate) fn one_line(e: &wasmtime::Error) -> String {
    let text = format!("{e:#}");
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}
