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
        9,
        "store_identity",
        include_str!("../migrations/0009_store_identity.sql"),
    ),
    (
        12,
        "pipeline",
        include_str!("../migrations/0012_pipeline.sql"),
    ),
    (13, "team", include_str!("../migrations/0013_team.sql")),
    (
        14,
        "projects",
        include_str!("../migrations/0014_projects.sql"),
    ),
    (
        15,
        "project settings",
        include_str!("../migrations/0015_project_settings.sql"),
    ),
    (
        16,
        "state frames",
        include_str!("../migrations/0016_state_frames.sql"),
    ),
    (
        17,
        "incident pages",
        include_str!("../migrations/0017_incident_pages.sql"),
    ),
    (
        18,
        "unread index",
        include_str!("../migrations/0018_unread_index.sql"),
    ),
    (
        19,
        "state parts",
        include_str!("../migrations/0019_state_parts.sql"),
    ),
];

/// The write-ahead log is cut back to this size whenever a checkpoint
/// empties it: a storm may grow it, but it does not stay big.
pub const WAL_LIMIT_BYTES: i64 = 64 * 1024 * 1024;

/// Each connection's page cache, KiB.
const CACHE_KIB: i64 = 16 * 1024;

/// Opens (creating if needed) the database in `data_dir` with the house pragmas.
pub fn open_connection(data_dir: &Path) -> Result<Connection> {
    let dir_error = |source| StoreError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    private::create_dir(data_dir).map_err(dir_error)?;
    private::file(&data_dir.join(DB_FILE)).map_err(dir_error)?;
    let conn = Connection::open(data_dir.join(DB_FILE))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL under WAL survives a process crash (kill -9); only an OS crash
    // could lose the last commits.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "journal_size_limit", WAL_LIMIT_BYTES)?;
    // SQLite's default page cache (2 MiB) holds a small fraction of the
    // signal and link indexes once a storm has filled them; every insert
    // with a random key then read its pages back from the file (a quarter
    // of the processing time in `bench ingest`). A page cache is filled
    // only as it is used.
    conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    Ok(conn)
}

/// The data folder is its owner's alone: other users of the machine must not
/// read the incidents, raw payloads and connector settings in it. SQLite
/// gives the `-wal` and `-shm` files the database file's mode.
#[cfg(unix)]
mod private {
    use std::fs::{self, Permissions};
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    /// Creates `dir` (and missing parents) as 0700, and takes group and
    /// other access away from an existing one.
    pub fn create_dir(dir: &Path) -> std::io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        tighten(dir, 0o700)
    }

    /// Creates `file` empty as 0600 when missing (SQLite then fills it);
    /// an existing one, and its `-wal` and `-shm`, are made 0600.
    pub fn file(file: &Path) -> std::io::Result<()> {
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(file)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        tighten(file, 0o600)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = file.as_os_str().to_owned();
            side.push(suffix);
            match tighten(Path::new(&side), 0o600) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn tighten(path: &Path, mode: u32) -> std::io::Result<()> {
        let now = fs::metadata(path)?.permissions().mode() & 0o777;
        if now & !mode != 0 {
            fs::set_permissions(path, Permissions::from_mode(now & mode))?;
        }
        Ok(())
    }
}

/// Elsewhere the data folder is in the user's profile, which the OS
/// already keeps from other users.
#[cfg(not(unix))]
mod private {
    use std::path::Path;

    pub fn create_dir(dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)
    }

    pub fn file(_: &Path) -> std::io::Result<()> {
        Ok(())
    }
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
        // Every data folder has a keychain scope of its own.
        let scope = crate::meta::keychain_scope(&c).unwrap();
        assert_eq!(scope.len(), 32);
        let other = tempfile::tempdir().unwrap();
        let mut c2 = open_connection(other.path()).unwrap();
        migrate(&mut c2).unwrap();
        assert_ne!(crate::meta::keychain_scope(&c2).unwrap(), scope);
        assert_eq!(
            crate::meta::get(&c, crate::meta::KEYCHAIN_UNSCOPED).unwrap(),
            None
        );
        // Foreign keys are enforced: an inbox row needs a real instance.
        let err = c.execute(
            "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, body) VALUES ('nope','x','default','t',x'00')",
            [],
        );
        assert!(err.is_err());
    }

    /// Other users of the machine read nothing: a new folder is 0700 and its
    /// database 0600 (the write-ahead log too); an old, open one is closed.
    #[cfg(unix)]
    #[test]
    fn the_folder_and_its_files_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let fresh = tmp.path().join("a/data");
        let mut c = open_connection(&fresh).unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(mode(&fresh), 0o700);
        assert_eq!(mode(&fresh.join(DB_FILE)), 0o600);
        assert_eq!(mode(&fresh.join("causeway.db-wal")), 0o600);

        let old = tmp.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(old.join(DB_FILE), b"").unwrap();
        std::fs::set_permissions(old.join(DB_FILE), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        open_connection(&old).unwrap();
        assert_eq!(mode(&old), 0o700);
        assert_eq!(mode(&old.join(DB_FILE)), 0o600);
    }
}
