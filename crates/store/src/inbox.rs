//! `inbox`: every accepted payload, committed before the sender gets its 2xx.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// A payload as received.
#[derive(Debug, Clone)]
pub struct InboxItem {
    pub id: i64,
    pub instance_id: String,
    pub connector_id: String,
    pub project_id: String,
    pub received_at: String,
    pub headers: String,
    pub body: Vec<u8>,
}

/// Commits a received payload; returns its id.
pub fn insert(
    conn: &Connection,
    instance_id: &str,
    connector_id: &str,
    project_id: &str,
    received_at: &str,
    headers: &str,
    body: &[u8],
) -> Result<i64> {
    conn.execute(
        "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, headers, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            instance_id,
            connector_id,
            project_id,
            received_at,
            headers,
            body
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The oldest payload not yet processed.
pub fn next_pending(conn: &Connection) -> Result<Option<InboxItem>> {
    Ok(conn
        .query_row(
            "SELECT id, instance_id, connector_id, project_id, received_at, headers, body
             FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT 1",
            [],
            |r| {
                Ok(InboxItem {
                    id: r.get(0)?,
                    instance_id: r.get(1)?,
                    connector_id: r.get(2)?,
                    project_id: r.get(3)?,
                    received_at: r.get(4)?,
                    headers: r.get(5)?,
                    body: r.get(6)?,
                })
            },
        )
        .optional()?)
}

/// Up to `limit` payloads not yet processed, oldest first.
pub fn pending(conn: &Connection, limit: i64) -> Result<Vec<InboxItem>> {
    let mut st = conn.prepare_cached(
        "SELECT id, instance_id, connector_id, project_id, received_at, headers, body
         FROM inbox WHERE processed_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(InboxItem {
            id: r.get(0)?,
            instance_id: r.get(1)?,
            connector_id: r.get(2)?,
            project_id: r.get(3)?,
            received_at: r.get(4)?,
            headers: r.get(5)?,
            body: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks a payload processed with its outcome (`normalized`, `dead_letter`).
pub fn mark_processed(conn: &Connection, id: i64, at: &str, outcome: &str) -> Result<()> {
    conn.execute(
        "UPDATE inbox SET processed_at = ?2, outcome = ?3 WHERE id = ?1",
        params![id, at, outcome],
    )?;
    Ok(())
}

/// How many payloads exist at all (the demo loads only into an empty store).
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM inbox", [], |r| r.get(0))?)
}

/// Rows already normalized, in arrival order, after `after_id`: the stored
/// history a back-test replays.
pub fn normalized(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<InboxItem>> {
    let mut st = conn.prepare_cached(
        "SELECT id, instance_id, connector_id, project_id, received_at, headers, body
         FROM inbox WHERE outcome = 'normalized' AND id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![after_id, limit], |r| {
            Ok(InboxItem {
                id: r.get(0)?,
                instance_id: r.get(1)?,
                connector_id: r.get(2)?,
                project_id: r.get(3)?,
                received_at: r.get(4)?,
                headers: r.get(5)?,
                body: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
