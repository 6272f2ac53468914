//! `team_outbox`: in team mode, what this member accepted (a payload, a
//! person's decision, a connector definition) and has not yet put on the
//! team's log. Bodies are stored like the inbox's ([`crate::codec`]).

use crate::codec;
use crate::Result;
use rusqlite::{params, Connection};

/// One row, as the forwarder reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub instance_id: Option<String>,
    pub connector_id: Option<String>,
    pub project_id: Option<String>,
    pub received_at: String,
    pub headers: String,
    pub body: Vec<u8>,
}

/// A row to add (its id is given by the table).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewOutbox {
    pub kind: String,
    pub instance_id: Option<String>,
    pub connector_id: Option<String>,
    pub project_id: Option<String>,
    pub received_at: String,
    pub headers: String,
    pub body: Vec<u8>,
}

/// Adds a row; returns its id.
pub fn insert(conn: &Connection, r: &NewOutbox) -> Result<i64> {
    let (stored, encoding) = codec::pack(&r.body);
    conn.prepare_cached(
        "INSERT INTO team_outbox (kind, instance_id, connector_id, project_id, received_at, headers, body, encoding)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        r.kind,
        r.instance_id,
        r.connector_id,
        r.project_id,
        r.received_at,
        r.headers,
        stored.as_ref(),
        encoding
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Up to `limit` rows, oldest first.
pub fn oldest(conn: &Connection, limit: i64) -> Result<Vec<OutboxItem>> {
    let mut st = conn.prepare_cached(
        "SELECT id, kind, instance_id, connector_id, project_id, received_at, headers, body, encoding
         FROM team_outbox ORDER BY id LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(OutboxItem {
            id: r.get(0)?,
            kind: r.get(1)?,
            instance_id: r.get(2)?,
            connector_id: r.get(3)?,
            project_id: r.get(4)?,
            received_at: r.get(5)?,
            headers: r.get(6)?,
            body: codec::unpack_column(r.get(7)?, r.get(8)?, 7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes the rows up to `id` (they are on the log now).
pub fn delete_through(conn: &Connection, id: i64) -> Result<usize> {
    Ok(conn
        .prepare_cached("DELETE FROM team_outbox WHERE id <= ?1")?
        .execute([id])?)
}

/// Rows waiting.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM team_outbox", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_bytes_and_leave_once_forwarded() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        let body = br#"{"alerts":[{"labels":{"alertname":"X"}}]}"#.repeat(20);
        let row = |kind: &str| NewOutbox {
            kind: kind.into(),
            instance_id: Some("default-alertmanager".into()),
            received_at: "2026-01-01T00:00:00.000Z".into(),
            headers: "{}".into(),
            body: body.clone(),
            ..Default::default()
        };
        let a = insert(&c, &row("raw")).unwrap();
        let b = insert(&c, &row("decision")).unwrap();
        let got = oldest(&c, 10).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].body, body);
        assert_eq!((got[0].id, got[1].kind.as_str()), (a, "decision"));
        assert_eq!(delete_through(&c, a).unwrap(), 1);
        assert_eq!(count(&c).unwrap(), 1);
        assert_eq!(oldest(&c, 10).unwrap()[0].id, b);
        let member = crate::meta::get(&c, "team_member_id").unwrap().unwrap();
        assert_eq!(member.len(), 16, "a random id made once");
    }
}
