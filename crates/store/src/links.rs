//! `incident_signals`: why each signal belongs to its incident.

use crate::{parse_ts, ts, Result, StoreError};
use causeway_core::{Confidence, CorrelationLink, LinkStrategy};
use rusqlite::{params, Connection};

/// Records a link; the first reason for a pair is kept (a repeat does not
/// rewrite why the signal joined).
pub fn insert_if_absent(conn: &Connection, l: &CorrelationLink) -> Result<bool> {
    let n = conn.prepare_cached(
        "INSERT OR IGNORE INTO incident_signals (incident_id, signal_id, strategy, confidence, score, explanation, decided_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?.execute(params![
            l.incident_id,
            l.signal_id,
            l.strategy.as_str(),
            confidence_str(l.confidence),
            l.score,
            l.explanation,
            ts(l.decided_at)
        ])?;
    Ok(n > 0)
}

fn confidence_str(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

/// The links of one incident, keyed by signal id.
/// The links of some of an incident's signals (a page of them).
pub fn for_signals(
    conn: &Connection,
    incident_id: &str,
    signal_ids: &[&str],
) -> Result<Vec<CorrelationLink>> {
    let mut out = Vec::with_capacity(signal_ids.len());
    for id in signal_ids {
        let found = conn
            .prepare_cached(
                "SELECT incident_id, signal_id, strategy, score, explanation, decided_at
                 FROM incident_signals WHERE incident_id = ?1 AND signal_id = ?2",
            )?
            .query_map([incident_id, id], raw)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for r in found {
            out.push(decode(r)?);
        }
    }
    Ok(out)
}

pub fn for_incident(conn: &Connection, incident_id: &str) -> Result<Vec<CorrelationLink>> {
    let mut st = conn.prepare(
        "SELECT incident_id, signal_id, strategy, score, explanation, decided_at
         FROM incident_signals WHERE incident_id = ?1 ORDER BY decided_at, signal_id",
    )?;
    let rows = st
        .query_map([incident_id], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

type Raw = (String, String, String, f64, String, String);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn decode(
    (incident_id, signal_id, strategy, score, explanation, at): Raw,
) -> Result<CorrelationLink> {
    Ok(CorrelationLink {
        incident_id,
        signal_id,
        strategy: LinkStrategy::parse(&strategy)
            .ok_or_else(|| StoreError::Invalid(format!("unknown strategy '{strategy}'")))?,
        confidence: Confidence::from_score(score),
        score,
        explanation,
        decided_at: parse_ts(&at)?,
    })
}

/// Puts a signal in exactly one incident: the links it had elsewhere go
/// (a person moved it, or split it off).
pub fn relink(conn: &Connection, l: &CorrelationLink) -> Result<()> {
    conn.execute(
        "DELETE FROM incident_signals WHERE signal_id = ?1",
        [&l.signal_id],
    )?;
    insert_if_absent(conn, l)?;
    Ok(())
}

/// Moves every link of `from` to `into` (a merge), keeping each signal's
/// reason; a signal already in `into` keeps that link.
pub fn reassign(conn: &Connection, from: &str, into: &str) -> Result<usize> {
    let n = conn.execute(
        "UPDATE OR IGNORE incident_signals SET incident_id = ?2 WHERE incident_id = ?1",
        params![from, into],
    )?;
    conn.execute(
        "DELETE FROM incident_signals WHERE incident_id = ?1",
        params![from],
    )?;
    Ok(n)
}

/// How many signals an incident holds.
pub fn count_for_incident(conn: &Connection, incident_id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM incident_signals WHERE incident_id = ?1")?
        .query_row([incident_id], |r| r.get(0))?)
}
