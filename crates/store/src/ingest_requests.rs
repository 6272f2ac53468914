//! `ingest_requests`: what each (sourceType, sourceRef) created.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, PartialEq)]
pub struct IngestRecord {
    pub source_type: String,
    pub source_ref: String,
    pub incident_id: String,
    pub signal_id: String,
    pub evidence_bundle_id: Option<String>,
    pub evidence: Option<String>,
}

pub fn find(
    conn: &Connection,
    source_type: &str,
    source_ref: &str,
) -> Result<Option<IngestRecord>> {
    Ok(conn
        .query_row(
            "SELECT source_type, source_ref, incident_id, signal_id, evidence_bundle_id, evidence
             FROM ingest_requests WHERE source_type = ?1 AND source_ref = ?2",
            params![source_type, source_ref],
            row,
        )
        .optional()?)
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IngestRecord> {
    Ok(IngestRecord {
        source_type: r.get(0)?,
        source_ref: r.get(1)?,
        incident_id: r.get(2)?,
        signal_id: r.get(3)?,
        evidence_bundle_id: r.get(4)?,
        evidence: r.get(5)?,
    })
}

pub fn insert(conn: &Connection, r: &IngestRecord, at: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO ingest_requests (source_type, source_ref, incident_id, signal_id, evidence_bundle_id, evidence, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![r.source_type, r.source_ref, r.incident_id, r.signal_id, r.evidence_bundle_id, r.evidence, at],
    )?;
    Ok(())
}

/// The requests that fed an incident (their evidence goes on its timeline).
pub fn for_incident(conn: &Connection, incident_id: &str) -> Result<Vec<IngestRecord>> {
    let mut st = conn.prepare(
        "SELECT source_type, source_ref, incident_id, signal_id, evidence_bundle_id, evidence
         FROM ingest_requests WHERE incident_id = ?1 ORDER BY created_at, source_ref",
    )?;
    let rows = st.query_map([incident_id], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
