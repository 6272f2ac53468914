//! `incident_evidence`: range queries collected for an incident's window.

use crate::Result;
use rusqlite::{params, Connection};

#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub incident_id: String,
    pub instance_id: String,
    pub name: String,
    pub query: String,
    pub window_start: String,
    pub window_end: String,
    pub collected_at: String,
    /// JSON: `[{"labels": {...}, "points": [[epoch_s, value], ...]}]`.
    pub series: String,
}

/// Stores (or refreshes) one query's evidence for an incident.
pub fn upsert(conn: &Connection, e: &Evidence) -> Result<()> {
    conn.execute(
        "INSERT INTO incident_evidence (incident_id, instance_id, name, query, window_start, window_end, collected_at, series)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (incident_id, instance_id, query) DO UPDATE SET
           name = ?3, window_start = ?5, window_end = ?6, collected_at = ?7, series = ?8",
        params![e.incident_id, e.instance_id, e.name, e.query, e.window_start, e.window_end, e.collected_at, e.series],
    )?;
    Ok(())
}

pub fn for_incident(conn: &Connection, incident_id: &str) -> Result<Vec<Evidence>> {
    let mut st = conn.prepare(
        "SELECT incident_id, instance_id, name, query, window_start, window_end, collected_at, series
         FROM incident_evidence WHERE incident_id = ?1 ORDER BY window_start, name",
    )?;
    let rows = st.query_map([incident_id], |r| {
        Ok(Evidence {
            incident_id: r.get(0)?,
            instance_id: r.get(1)?,
            name: r.get(2)?,
            query: r.get(3)?,
            window_start: r.get(4)?,
            window_end: r.get(5)?,
            collected_at: r.get(6)?,
            series: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
