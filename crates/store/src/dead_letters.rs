//! `dead_letters`: what could not be taken in, with its exact bytes and the
//! error, kept until a person re-plays it or the retention period ends.
//! The bytes are stored compressed and given back exactly ([`crate::codec`]).

use crate::codec;
use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub id: i64,
    pub instance_id: Option<String>,
    pub connector_id: String,
    pub project_id: String,
    pub received_at: String,
    pub error: String,
    pub headers: String,
    pub raw: Vec<u8>,
    pub inbox_id: Option<i64>,
    pub replayed_at: Option<String>,
}

/// What to record for a new dead letter.
pub struct NewDeadLetter<'a> {
    pub instance_id: Option<&'a str>,
    pub connector_id: &'a str,
    pub project_id: &'a str,
    pub received_at: &'a str,
    pub error: &'a str,
    pub headers: &'a str,
    pub raw: &'a [u8],
    pub inbox_id: Option<i64>,
}

pub fn insert(conn: &Connection, d: &NewDeadLetter<'_>) -> Result<i64> {
    let (stored, encoding) = codec::pack(d.raw);
    conn.prepare_cached(
        "INSERT INTO dead_letters (instance_id, connector_id, project_id, received_at, error, headers, raw, inbox_id, encoding)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![d.instance_id, d.connector_id, d.project_id, d.received_at, d.error, d.headers, stored.as_ref(), d.inbox_id, encoding])?;
    Ok(conn.last_insert_rowid())
}

const COLUMNS: &str = "id, instance_id, connector_id, project_id, received_at, error, headers, raw, inbox_id, replayed_at, encoding";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: r.get(0)?,
        instance_id: r.get(1)?,
        connector_id: r.get(2)?,
        project_id: r.get(3)?,
        received_at: r.get(4)?,
        error: r.get(5)?,
        headers: r.get(6)?,
        raw: codec::unpack_column(r.get(7)?, r.get(10)?, 7)?,
        inbox_id: r.get(8)?,
        replayed_at: r.get(9)?,
    })
}

/// A project's dead letters not yet re-played, newest first.
pub fn list(conn: &Connection, project: &str, limit: i64) -> Result<Vec<DeadLetter>> {
    let mut st = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM dead_letters WHERE project_id = ?1 AND replayed_at IS NULL
         ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(rusqlite::params![project, limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<DeadLetter>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM dead_letters WHERE id = ?1"),
            [id],
            row,
        )
        .optional()?)
}

pub fn mark_replayed(conn: &Connection, id: i64, at: &str) -> Result<()> {
    conn.execute(
        "UPDATE dead_letters SET replayed_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Deletes dead letters received before `before` (the retention period);
/// returns how many went.
pub fn delete_before(conn: &Connection, before: &str) -> Result<usize> {
    Ok(conn.execute(
        "DELETE FROM dead_letters WHERE received_at < ?1",
        params![before],
    )?)
}
