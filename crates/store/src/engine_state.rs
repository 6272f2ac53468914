//! `engine_state`: the correlation engine's serialized state and the place
//! in the processing order (`inbox.processed_seq`) it includes.
//!
//! It is saved every few seconds rather than with every batch; after a crash
//! the engine decides again on what was processed after that place (see
//! `causeway-app`'s recovery), so the saved state and the stored decisions
//! never stay apart.

use crate::{codec, Result, StoreError};
use rusqlite::{params, Connection, OptionalExtension};
use std::io::{Read, Write};

/// A saved state: the engine's JSON, and the last processed place it includes.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub state: String,
    pub processed_seq: i64,
}

/// The saved state. It is an LZ4 frame in `state_frame`; one saved before
/// that is an LZ4 block in `state_lz4`, and one from before compression
/// came in is text in `state`.
pub fn load(conn: &Connection) -> Result<Option<Saved>> {
    let row = conn
        .query_row(
            "SELECT state, state_lz4, state_frame, processed_seq FROM engine_state WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, Option<Vec<u8>>>(2)?,
                    r.get(3)?,
                ))
            },
        )
        .optional()?;
    let Some((text, block, frame, processed_seq)) = row else {
        return Ok(None);
    };
    let bytes = match (frame, block) {
        (Some(f), _) => {
            let mut out = Vec::new();
            lz4_flex::frame::FrameDecoder::new(f.as_slice())
                .read_to_end(&mut out)
                .map_err(|e| {
                    StoreError::Invalid(format!("the saved state does not decompress: {e}"))
                })?;
            out
        }
        (None, Some(b)) => codec::unpack(b, Some(codec::LZ4)).map_err(StoreError::Invalid)?,
        (None, None) => text.into_bytes(),
    };
    let state = String::from_utf8(bytes)
        .map_err(|e| StoreError::Invalid(format!("the saved state is not UTF-8: {e}")))?;
    Ok(Some(Saved {
        state,
        processed_seq,
    }))
}

/// Saves the state that `write` serializes, compressed as it is written: a
/// storm's state is a few hundred megabytes of JSON, which would otherwise
/// be held whole as text next to its compressed copy (the peak of a
/// storm's memory), and every byte saved is written twice (log, then file).
pub fn save_with(
    conn: &Connection,
    processed_seq: i64,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let mut frame = lz4_flex::frame::FrameEncoder::new(Vec::new());
    write(&mut frame)
        .map_err(|e| StoreError::Invalid(format!("the state cannot be written: {e}")))?;
    let packed = frame
        .finish()
        .map_err(|e| StoreError::Invalid(format!("the state cannot be compressed: {e}")))?;
    conn.execute(
        "INSERT INTO engine_state (id, state, state_lz4, state_frame, processed_seq) VALUES (1, '', NULL, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET state = '', state_lz4 = NULL, state_frame = excluded.state_frame,
           processed_seq = excluded.processed_seq",
        params![packed, processed_seq],
    )?;
    Ok(())
}

/// Saves a state given as text.
pub fn save(conn: &Connection, state: &str, processed_seq: i64) -> Result<()> {
    save_with(conn, processed_seq, |w| w.write_all(state.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = crate::db::open_connection(dir.path()).unwrap();
        crate::db::migrate(&mut c).unwrap();
        (dir, c)
    }

    #[test]
    fn a_state_streamed_in_reads_back_and_older_forms_still_load() {
        let (_d, c) = db();
        assert_eq!(load(&c).unwrap(), None);
        let state = format!("{{\"projects\":{{\"x\":\"{}\"}}}}", "storm ".repeat(50_000));
        save_with(&c, 7, |w| {
            // Many small writes, as a serializer makes them.
            for chunk in state.as_bytes().chunks(13) {
                w.write_all(chunk)?;
            }
            Ok(())
        })
        .unwrap();
        let frame: Vec<u8> = c
            .query_row("SELECT state_frame FROM engine_state", [], |r| r.get(0))
            .unwrap();
        assert!(
            frame.len() < state.len() / 20,
            "compressed: {}",
            frame.len()
        );
        let saved = load(&c).unwrap().unwrap();
        assert_eq!(
            (saved.state.as_str(), saved.processed_seq),
            (state.as_str(), 7)
        );

        // Saved by an older version: a block, then plain text.
        let block = lz4_flex::block::compress_prepend_size(b"{\"old\":1}");
        c.execute(
            "UPDATE engine_state SET state_frame = NULL, state_lz4 = ?1",
            [block],
        )
        .unwrap();
        assert_eq!(load(&c).unwrap().unwrap().state, "{\"old\":1}");
        c.execute(
            "UPDATE engine_state SET state_lz4 = NULL, state = '{\"older\":1}'",
            [],
        )
        .unwrap();
        assert_eq!(load(&c).unwrap().unwrap().state, "{\"older\":1}");
        // A damaged frame is an error, never an empty state.
        c.execute("UPDATE engine_state SET state_frame = x'04224d1800'", [])
            .unwrap();
        assert!(load(&c).is_err());
    }
}
