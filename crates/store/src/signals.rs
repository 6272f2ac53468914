//! `signals`: one row per alert instance; repeats update it (dedupe).

use crate::{ts, Result};
use causeway_core::Signal;
use rusqlite::{params, Connection};

/// A stored signal and, when nothing claimed it, why.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSignal {
    pub signal: Signal,
    pub notifications: i64,
    pub last_seen_at: String,
    pub unassigned_reason: Option<String>,
}

/// Inserts a new signal or folds a repeat into the existing row: status,
/// severity, end time and the latest payload win, the notification count
/// grows. `unassigned` is why nothing claimed it (`None`: an incident
/// did). One statement for the row and its reason: it runs for every
/// signal processed, and a second one rewrote the whole row again. A repeat that arrives unclaimed
/// keeps no reason while an earlier firing of it is linked.
pub fn upsert(conn: &Connection, s: &Signal, unassigned: Option<&str>) -> Result<()> {
    let data = serde_json::to_string(s)?;
    conn.prepare_cached(
        "INSERT INTO signals (id, project_id, instance_id, source_type, kind, status, severity, title,
           entity, service, fingerprint, correlation_key, occurred_at, received_at, last_seen_at, ended_at, data,
           unassigned_reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?16, ?17)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, severity = excluded.severity,
           title = excluded.title, ended_at = excluded.ended_at, last_seen_at = excluded.last_seen_at,
           notifications = notifications + 1, data = excluded.data,
           unassigned_reason = CASE
             WHEN excluded.unassigned_reason IS NULL THEN NULL
             WHEN EXISTS (SELECT 1 FROM incident_signals WHERE signal_id = excluded.id) THEN NULL
             ELSE excluded.unassigned_reason END",
    )?
    .execute(params![
        s.id,
        s.project,
        s.connector_instance,
        s.source_type,
        s.kind.as_str(),
        s.status.as_str(),
        s.severity.as_str(),
        s.title,
        s.entity.as_ref().map(ToString::to_string),
        s.service,
        s.fingerprint,
        s.correlation_key,
        ts(s.occurred_at),
        ts(s.received_at),
        s.ended_at.map(ts),
        data,
        unassigned
    ])?;
    Ok(())
}

/// Records why nothing claimed the signal (cleared when something does).
pub fn set_unassigned(conn: &Connection, id: &str, reason: Option<&str>) -> Result<()> {
    conn.prepare_cached("UPDATE signals SET unassigned_reason = ?2 WHERE id = ?1")?
        .execute(params![id, reason])?;
    Ok(())
}

const SELECT: &str =
    "SELECT s.data, s.notifications, s.last_seen_at, s.unassigned_reason FROM signals s";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, i64, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

/// Runs `sql` (a [`SELECT`] of signals) with `params`, and decodes the rows.
fn read(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<StoredSignal>> {
    let rows = conn
        .prepare_cached(sql)?
        .query_map(params, row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(data, notifications, last_seen_at, unassigned_reason)| {
            Ok(StoredSignal {
                signal: serde_json::from_str(&data)?,
                notifications,
                last_seen_at,
                unassigned_reason,
            })
        })
        .collect()
}

/// A project's signals newest first; only those in no incident when
/// `unassigned_only`.
pub fn list(
    conn: &Connection,
    project: &str,
    unassigned_only: bool,
    limit: i64,
) -> Result<Vec<StoredSignal>> {
    // Every signal in no incident has the reason why (processing sets it,
    // a link clears it): the partial index walks only those.
    let filter = if unassigned_only {
        " AND s.unassigned_reason IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM incident_signals l WHERE l.signal_id = s.id)"
    } else {
        ""
    };
    read(
        conn,
        &format!(
        "{SELECT} WHERE s.project_id = ?1{filter} ORDER BY s.received_at DESC, s.id DESC LIMIT ?2"
        ),
        params![project, limit],
    )
}

/// The signals of one incident, oldest first.
pub fn for_incident(conn: &Connection, incident_id: &str) -> Result<Vec<StoredSignal>> {
    read(
        conn,
        &format!(
            "{SELECT} JOIN incident_signals l ON l.signal_id = s.id WHERE l.incident_id = ?1
         ORDER BY s.occurred_at, s.id"
        ),
        [incident_id],
    )
}

/// A page of an incident's signals in the order they joined it: a storm's
/// incident holds up to hundreds of thousands, and a page is read by
/// walking its links' index (`incident_signals_joined`), without touching
/// the others (sorting them by onset read every one of their rows: 250 ms
/// at 100k).
pub fn page_for_incident(
    conn: &Connection,
    incident_id: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<StoredSignal>> {
    read(
        conn,
        &format!(
            "{SELECT} JOIN (
           SELECT l.signal_id AS sid, l.rowid AS joined FROM incident_signals l
           WHERE l.incident_id = ?1 ORDER BY l.rowid LIMIT ?2 OFFSET ?3) p ON s.id = p.sid
         ORDER BY p.joined"
        ),
        params![incident_id, limit, offset],
    )
}

/// The first `first` and the latest `latest` signals to join an incident,
/// oldest first: what an analysis of a storm's incident reads, by its
/// links' index, instead of every one of its rows.
pub fn ends_of_incident(
    conn: &Connection,
    incident_id: &str,
    first: i64,
    latest: i64,
) -> Result<Vec<StoredSignal>> {
    read(
        conn,
        &format!(
            "{SELECT} JOIN (
           SELECT * FROM (SELECT l.signal_id AS sid FROM incident_signals l
             WHERE l.incident_id = ?1 ORDER BY l.rowid LIMIT ?2)
           UNION
           SELECT * FROM (SELECT l.signal_id AS sid FROM incident_signals l
             WHERE l.incident_id = ?1 ORDER BY l.rowid DESC LIMIT ?3)) p ON s.id = p.sid
         ORDER BY s.occurred_at, s.id"
        ),
        params![incident_id, first, latest],
    )
}

/// Whether the incident holds a signal of one of `source_types`.
pub fn incident_has_source(
    conn: &Connection,
    incident_id: &str,
    source_types: &[&str],
) -> Result<bool> {
    let mut st = conn.prepare_cached(
        "SELECT 1 FROM incident_signals l JOIN signals s ON s.id = l.signal_id
         WHERE l.incident_id = ?1 AND s.source_type = ?2 LIMIT 1",
    )?;
    for t in source_types {
        if st.exists(params![incident_id, t])? {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM signals", [], |r| r.get(0))?)
}

/// One signal by id.
pub fn get(conn: &Connection, id: &str) -> Result<Option<StoredSignal>> {
    Ok(read(conn, &format!("{SELECT} WHERE s.id = ?1"), [id])?
        .into_iter()
        .next())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{incidents, links};
    use causeway_core::{Confidence, CorrelationLink, IncidentStatus, LinkStrategy, Severity};

    fn alert() -> Signal {
        serde_json::from_value(serde_json::json!({
            "id": "s1", "project": "default", "connectorInstance": "default-alertmanager",
            "sourceType": "ALERTMANAGER", "kind": "alert", "status": "firing",
            "severity": "medium", "title": "KubePodNotReady", "correlationKey": "k",
            "fingerprint": "f1", "tags": {}, "occurredAt": "2026-11-20T03:00:00Z",
            "receivedAt": "2026-11-20T03:00:05Z"
        }))
        .unwrap()
    }

    fn incident(c: &Connection, at: chrono::DateTime<chrono::Utc>) {
        incidents::upsert(
            c,
            &incidents::IncidentRow {
                id: "inc1".into(),
                project_id: "default".into(),
                title: "t".into(),
                severity: Severity::High,
                status: IncidentStatus::Active,
                pattern: None,
                group_key: None,
                root_cause: None,
                signal_count: 1,
                opened_at: at,
                updated_at: at,
                resolved_at: None,
            },
        )
        .unwrap();
    }

    fn link(c: &Connection, signal: &str, at: chrono::DateTime<chrono::Utc>) {
        links::insert_if_absent(
            c,
            &CorrelationLink {
                incident_id: "inc1".into(),
                signal_id: signal.into(),
                strategy: LinkStrategy::Resource,
                confidence: Confidence::High,
                score: 1.0,
                explanation: "same Pod".into(),
                decided_at: at,
            },
        )
        .unwrap();
    }

    #[test]
    fn the_ends_of_an_incident_are_its_first_and_latest_to_join_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        let base = alert().occurred_at;
        incident(&c, base);
        // Ten signals join in turn, each with an earlier onset than the last.
        for i in 0..10 {
            let mut s = alert();
            s.id = format!("s{i}");
            s.fingerprint = format!("f{i}");
            s.occurred_at = base - chrono::Duration::minutes(i);
            upsert(&c, &s, None).unwrap();
            link(&c, &s.id, base);
        }
        let ids = |first, latest| -> Vec<String> {
            ends_of_incident(&c, "inc1", first, latest)
                .unwrap()
                .into_iter()
                .map(|s| s.signal.id)
                .collect()
        };
        assert_eq!(ids(3, 2), ["s9", "s8", "s2", "s1", "s0"]);
        // Ends that overlap hold each signal once.
        assert_eq!(ids(8, 8).len(), 10);
    }

    fn reason(c: &Connection) -> Option<String> {
        get(c, "s1").unwrap().unwrap().unassigned_reason
    }

    #[test]
    fn the_upsert_keeps_why_nothing_claimed_a_signal_until_something_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        let s = alert();
        upsert(&c, &s, Some("below the severity that opens")).unwrap();
        assert_eq!(reason(&c).as_deref(), Some("below the severity that opens"));
        // A repeat, still unclaimed: the latest reason.
        upsert(&c, &s, Some("still below")).unwrap();
        assert_eq!(reason(&c).as_deref(), Some("still below"));
        assert_eq!(get(&c, "s1").unwrap().unwrap().notifications, 2);
        // Claimed by an incident: no reason.
        upsert(&c, &s, None).unwrap();
        assert_eq!(reason(&c), None);
        // Linked, a repeat the engine leaves unclaimed keeps none either.
        let at = s.occurred_at;
        incident(&c, at);
        link(&c, "s1", at);
        upsert(&c, &s, Some("nothing claimed it")).unwrap();
        assert_eq!(reason(&c), None);
    }
}
