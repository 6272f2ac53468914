//! Stream entries that cannot be taken in reach dead letters the way every
//! unreadable payload does: committed to the inbox under this connector's
//! id with the reason in a header, then refused by this normalizer, so the
//! pipeline keeps their bytes, their stream id and the reason where people
//! look for them (and can re-play them after a fix).

use super::{ENTRY_HEADER, ID, POISON_HEADER, STREAM_HEADER};
use crate::runtime::{Context, NormalizeError, Normalizer};
use causeway_core::Signal;
use serde_json::Value;

/// Refuses every payload, saying why the entry could not be read.
pub struct Poison;

impl Normalizer for Poison {
    fn id(&self) -> &str {
        ID
    }

    fn item_count(&self, _: &Value) -> usize {
        0
    }

    fn normalize(&self, _: &Value, ctx: &Context<'_>) -> Result<Vec<Signal>, NormalizeError> {
        let h = |k: &str| ctx.headers.get(k).map(String::as_str).unwrap_or("?");
        Err(NormalizeError::Shape(format!(
            "stream {} entry {}: {}",
            h(STREAM_HEADER),
            h(ENTRY_HEADER),
            ctx.headers
                .get(POISON_HEADER)
                .map(String::as_str)
                .unwrap_or("it could not be read")
        )))
    }
}
