//! The host's bounds on one robot, from the config's `[limits]`.
//!
//! Per item ([`ItemLimiter`], held by the item's Store): memory summed over
//! every linear memory of the item (a component may hold several), table
//! elements likewise, live resource handles, and log lines. Per run
//! ([`RunLimits`], shared by every item): the spool's bytes held at once and
//! the evidence kept. Each breach answers the robot with a `limit` error (or,
//! for memory, a trap that says so); the host itself never grows past them.

use pont_policy::Limits;
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;

mod run;

pub(crate) use run::{RunLimits, SpoolHold, ds_limits};

/// Table elements a robot may have, summed over its tables (function tables
/// of large programs).
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Memory, table, handle and log caps for one item's Store.
#[derive(Debug)]
pub(crate) struct ItemLimiter {
    memory_cap: usize,
    /// Bytes of every linear memory of the item, as last grown.
    memory_used: usize,
    /// Elements of every table of the item.
    table_used: usize,
    /// Set when the robot tried to grow past the cap.
    pub memory_exceeded: bool,
    /// Log lines the robot may write in this item.
    pub log_lines_cap: u32,
    /// Log lines written so far, and lines dropped past the cap.
    pub log_lines: u32,
    pub log_dropped: u32,
}

impl ItemLimiter {
    pub fn new(limits: &Limits) -> Self {
        Self {
            memory_cap: limits.memory_mb as usize * 1024 * 1024,
            memory_used: 0,
            table_used: 0,
            memory_exceeded: false,
            log_lines_cap: limits.log_lines_per_item,
            log_lines: 0,
            log_dropped: 0,
        }
    }

    /// Count one log line; `false` when it is past the cap and is dropped.
    pub fn admit_log_line(&mut self) -> bool {
        if self.log_lines < self.log_lines_cap {
            self.log_lines += 1;
            return true;
        }
        self.log_dropped = self.log_dropped.saturating_add(1);
        false
    }
}

/// The item's resource table, holding at most `handles-per-item` live
/// handles (blobs, mounts, workbooks, sessions, elements, HTTP bodies…).
pub(crate) fn item_table(limits: &Limits) -> ResourceTable {
    let mut table = ResourceTable::new();
    table.set_max_capacity(limits.handles_per_item as usize);
    table
}

impl ResourceLimiter for ItemLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Memories of one Store live as long as it: the sum only grows.
        let total = (self.memory_used - current.min(self.memory_used)).saturating_add(desired);
        if total > self.memory_cap {
            self.memory_exceeded = true;
            wasmtime::bail!(
                "memory cap of {} MiB exceeded (all of the item's memories together)",
                self.memory_cap / (1024 * 1024)
            );
        }
        self.memory_used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = (self.table_used - current.min(self.table_used)).saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return Ok(false);
        }
        self.table_used = total;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(memory_mb: u32) -> ItemLimiter {
        ItemLimiter::new(&Limits {
            memory_mb,
            log_lines_per_item: 2,
            ..Limits::default()
        })
    }

    #[test]
    fn memory_is_capped_over_all_memories_of_the_item() {
        let mib = 1024 * 1024;
        let mut l = limiter(10);
        // Two memories of 6 MiB each: each under the cap, together over it.
        assert!(l.memory_growing(0, 6 * mib, None).unwrap());
        assert!(l.memory_growing(0, 3 * mib, None).unwrap());
        // Growing the second from 3 to 4 MiB: 10 in all, still allowed.
        assert!(l.memory_growing(3 * mib, 4 * mib, None).unwrap());
        assert!(l.memory_growing(0, mib, None).is_err());
        assert!(l.memory_exceeded);
    }

    #[test]
    fn tables_are_summed_too() {
        let mut l = limiter(10);
        assert!(l.table_growing(0, 60_000, None).unwrap());
        assert!(!l.table_growing(0, 60_000, None).unwrap());
    }

    #[test]
    fn log_lines_past_the_cap_are_counted_not_kept() {
        let mut l = limiter(10);
        assert!(l.admit_log_line() && l.admit_log_line());
        assert!(!l.admit_log_line() && !l.admit_log_line());
        assert_eq!((l.log_lines, l.log_dropped), (2, 2));
    }
}
