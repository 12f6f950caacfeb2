//! The robot's state store under its `[limits]`: a key count and a byte
//! total (keys and values) per robot, checked and written under one lock of
//! the journal, so two items cannot both take the last room.

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

impl Journal {
    /// Set `key` to `value` unless the robot's store would then pass `bounds`
    /// (replacing a key counts the new value instead of the old one).
    pub(crate) fn state_set_bounded(
        &self,
        robot: &str,
        key: &str,
        value: &[u8],
        bounds: StateBounds,
    ) -> rusqlite::Result<StateSet> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(s: StateSet) -> String {
        match s {
            StateSet::Refused(why) => why,
            StateSet::Written => panic!("written"),
        }
    }

    #[test]
    fn keys_and_bytes_are_bounded_per_robot_and_replacing_is_not_adding() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("j.sqlite")).unwrap();
        let b = StateBounds {
            max_keys: 2,
            max_bytes: 20,
        };
        let set = |robot: &str, k: &str, v: &[u8]| j.state_set_bounded(robot, k, v, b).unwrap();
        assert!(matches!(set("r", "a", b"12345"), StateSet::Written));
        assert!(matches!(set("r", "b", b"12345"), StateSet::Written));
        assert!(refused(set("r", "c", b"1")).contains("limits.state-keys"));
        // Another robot has its own store.
        assert!(matches!(set("other", "c", b"1"), StateSet::Written));
        // Replacing `a` with a larger value: 1 + 13 + 6 = 20 bytes, allowed; one more is not.
        assert!(matches!(set("r", "a", &[0; 13]), StateSet::Written));
        assert!(refused(set("r", "a", &[0; 14])).contains("limits.state-mb"));
        assert_eq!(j.state_get("r", "a").unwrap().unwrap().len(), 13);
    }
}
