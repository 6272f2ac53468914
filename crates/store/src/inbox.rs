//! `inbox`: every accepted payload, committed before the sender gets its 2xx.
//!
//! Bodies are stored compressed ([`crate::codec`]); processed rows are
//! deleted after the retention period ([`delete_processed_before`]), so the
//! inbox is a buffer and a recent history, not an archive.

use crate::codec;
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

/// Commits a received payload (its body compressed when that pays);
/// returns its id.
pub fn insert(
    conn: &Connection,
    instance_id: &str,
    connector_id: &str,
    project_id: &str,
    received_at: &str,
    headers: &str,
    body: &[u8],
) -> Result<i64> {
    let (stored, encoding) = codec::pack(body);
    conn.prepare_cached(
        "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, headers, body, encoding)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        instance_id,
        connector_id,
        project_id,
        received_at,
        headers,
        stored.as_ref(),
        encoding
    ])?;
    Ok(conn.last_insert_rowid())
}

/// The columns of an [`InboxItem`], in the order [`item_at`] reads them (a
/// macro, so queries are built with `concat!` at compile time).
macro_rules! columns {
    () => {
        "id, instance_id, connector_id, project_id, received_at, headers, body, encoding"
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
        body: codec::unpack_column(r.get(at + 6)?, r.get(at + 7)?, at + 6)?,
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

/// Deletes up to `limit` of the oldest processed rows received before
/// `before` whose place in the processing order is at most `kept_seq` (the
/// engine's saved state includes them, so recovery never needs them again).
/// Walks from the oldest row by id, so it costs the rows it looks at, not
/// the table. Returns how many went; call again while that is `limit`.
pub fn delete_processed_before(
    conn: &Connection,
    before: &str,
    kept_seq: i64,
    limit: i64,
) -> Result<usize> {
    Ok(conn
        .prepare_cached(
            "DELETE FROM inbox WHERE id IN (
               SELECT id FROM inbox ORDER BY id LIMIT ?3)
             AND received_at < ?1 AND processed_at IS NOT NULL
             AND (processed_seq IS NULL OR processed_seq <= ?2)",
        )?
        .execute(params![before, kept_seq, limit])?)
}

/// Rows not yet processed: the backlog.
pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        (dir, c)
    }

    fn add(c: &Connection, at: &str, body: &[u8]) -> i64 {
        insert(
            c,
            "default-alertmanager",
            "alertmanager",
            "default",
            at,
            "{}",
            body,
        )
        .unwrap()
    }

    #[test]
    fn bodies_are_stored_compressed_and_old_raw_rows_still_read() {
        let (_d, c) = open();
        let body = br#"{"alerts":[{"labels":{"alertname":"KubePodCrashLooping"}}]}"#.repeat(10);
        let id = add(&c, "2026-01-01T00:00:00.000Z", &body);
        let (stored, enc): (Vec<u8>, Option<String>) = c
            .query_row(
                "SELECT body, encoding FROM inbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(enc.as_deref(), Some("lz4"));
        assert!(stored.len() < body.len() / 3);
        // A row written before compression: raw bytes, no encoding.
        c.execute(
            "INSERT INTO inbox (instance_id, connector_id, project_id, received_at, body)
             VALUES ('default-alertmanager', 'alertmanager', 'default', '2026-01-01T00:00:01.000Z', ?1)",
            [&body],
        )
        .unwrap();
        let items = pending_after(&c, 0, 10).unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.body == body));
    }

    #[test]
    fn retention_deletes_old_processed_rows_the_saved_state_includes() {
        let (_d, c) = open();
        let old = "2026-01-01T00:00:00.000Z";
        let ids: Vec<i64> = (0..5).map(|_| add(&c, old, b"{}")).collect();
        let young = add(&c, "2026-02-01T00:00:00.000Z", b"{}");
        for (seq, id) in ids.iter().take(4).enumerate() {
            mark_processed(&c, *id, old, "normalized", seq as i64 + 1).unwrap();
        }
        mark_processed(&c, young, old, "normalized", 5).unwrap();
        // Row 4 is processed but after the saved state (seq 3); row 5 pending.
        let n = delete_processed_before(&c, "2026-01-15T00:00:00.000Z", 3, 2).unwrap();
        assert_eq!(n, 2, "a chunk at a time");
        let n = delete_processed_before(&c, "2026-01-15T00:00:00.000Z", 3, 100).unwrap();
        assert_eq!(n, 1);
        let left: Vec<i64> = c
            .prepare("SELECT id FROM inbox ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(left, vec![ids[3], ids[4], young]);
        assert_eq!(pending_count(&c).unwrap(), 1);
    }
}
