//! `inbox`: every accepted payload, committed before the sender gets its 2xx.

use crate::Result;
use rusqlite::{params, Connection};

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

/// A payload to commit: what [`crate::Store::intake`] takes.
#[derive(Debug, Clone)]
pub struct NewInbox {
    pub instance_id: String,
    pub connector_id: String,
    pub project_id: String,
    pub received_at: String,
    /// The kept headers, as a JSON object.
    pub headers: String,
    pub body: Vec<u8>,
    /// The provider's delivery id, when it sends one: a re-send is taken once.
    pub delivery_id: Option<String>,
}

/// Commits a received payload; returns its id.
pub fn insert_row(conn: &Connection, r: &NewInbox) -> Result<i64> {
    insert(
        conn,
        &r.instance_id,
        &r.connector_id,
        &r.project_id,
        &r.received_at,
        &r.headers,
        &r.body,
    )
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
    conn.prepare_cached(
        "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, headers, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        instance_id,
        connector_id,
        project_id,
        received_at,
        headers,
        body
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The columns of an [`InboxItem`], in the order [`item_at`] reads them (a
/// macro, so queries are built with `concat!` at compile time).
macro_rules! columns {
    () => {
        "id, instance_id, connector_id, project_id, received_at, headers, body"
    };
}

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<InboxItem> {
    item_at(r, 0)
}

/// An [`InboxItem`] from the `columns!()` starting at column `at`.
fn item_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<InboxItem> {
    Ok(InboxItem {
        id: r.get(at)?,
        instance_id: r.get(at + 1)?,
        connector_id: r.get(at + 2)?,
        project_id: r.get(at + 3)?,
        received_at: r.get(at + 4)?,
        headers: r.get(at + 5)?,
        body: r.get(at + 6)?,
    })
}

/// Up to `limit` payloads not yet processed after row `after`, oldest first.
pub fn pending_after(conn: &Connection, after: i64, limit: i64) -> Result<Vec<InboxItem>> {
    let mut st = conn.prepare_cached(concat!(
        "SELECT ",
        columns!(),
        " FROM inbox WHERE processed_at IS NULL AND id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![after, limit], item)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Up to `limit` payloads normalized into signals after place `after` in the
/// processing order, in that order, each with its place: what the
/// correlation engine decided on since its last saved state, to decide on
/// again after a crash.
pub fn normalized_after(
    conn: &Connection,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, InboxItem)>> {
    let mut st = conn.prepare_cached(concat!(
        "SELECT processed_seq, ",
        columns!(),
        " FROM inbox WHERE processed_seq > ?1 AND outcome = 'normalized'
         ORDER BY processed_seq LIMIT ?2"
    ))?;
    let rows = st.query_map(params![after, limit], |r| Ok((r.get(0)?, item_at(r, 1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks a payload processed with its outcome (`normalized`, `dead_letter`)
/// and its place `seq` in the processing order (the keeper hands them out,
/// one after another).
pub fn mark_processed(conn: &Connection, id: i64, at: &str, outcome: &str, seq: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE inbox SET processed_at = ?2, outcome = ?3, processed_seq = ?4 WHERE id = ?1",
    )?
    .execute(params![id, at, outcome, seq])?;
    Ok(())
}

/// How many payloads exist at all (the demo loads only into an empty store).
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM inbox", [], |r| r.get(0))?)
}

/// Rows already normalized, in arrival order, after `after_id`: the stored
/// history a back-test replays.
pub fn normalized(conn: &Connection, after_id: i64, limit: i64) -> Result<Vec<InboxItem>> {
    let mut st = conn.prepare_cached(concat!(
        "SELECT ",
        columns!(),
        " FROM inbox WHERE outcome = 'normalized' AND id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let rows = st
        .query_map(params![after_id, limit], item)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
