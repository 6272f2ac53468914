//! `correlation_feedback`: the moves, merges and splits people made.

use crate::{ts, Result};
use causeway_core::Feedback;
use rusqlite::{params, Connection};

pub fn insert(conn: &Connection, f: &Feedback) -> Result<i64> {
    let (kind, at) = match f {
        Feedback::Moved { at, .. } => ("moved", at),
        Feedback::Merged { at, .. } => ("merged", at),
        Feedback::Split { at, .. } => ("split", at),
    };
    conn.execute(
        "INSERT INTO correlation_feedback (at, kind, data) VALUES (?1, ?2, ?3)",
        params![ts(*at), kind, serde_json::to_string(f)?],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Every override, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Feedback>> {
    let mut st = conn.prepare("SELECT data FROM correlation_feedback ORDER BY id")?;
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.iter()
        .map(|d| serde_json::from_str(d).map_err(Into::into))
        .collect()
}
