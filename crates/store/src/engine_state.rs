//! `engine_state`: the correlation engine's serialized state and the place
//! in the processing order (`inbox.processed_seq`) it includes.
//!
//! It is saved every few seconds rather than with every batch; after a crash
//! the engine decides again on what was processed after that place (see
//! `causeway-app`'s recovery), so the saved state and the stored decisions
//! never stay apart.

use crate::{codec, Result, StoreError};
use rusqlite::{params, Connection, OptionalExtension};

/// A saved state: the engine's JSON, and the last processed place it includes.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub state: String,
    pub processed_seq: i64,
}

/// The saved state. One written before compression came in is in `state`
/// as text; since then it is in `state_lz4`, compressed.
pub fn load(conn: &Connection) -> Result<Option<Saved>> {
    let row = conn
        .query_row(
            "SELECT state, state_lz4, processed_seq FROM engine_state WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get(2)?,
                ))
            },
        )
        .optional()?;
    let Some((text, packed, processed_seq)) = row else {
        return Ok(None);
    };
    let state = match packed {
        None => text,
        Some(p) => {
            let bytes = codec::unpack(p, Some(codec::LZ4)).map_err(StoreError::Invalid)?;
            String::from_utf8(bytes)
                .map_err(|e| StoreError::Invalid(format!("the saved state is not UTF-8: {e}")))?
        }
    };
    Ok(Some(Saved {
        state,
        processed_seq,
    }))
}

/// Saves the state compressed: a storm's state is tens of megabytes of
/// JSON, and every byte saved is written twice (log, then file).
pub fn save(conn: &Connection, state: &str, processed_seq: i64) -> Result<()> {
    let packed = lz4_flex::block::compress_prepend_size(state.as_bytes());
    conn.execute(
        "INSERT INTO engine_state (id, state, state_lz4, processed_seq) VALUES (1, '', ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET state = '', state_lz4 = excluded.state_lz4,
           processed_seq = excluded.processed_seq",
        params![packed, processed_seq],
    )?;
    Ok(())
}
