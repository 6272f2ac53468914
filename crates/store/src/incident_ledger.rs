//! `incident_ledger`: every decision about an incident, with its reason.

use crate::{parse_ts, ts, Result, StoreError};
use causeway_core::{LedgerAction, LedgerEntry};
use rusqlite::{params, Connection};

pub fn insert(conn: &Connection, e: &LedgerEntry) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO incident_ledger (incident_id, at, action, signal_id, actor, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        e.incident_id,
        ts(e.at),
        e.action.as_str(),
        e.signal_id,
        e.actor,
        e.text
    ])?;
    Ok(())
}

/// The ledger of one incident, oldest first.
pub fn for_incident(conn: &Connection, incident_id: &str) -> Result<Vec<LedgerEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT incident_id, at, action, signal_id, actor, text
         FROM incident_ledger WHERE incident_id = ?1 ORDER BY id",
    )?;
    let rows = st
        .query_map([incident_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(incident_id, at, action, signal_id, actor, text)| {
            Ok(LedgerEntry {
                incident_id,
                at: parse_ts(&at)?,
                action: LedgerAction::parse(&action).ok_or_else(|| {
                    StoreError::Invalid(format!("unknown ledger action '{action}'"))
                })?,
                signal_id,
                actor,
                text,
            })
        })
        .collect()
}

/// Moves the ledger of `from` to `into` (a merge keeps both histories).
pub fn reassign(conn: &Connection, from: &str, into: &str) -> Result<()> {
    conn.execute(
        "UPDATE incident_ledger SET incident_id = ?2 WHERE incident_id = ?1",
        params![from, into],
    )?;
    Ok(())
}
