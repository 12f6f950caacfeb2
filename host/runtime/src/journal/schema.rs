//! The journal's schema, versioned with `PRAGMA user_version`: each step runs
//! once, in a transaction, so an older journal is upgraded in place and a
//! newer one is refused rather than misread.

use rusqlite::Connection;

/// Schema steps, applied in order; the index + 1 is the schema version.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    robot TEXT NOT NULL,
    plugin_digest TEXT NOT NULL,
    config_path TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    needs_review INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE items (
    run_id TEXT NOT NULL REFERENCES runs(id),
    number INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    reason TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    browser_actions INTEGER NOT NULL DEFAULT 0,
    tools INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, number, attempt)
);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    item INTEGER,
    ts TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX logs_by_item ON logs(run_id, item);
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    item INTEGER,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE state (
    robot TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (robot, key)
);
"#,
    // 2: the queue across runs, DS mutation intents and results, the egress
    // ledger and the listing cursors.
    r#"
CREATE TABLE queue (
    robot TEXT NOT NULL,
    number INTEGER NOT NULL,
    demarche INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,
    reason TEXT,
    run_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (robot, number)
);
CREATE INDEX queue_by_status ON queue(robot, status);
CREATE TABLE mutations (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    robot TEXT NOT NULL,
    number INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    operation TEXT NOT NULL,
    bytes INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    detail TEXT,
    intent_at TEXT NOT NULL,
    result_at TEXT
);
CREATE INDEX mutations_by_dossier ON mutations(robot, number, operation);
CREATE TABLE ledger (
    run_id TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    items INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (run_id, source, destination)
);
CREATE TABLE cursors (
    robot TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (robot, name)
);
ALTER TABLE items ADD COLUMN tools_used TEXT NOT NULL DEFAULT '';
"#,
    // 3: waiting and episodes. A waiting item keeps its attempt, so one
    // attempt can have several passes (an item row each); the queue row says
    // until when it waits and since when, and counts the passes. A dossier
    // the applicant changed starts a new episode: the queue row keeps its
    // number, why it started and the basis the change is judged against;
    // mutations are deduplicated per episode.
    r#"
CREATE TABLE items_v3 (
    run_id TEXT NOT NULL REFERENCES runs(id),
    number INTEGER NOT NULL,
    episode INTEGER NOT NULL DEFAULT 1,
    attempt INTEGER NOT NULL,
    pass INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    outcome TEXT,
    reason TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    browser_actions INTEGER NOT NULL DEFAULT 0,
    tools INTEGER NOT NULL DEFAULT 0,
    tools_used TEXT NOT NULL DEFAULT '',
    wait_ms INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, number, episode, attempt, pass)
);
INSERT INTO items_v3 (run_id, number, attempt, pass, status, outcome, reason, started_at,
    finished_at, duration_ms, browser_actions, tools, tools_used)
SELECT run_id, number, attempt, 1, status, outcome, reason, started_at, finished_at,
    duration_ms, browser_actions, tools, tools_used FROM items;
DROP TABLE items;
ALTER TABLE items_v3 RENAME TO items;
ALTER TABLE queue ADD COLUMN passes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN wake_at TEXT;
ALTER TABLE queue ADD COLUMN waiting_since TEXT;
ALTER TABLE queue ADD COLUMN episode INTEGER NOT NULL DEFAULT 1;
ALTER TABLE queue ADD COLUMN episode_reason TEXT;
ALTER TABLE queue ADD COLUMN basis TEXT;
ALTER TABLE mutations ADD COLUMN episode INTEGER NOT NULL DEFAULT 1;
CREATE INDEX mutations_by_episode ON mutations(robot, number, episode, operation);
"#,
    // 4: the second copy of each audit file's seal (see `journal::seal`),
    // keyed by the audit file's canonical path.
    r#"
CREATE TABLE audit_seals (
    audit TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    sealed_at TEXT NOT NULL
);
"#,
    // 5: proposals (four-eyes decisions, `approval`): the exact mutation a
    // robot proposed, what it was based on, the agent's decision and its
    // execution. `hash` binds the mutation as proposed, `approved_hash` the
    // one an agent approved (the agent's own motivation after a modify).
    r#"
CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    robot TEXT NOT NULL,
    number INTEGER NOT NULL,
    demarche INTEGER NOT NULL,
    episode INTEGER NOT NULL,
    run_id TEXT NOT NULL,
    action TEXT NOT NULL,
    motivation TEXT,
    justificatif_sha256 TEXT,
    justificatif_name TEXT,
    justificatif_type TEXT,
    disable_notification INTEGER NOT NULL DEFAULT 0,
    correction TEXT,
    reasons TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    dossier_state TEXT NOT NULL,
    based_on TEXT NOT NULL,
    hash TEXT NOT NULL,
    status TEXT NOT NULL,
    proposed_at TEXT NOT NULL,
    verdict TEXT,
    decided_by TEXT,
    decided_via TEXT,
    decided_instructeur TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    agent_motivation TEXT,
    approved_hash TEXT,
    executed_at TEXT,
    detail TEXT
);
CREATE INDEX proposals_by_status ON proposals(robot, status);
CREATE INDEX proposals_by_dossier ON proposals(robot, number);
"#,
];

pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal schema version {version} is newer than this pont ({}); upgrade pont",
            MIGRATIONS.len()
        )));
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
