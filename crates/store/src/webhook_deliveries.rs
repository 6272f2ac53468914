//! `webhook_deliveries`: provider delivery ids already taken in.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// The inbox row of an earlier delivery with this id, if there was one.
pub fn seen(
    conn: &Connection,
    instance_id: &str,
    delivery_id: &str,
) -> Result<Option<Option<i64>>> {
    Ok(conn
        .prepare_cached(
            "SELECT inbox_id FROM webhook_deliveries WHERE instance_id = ?1 AND delivery_id = ?2",
        )?
        .query_row(params![instance_id, delivery_id], |r| r.get(0))
        .optional()?)
}

pub fn insert(
    conn: &Connection,
    instance_id: &str,
    delivery_id: &str,
    inbox_id: i64,
    at: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO webhook_deliveries (instance_id, delivery_id, inbox_id, received_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![instance_id, delivery_id, inbox_id, at])?;
    Ok(())
}

/// Forgets delivery ids received before `before`: a provider re-sends
/// within minutes or hours, not after the retention period.
pub fn delete_before(conn: &Connection, before: &str) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM webhook_deliveries WHERE received_at < ?1",
        params![before],
    )?)
}
