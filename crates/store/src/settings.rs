//! `correlation_settings`: correlation settings applied after a back-test.

use crate::{ts, Result};
use rusqlite::{params, Connection, OptionalExtension};

pub fn insert(
    conn: &Connection,
    at: chrono::DateTime<chrono::Utc>,
    config_json: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO correlation_settings (applied_at, config) VALUES (?1, ?2)",
        params![ts(at), config_json],
    )?;
    Ok(())
}

/// The settings applied last, as JSON.
pub fn latest(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT config FROM correlation_settings ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}
