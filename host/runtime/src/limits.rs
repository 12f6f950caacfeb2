//! The per-item resource limiter: a memory cap whose breach is a trap that
//! says what happened.

use wasmtime::ResourceLimiter;

/// Memory and table caps for one item's Store.
#[derive(Debug)]
pub(crate) struct ItemLimiter {
    memory_cap: usize,
    /// Set when the robot tried to grow past the cap.
    pub memory_exceeded: bool,
}

/// Table elements a robot may have (function tables of large programs).
const MAX_TABLE_ELEMENTS: usize = 100_000;

impl ItemLimiter {
    pub fn new(memory_cap: usize) -> Self {
        Self {
            memory_cap,
            memory_exceeded: false,
        }
    }
}

impl ResourceLimiter for ItemLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            self.memory_exceeded = true;
            wasmtime::bail!(
                "memory cap of {} MiB exceeded",
                self.memory_cap / (1024 * 1024)
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
