//! Episodes of a dossier: a dossier whose outcome is settled is processed
//! again when DS shows a change the robot did not make (the applicant edited
//! it, answered a correction request, wrote, or its state moved under the
//! robot). The queue row then starts a new episode: fresh attempts, a new
//! basis, and mutations deduplicated anew.

use rusqlite::params;

use super::{Journal, now};

/// Statuses whose dossier may start a new episode: settled outcomes, not a
/// dossier waiting for a person or still in the robot's hands.
const SETTLED: &str = "('done', 'skipped', 'failed', 'dismissed')";

impl Journal {
    /// Start the dossier's next episode, saying why. Returns the new episode
    /// number, or `None` when the dossier was not settled (nothing changed).
    pub fn new_episode(
        &self,
        robot: &str,
        number: i64,
        reason: &str,
        basis: &str,
    ) -> rusqlite::Result<Option<u32>> {
        let sql = format!(
            "UPDATE queue SET episode = episode + 1, episode_reason = ?3, basis = ?4,
                status = 'pending', attempts = 0, outcome = NULL, reason = NULL,
                wake_at = NULL, waiting_since = NULL, updated_at = ?5
             WHERE robot = ?1 AND number = ?2 AND status IN {SETTLED}
             RETURNING episode"
        );
        let conn = self.conn();
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(params![robot, number, reason, basis, now()])?;
        rows.next()?.map(|r| r.get(0)).transpose()
    }

    /// Keep what DS shows as the dossier's basis, when none was kept (a
    /// dossier settled before episodes existed, or without a DS read).
    pub fn adopt_basis(&self, robot: &str, number: i64, basis: &str) -> rusqlite::Result<()> {
        self.conn().execute(
            "UPDATE queue SET basis = ?3 WHERE robot = ?1 AND number = ?2 AND basis IS NULL",
            params![robot, number, basis],
        )?;
        Ok(())
    }
}
