//! `correlation_settings`: correlation settings applied after a back-test.

use crate::{ts, Result};
use rusqlite::{params, Connection, OptionalExtension};

/// Records settings applied to `project`'s engine.
pub fn insert(
    conn: &Connection,
    at: chrono::DateTime<chrono::Utc>,
    project: &str,
    config_json: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO correlation_settings (applied_at, project_id, config) VALUES (?1, ?2, ?3)",
        params![ts(at), project, config_json],
    )?;
    Ok(())
}

/// The settings applied last to `project`, as JSON.
pub fn latest(conn: &Connection, project: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT config FROM correlation_settings WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
            [project],
            |r| r.get(0),
        )
        .optional()?)
}
