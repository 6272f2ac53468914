//! Connectors: each native provider in its own folder under [`sources`],
//! the descriptor-driven ones in [`descriptor`], each turning that provider's
//! payloads into canonical [`causeway_core::Signal`]s.
//!
//! The folders depend on each other in one direction only:
//! [`registry`] (the one place that names every connector) →
//! [`sources`] → [`descriptor`] → [`poll`] → [`runtime`] (the shared types)
//! → [`secrets`]; [`verify`] and the label helpers depend on none of them.

pub mod descriptor;
mod labels;
pub mod poll;
pub mod registry;
pub mod runtime;
pub mod secrets;
pub mod sources;
pub mod verify;

pub use descriptor::{catalogue, load_user_descriptors, DescriptorError, DescriptorSummary};
pub use labels::{entity_from_labels, label_fingerprint, service_from_labels};
pub use registry::{count_items, normalize_bytes, normalizer};
pub use runtime::{headers_from_json, parse_json, Context, NormalizeError, Normalizer};
