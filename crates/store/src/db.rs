//! Opening the database: pragmas and embedded, ordered migrations.

use crate::{Result, StoreError};
use rusqlite::Connection;
use std::path::Path;

/// The database file's name inside the data dir.
pub const DB_FILE: &str = "causeway.db";

/// Migrations, applied in order; each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "ingest", include_str!("../migrations/0002_ingest.sql")),
    (
        3,
        "deliveries",
        include_str!("../migrations/0003_deliveries.sql"),
    ),
    (4, "polling", include_str!("../migrations/0004_polling.sql")),
    (
        5,
        "correlation",
        include_str!("../migrations/0005_correlation.sql"),
    ),
    (
        8,
        "processing_order",
        include_str!("../migrations/0008_processing_order.sql"),
    ),
    (
        12,
        "pipeline",
        include_str!("../migrations/0012_pipeline.sql"),
    ),
];

/// The write-ahead log is cut back to this size whenever a checkpoint
/// empties it: a storm may grow it, but it does not stay big.
pub const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Opens (creating if needed) the database in `data_dir` with the house pragmas.
pub fn open_connection(data_dir: &Path) -> Result<Connection> {
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let conn = Connection::open(data_dir.join(DB_FILE))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL under WAL survives a process crash (kill -9); only an OS crash
    // could lose the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)?;
    Ok(conn)
}

/// Applies every migration the database has not had, in order. Not only
/// those newer than its latest: numbers are handed out to work that lands
/// in any order (0005 may land after 0008), and a database that already
/// has 0008 must still get 0005.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let applied: std::collections::BTreeSet<i64> = conn
        .prepare("SELECT version FROM schema_migrations")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| !applied.contains(&m.0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, datetime('now'))",
            rusqlite::params![version, name],
        )?;
        tx.commit()?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pragmas_and_migrations_apply_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = open_connection(dir.path()).unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = c
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        let limit: i64 = c
            .query_row("PRAGMA journal_size_limit", [], |r| r.get(0))
            .unwrap();
        assert_eq!(limit, WAL_LIMIT_BYTES);
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, MIGRATIONS.len() as i64);
        // Foreign keys are enforced: an inbox row needs a real instance.
        let err = c.execute(
            "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, body) VALUES ('nope','x','default','t',x'00')",
            [],
        );
        assert!(err.is_err());
    }
}
