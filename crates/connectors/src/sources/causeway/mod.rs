//! `causeway`: the generic incident schema of `POST /v1/incidents/ingest`
//! (sourceType, sourceRef, title, timeline, severity, metadata, evidenceLite,
//! sourcePayload, collectionContext). The same body is a replay source, so an
//! ingested incident can be reproduced like any webhook.

mod normalize;
#[cfg(test)]
mod tests;
mod validate;

pub use normalize::{Causeway, SOURCE_TYPES};
pub use validate::{validate, FieldError};
