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

/// The saved state. It is an LZ4 frame in the parts of
/// `engine_state_parts`; one saved before that is a frame in `state_frame`,
/// before that an LZ4 block in `state_lz4`, and one from before compression
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
    let parts = || -> Result<Option<Vec<u8>>> {
        let mut st = conn.prepare("SELECT data FROM engine_state_parts ORDER BY part")?;
        let parts = st
            .query_map([], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((!parts.is_empty()).then(|| parts.concat()))
    };
    let bytes = match (frame, block) {
        (Some(f), _) => unframe(&f)?,
        (None, Some(b)) => codec::unpack(b, Some(codec::LZ4)).map_err(StoreError::Invalid)?,
        (None, None) => match parts()? {
            Some(f) => unframe(&f)?,
            None => text.into_bytes(),
        },
    };
    let state = String::from_utf8(bytes)
        .map_err(|e| StoreError::Invalid(format!("the saved state is not UTF-8: {e}")))?;
    Ok(Some(Saved {
        state,
        processed_seq,
    }))
}

fn unframe(frame: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    lz4_flex::frame::FrameDecoder::new(frame)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Invalid(format!("the saved state does not decompress: {e}")))?;
    Ok(out)
}

/// The most compressed bytes held before they are written as a part.
const PART_BYTES: usize = 1 << 20;

/// Saves the state that `write` serializes, compressed as it is written and
/// stored a part at a time: a storm's state is a few hundred megabytes of
/// JSON, and neither it nor its compressed frame is ever held whole (each
/// was, in turn, the peak of a storm's memory).
pub fn save_with(
    conn: &Connection,
    processed_seq: i64,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    conn.execute("DELETE FROM engine_state_parts", [])?;
    let failed = std::cell::RefCell::new(None);
    let mut frame = lz4_flex::frame::FrameEncoder::new(Parts {
        conn,
        held: Vec::with_capacity(PART_BYTES),
        next: 0,
        failed: &failed,
    });
    let done = write(&mut frame)
        .map_err(|e| format!("the state cannot be written: {e}"))
        .and_then(|()| {
            frame
                .finish()
                .map_err(|e| format!("the state cannot be compressed: {e}"))
        })
        .and_then(|mut parts| parts.put().map_err(|e| e.to_string()));
    if let Err(e) = done {
        // The database's own error, when it was one, is answered as itself.
        return Err(match failed.take() {
            Some(sqlite) => StoreError::Sqlite(sqlite),
            None => StoreError::Invalid(e),
        });
    }
    conn.execute(
        "INSERT INTO engine_state (id, state, state_lz4, state_frame, processed_seq) VALUES (1, '', NULL, NULL, ?1)
         ON CONFLICT(id) DO UPDATE SET state = '', state_lz4 = NULL, state_frame = NULL,
           processed_seq = excluded.processed_seq",
        params![processed_seq],
    )?;
    Ok(())
}

/// Where the compressed frame goes: rows of `engine_state_parts`.
struct Parts<'c> {
    conn: &'c Connection,
    held: Vec<u8>,
    next: i64,
    /// The database's own error, kept to be answered as itself.
    failed: &'c std::cell::RefCell<Option<rusqlite::Error>>,
}

impl Parts<'_> {
    /// Writes what is held as the next part.
    fn put(&mut self) -> std::io::Result<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let done = self.conn.execute(
            "INSERT INTO engine_state_parts (part, data) VALUES (?1, ?2)",
            params![self.next, self.held],
        );
        if let Err(e) = done {
            let io = std::io::Error::other(e.to_string());
            *self.failed.borrow_mut() = Some(e);
            return Err(io);
        }
        self.next += 1;
        self.held.clear();
        Ok(())
    }
}

impl Write for Parts<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(PART_BYTES - self.held.len());
        self.held.extend_from_slice(&buf[..n]);
        if self.held.len() >= PART_BYTES {
            self.put()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
        let stored: i64 = c
            .query_row(
                "SELECT SUM(LENGTH(data)) FROM engine_state_parts",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(stored < state.len() as i64 / 20, "compressed: {stored}");
        let saved = load(&c).unwrap().unwrap();
        assert_eq!(
            (saved.state.as_str(), saved.processed_seq),
            (state.as_str(), 7)
        );

        // A state that compresses to megabytes is stored in parts of at
        // most one, and reads back whole; a later save replaces them all.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: String = (0..2_500_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                char::from(b"0123456789abcdef"[(x & 0xf) as usize])
            })
            .collect();
        let big = format!("{{\"noise\":\"{noise}\"}}");
        save(&c, &big, 8).unwrap();
        let sizes: Vec<i64> = c
            .prepare("SELECT LENGTH(data) FROM engine_state_parts ORDER BY part")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(sizes.len() >= 2, "{sizes:?}");
        assert!(sizes.iter().all(|n| *n <= PART_BYTES as i64), "{sizes:?}");
        assert_eq!(load(&c).unwrap().unwrap().state, big);
        save(&c, &state, 9).unwrap();
        assert_eq!(load(&c).unwrap().unwrap().state, state);

        // Saved as one frame by an older version.
        let mut one = lz4_flex::frame::FrameEncoder::new(Vec::new());
        one.write_all(b"{\"frame\":1}").unwrap();
        c.execute("DELETE FROM engine_state_parts", []).unwrap();
        c.execute(
            "UPDATE engine_state SET state_frame = ?1",
            [one.finish().unwrap()],
        )
        .unwrap();
        assert_eq!(load(&c).unwrap().unwrap().state, "{\"frame\":1}");

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
