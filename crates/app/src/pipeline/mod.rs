//! inbox → normalize → correlate → store, in the order data flows.
//!
//! A webhook is answered only after its raw body is committed to the inbox;
//! processing happens afterwards on the writer thread, a batch of inbox rows
//! per transaction, and the engine's state is kept in step with the stored
//! decisions by the keeper, so a crash anywhere loses nothing. A payload
//! that cannot be normalized goes to dead letters with its exact bytes.
//!
//! The modules below are listed in that order.

/// The engine's clock: time from events, and a tick so quiet incidents age.
pub(crate) mod clock;
/// Every pending inbox row through `process`, with changes told once per tick.
pub mod drain;
/// What the engine decided beyond a signal's own link, stored with it.
pub(crate) mod effects;
/// Which instance takes a webhook body; its signature, checked on the raw bytes.
pub mod gateway;
/// `POST /v1/incidents/ingest`: a tool declares an incident directly.
pub mod ingest;
/// The live engine and the store kept in step, cheaply.
pub(crate) mod keeper;
/// Token buckets that push back on a flooding sender or client.
pub mod limits;
/// One batch: inbox rows → normalize → correlate → store, in one transaction.
pub(crate) mod process;
/// The (connector, project) → instance table the gateway asks, cached briefly.
pub(crate) mod receivers;
/// When an incident's analysis (pattern, root cause) is redone.
pub(crate) mod refresh;
/// A dead letter's bytes back into the inbox for another try.
pub mod replay_dead_letter;

#[cfg(test)]
pub(crate) mod process_tests;
#[cfg(test)]
mod tests;
