//! How stored payloads are encoded: raw bodies, dead letters' bytes and the
//! engine's saved state are kept LZ4-compressed (block format, original size
//! first). A storm's bodies are repetitive JSON and shrink several times, so
//! the file, its write-ahead log and the pages each commit writes stay small.
//!
//! Rows written before compression came in carry no encoding (`NULL`) and
//! are read as they are: nothing has to be rewritten on upgrade.

/// The `encoding` column's value for LZ4-compressed bytes.
pub(crate) const LZ4: &str = "lz4";

/// Bodies smaller than this are stored as they are: compressing a few
/// hundred bytes saves little and costs a call per row.
const MIN_COMPRESS: usize = 256;

/// The bytes to store for `raw`, and their encoding (`None`: as received).
pub(crate) fn pack(raw: &[u8]) -> (std::borrow::Cow<'_, [u8]>, Option<&'static str>) {
    if raw.len() >= MIN_COMPRESS {
        let packed = lz4_flex::block::compress_prepend_size(raw);
        if packed.len() < raw.len() {
            return (packed.into(), Some(LZ4));
        }
    }
    (raw.into(), None)
}

/// The original bytes of a stored value with `encoding`.
pub(crate) fn unpack(stored: Vec<u8>, encoding: Option<&str>) -> Result<Vec<u8>, String> {
    match encoding {
        None => Ok(stored),
        Some(LZ4) => lz4_flex::block::decompress_size_prepended(&stored)
            .map_err(|e| format!("a stored LZ4 body does not decompress: {e}")),
        Some(other) => Err(format!("unknown stored encoding '{other}'")),
    }
}

/// [`unpack`] for a column read inside a row mapper.
pub(crate) fn unpack_column(
    stored: Vec<u8>,
    encoding: Option<String>,
    column: usize,
) -> rusqlite::Result<Vec<u8>> {
    unpack(stored, encoding.as_deref()).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Blob, e.into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_and_small_or_incompressible_ones_stay_raw() {
        let json =
            br#"{"labels":{"alertname":"KubePodCrashLooping","namespace":"shop"}}"#.repeat(20);
        let (packed, enc) = pack(&json);
        assert_eq!(enc, Some(LZ4));
        assert!(
            packed.len() < json.len() / 4,
            "{} of {}",
            packed.len(),
            json.len()
        );
        assert_eq!(unpack(packed.into_owned(), enc).unwrap(), json);

        let (small, enc) = pack(b"{}");
        assert_eq!((small.as_ref(), enc), (&b"{}"[..], None));
        // Bytes that do not shrink are kept as they are.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert_eq!(pack(&noise).1, None);
        assert!(unpack(b"xx".to_vec(), Some("zip")).is_err());
        // Bytes that are not LZ4 give an error, never a panic.
        assert!(unpack(vec![64, 0, 0, 0, 0xF0, 1], Some(LZ4)).is_err());
    }
}
