//! `incidents`.

use crate::{parse_ts, ts, Result, StoreError};
use causeway_core::{IncidentStatus, RootCause, Severity};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// An incident row as the list and detail views need it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub project_id: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub pattern: Option<String>,
    pub group_key: Option<String>,
    pub root_cause: Option<RootCause>,
    pub signal_count: i64,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Inserts or updates the incident; `opened_at` and `title` keep their first value.
pub fn upsert(conn: &Connection, i: &IncidentRow) -> Result<()> {
    let root = i
        .root_cause
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    conn.prepare_cached(
        "INSERT INTO incidents (id, project_id, title, severity, status, pattern, group_key, root_cause,
           signal_count, opened_at, updated_at, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
           pattern = excluded.pattern, root_cause = excluded.root_cause,
           signal_count = excluded.signal_count, updated_at = excluded.updated_at,
           resolved_at = excluded.resolved_at",
    )?
    .execute(params![
        i.id,
        i.project_id,
        i.title,
        i.severity.as_str(),
        i.status.as_str(),
        i.pattern,
        i.group_key,
        root,
        i.signal_count,
        ts(i.opened_at),
        ts(i.updated_at),
        i.resolved_at.map(ts)
    ])?;
    Ok(())
}

/// Like [`upsert`], but keeps the stored pattern and root cause: for the
/// rows a storm updates faster than their analysis is redone.
pub fn upsert_state(conn: &Connection, i: &IncidentRow) -> Result<()> {
    upsert_state_with(
        conn,
        i,
        i.signal_count,
        "INSERT INTO incidents (id, project_id, title, severity, status, group_key,
           signal_count, opened_at, updated_at, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
           signal_count = excluded.signal_count, updated_at = excluded.updated_at,
           resolved_at = excluded.resolved_at",
    )
}

/// Like [`upsert_state`], but adds `added` to the stored signal count
/// instead of setting it: the processing path knows how many links it just
/// inserted, and counting an incident's links for every batch cost as much
/// as the incident was big.
pub fn upsert_state_adding(conn: &Connection, i: &IncidentRow, added: i64) -> Result<()> {
    upsert_state_with(
        conn,
        i,
        added,
        "INSERT INTO incidents (id, project_id, title, severity, status, group_key,
           signal_count, opened_at, updated_at, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
           signal_count = signal_count + excluded.signal_count, updated_at = excluded.updated_at,
           resolved_at = excluded.resolved_at",
    )
}

/// Runs one of the state upserts above: `sql` takes the state columns as
/// ?1..?10, with `signal_count` as ?7.
fn upsert_state_with(
    conn: &Connection,
    i: &IncidentRow,
    signal_count: i64,
    sql: &str,
) -> Result<()> {
    conn.prepare_cached(sql)?.execute(params![
        i.id,
        i.project_id,
        i.title,
        i.severity.as_str(),
        i.status.as_str(),
        i.group_key,
        signal_count,
        ts(i.opened_at),
        ts(i.updated_at),
        i.resolved_at.map(ts)
    ])?;
    Ok(())
}

/// Stores the incident's analysis (JSON), written when it is analysed.
pub fn set_analysis(conn: &Connection, id: &str, analysis_json: &str) -> Result<()> {
    conn.prepare_cached("UPDATE incidents SET analysis = ?2 WHERE id = ?1")?
        .execute(params![id, analysis_json])?;
    Ok(())
}

/// The incident's stored analysis (JSON), if it was analysed.
pub fn analysis(conn: &Connection, id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT analysis FROM incidents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten())
}

const SELECT: &str =
    "SELECT id, project_id, title, severity, status, pattern, group_key, root_cause,
  signal_count, opened_at, updated_at, resolved_at FROM incidents";

type Raw = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    Option<String>,
);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn decode(r: Raw) -> Result<IncidentRow> {
    let bad = |what: &str, v: &str| StoreError::Invalid(format!("unknown {what} '{v}'"));
    Ok(IncidentRow {
        severity: Severity::parse(&r.3).ok_or_else(|| bad("severity", &r.3))?,
        status: IncidentStatus::parse(&r.4).ok_or_else(|| bad("status", &r.4))?,
        id: r.0,
        project_id: r.1,
        title: r.2,
        pattern: r.5,
        group_key: r.6,
        root_cause: r.7.as_deref().map(serde_json::from_str).transpose()?,
        signal_count: r.8,
        opened_at: parse_ts(&r.9)?,
        updated_at: parse_ts(&r.10)?,
        resolved_at: r.11.as_deref().map(parse_ts).transpose()?,
    })
}

/// Incidents, most recently active first: one project's, or with `None`
/// every project's (for work that looks at all of them: evidence
/// collection, the topology's marks).
pub fn list(conn: &Connection, project: Option<&str>, limit: i64) -> Result<Vec<IncidentRow>> {
    let filter = match project {
        Some(_) => "WHERE project_id = ?1 ORDER BY updated_at DESC, id DESC",
        None => "WHERE ?1 IS NULL ORDER BY updated_at DESC, id",
    };
    let mut st = conn.prepare(&format!("{SELECT} {filter} LIMIT ?2"))?;
    let rows = st
        .query_map(params![project, limit], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<IncidentRow>> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], raw)
        .optional()?
        .map(decode)
        .transpose()
}

/// What the incident list can be narrowed to (`searchIncidents`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// The project searched.
    pub project: String,
    /// Leave out resolved incidents.
    pub open_only: bool,
    /// Only this status.
    pub status: Option<IncidentStatus>,
    /// Only these severities (none: all).
    pub severities: Vec<Severity>,
    /// Every word must appear in the title, id, pattern or root cause (any case).
    pub words: Vec<String>,
    pub limit: i64,
}

/// Incidents matching `f`, most recently active first: the whole table, not
/// only the latest page the list shows.
pub fn search(conn: &Connection, f: &Filter) -> Result<Vec<IncidentRow>> {
    use rusqlite::types::Value;
    let mut sql = format!("{SELECT} WHERE project_id = ?1");
    let mut args: Vec<Value> = vec![Value::Text(f.project.clone())];
    if f.open_only {
        sql.push_str(" AND status <> 'resolved'");
    }
    if let Some(s) = f.status {
        args.push(Value::Text(s.as_str().into()));
        sql.push_str(&format!(" AND status = ?{}", args.len()));
    }
    if !f.severities.is_empty() {
        let mut marks = Vec::new();
        for s in &f.severities {
            args.push(Value::Text(s.as_str().into()));
            marks.push(format!("?{}", args.len()));
        }
        sql.push_str(&format!(" AND severity IN ({})", marks.join(", ")));
    }
    for w in &f.words {
        let escaped = w
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        args.push(Value::Text(format!("%{escaped}%")));
        let n = args.len();
        sql.push_str(&format!(
            " AND (lower(title) LIKE ?{n} ESCAPE '\\' OR lower(id) LIKE ?{n} ESCAPE '\\' \
             OR lower(coalesce(pattern, '')) LIKE ?{n} ESCAPE '\\' \
             OR lower(coalesce(root_cause, '')) LIKE ?{n} ESCAPE '\\')"
        ));
    }
    args.push(Value::Integer(f.limit));
    sql.push_str(&format!(
        " ORDER BY updated_at DESC, id DESC LIMIT ?{}",
        args.len()
    ));
    let mut st = conn.prepare(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args), raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(decode).collect()
}
