//! `engine_state`: the correlation engine's serialized state and the place
//! in the processing order (`inbox.processed_seq`) it includes.
//!
//! It is saved every few seconds rather than with every batch; after a crash
//! the engine decides again on what was processed after that place (see
//! `causeway-app`'s recovery), so the saved state and the stored decisions
//! never stay apart.

use crate::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// A saved state: the engine's JSON, and the last processed place it includes.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub state: String,
    pub processed_seq: i64,
}

pub fn load(conn: &Connection) -> Result<Option<Saved>> {
    Ok(conn
        .query_row(
            "SELECT state, processed_seq FROM engine_state WHERE id = 1",
            [],
            |r| {
                Ok(Saved {
                    state: r.get(0)?,
                    processed_seq: r.get(1)?,
                })
            },
        )
        .optional()?)
}

pub fn save(conn: &Connection, state: &str, processed_seq: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO engine_state (id, state, processed_seq) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET state = excluded.state, processed_seq = excluded.processed_seq",
        params![state, processed_seq],
    )?;
    Ok(())
}
