//! `engine_state`: the correlation engine's serialized state, saved in the
//! same transaction as the decisions it made.

use crate::Result;
use rusqlite::{Connection, OptionalExtension};

pub fn load(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT state FROM engine_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?)
}

pub fn save(conn: &Connection, state: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO engine_state (id, state) VALUES (1, ?1)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state",
        [state],
    )?;
    Ok(())
}
