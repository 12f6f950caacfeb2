//! The robot's state store, under the gate's permit and its `[limits]`.
//!
//! Every operation takes the permit the gate made for the state call and
//! takes its key (or prefix) from it, so the store is reached only through a
//! decision, and a permit for one key or operation serves no other. A write
//! also checks its key count and byte total (keys and values) per robot,
//! under one lock of the journal, so two items cannot both take the last room.

use pont_policy::{Permit, Scope, WrongPermit};
use rusqlite::{OptionalExtension, params};

use super::{Journal, now};

/// How much of its state store a robot may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateBounds {
    pub max_keys: u32,
    pub max_bytes: u64,
}

/// A write refused because the store would pass one of its bounds.
#[derive(Debug)]
pub(crate) enum StateSet {
    Written,
    Refused(String),
}

/// Why a state call did not reach the store, or how the store failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StateError {
    /// The permit is for another key, operation or capability: a host bug.
    #[error("{0}")]
    Unpermitted(#[from] WrongPermit),
    #[error("state store: {0}")]
    Journal(#[from] rusqlite::Error),
}

/// The key a permit for state `operation` (`get`, `set`, `delete`) covers,
/// and the bytes the gate counted for it.
fn key<'p>(permit: &'p Permit, operation: &str) -> Result<(&'p str, u64), WrongPermit> {
    match permit.scope() {
        Scope::State { key, bytes } if permit.action() == operation => Ok((key, *bytes)),
        _ => Err(permit.mismatch(&format!("state {operation}"))),
    }
}

impl Journal {
    /// The value of the key the `get` permit names.
    pub(crate) fn state_get(
        &self,
        permit: &Permit,
        robot: &str,
    ) -> Result<Option<Vec<u8>>, StateError> {
        let (key, _) = key(permit, "get")?;
        let value = self
            .conn()
            .query_row(
                "SELECT value FROM state WHERE robot = ?1 AND key = ?2",
                params![robot, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value)
    }

    /// Remove the key the `delete` permit names; whether it was there.
    pub(crate) fn state_delete(&self, permit: &Permit, robot: &str) -> Result<bool, StateError> {
        let (key, _) = key(permit, "delete")?;
        let n = self.conn().execute(
            "DELETE FROM state WHERE robot = ?1 AND key = ?2",
            params![robot, key],
        )?;
        Ok(n > 0)
    }

    /// The keys under the prefix the `keys` permit names, sorted.
    pub(crate) fn state_keys(
        &self,
        permit: &Permit,
        robot: &str,
    ) -> Result<Vec<String>, StateError> {
        let Scope::StateKeys { prefix } = permit.scope() else {
            return Err(permit.mismatch("state keys").into());
        };
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT key FROM state WHERE robot = ?1 AND substr(key, 1, ?3) = ?2 ORDER BY key",
        )?;
        let count = prefix.chars().count() as i64;
        let rows = stmt.query_map(params![robot, prefix, count], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Set the key the `set` permit names to `value`, which must be the size
    /// the gate counted, unless the robot's store would then pass `bounds`
    /// (replacing a key counts the new value instead of the old one).
    pub(crate) fn state_set_bounded(
        &self,
        permit: &Permit,
        robot: &str,
        value: &[u8],
        bounds: StateBounds,
    ) -> Result<StateSet, StateError> {
        let (key, bytes) = key(permit, "set")?;
        if bytes != value.len() as u64 {
            let wanted = format!("a value of {} bytes", value.len());
            return Err(permit.mismatch(&wanted).into());
        }
        let conn = self.conn();
        let (keys, bytes): (i64, i64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(length(CAST(key AS BLOB)) + length(value)), 0)
             FROM state WHERE robot = ?1",
            [robot],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let old: Option<i64> = conn
            .query_row(
                "SELECT length(CAST(key AS BLOB)) + length(value) FROM state WHERE robot = ?1 AND key = ?2",
                params![robot, key],
                |r| r.get(0),
            )
            .optional()?;
        let keys_after = keys as u64 + u64::from(old.is_none());
        let bytes_after = (bytes - old.unwrap_or(0)) as u64 + (key.len() + value.len()) as u64;
        if keys_after > u64::from(bounds.max_keys) {
            return Ok(StateSet::Refused(format!(
                "the state store holds {keys} keys already (limits.state-keys is {})",
                bounds.max_keys
            )));
        }
        if bytes_after > bounds.max_bytes {
            return Ok(StateSet::Refused(format!(
                "the state store would hold {bytes_after} bytes (limits.state-mb is {} MiB)",
                bounds.max_bytes / (1024 * 1024)
            )));
        }
        conn.execute(
            "INSERT INTO state (robot, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (robot, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![robot, key, value, now()],
        )?;
        Ok(StateSet::Written)
    }
}

/// The permit for state call `action` from a gate that grants state, for
/// the journal's tests.
#[cfg(test)]
pub(crate) fn test_permit(dir: &std::path::Path, action: &pont_policy::Action<'_>) -> Permit {
    let mut policy = pont_policy::EffectivePolicy::ds_only("journal-test", &[], &[]);
    policy.state = true;
    let audit = dir.join("journal-test-audit.jsonl");
    let gate = pont_policy::Gate::for_tool("journal-test", policy, &audit).unwrap();
    gate.authorize(None, action).unwrap()
}

#[cfg(test)]
mod tests;
