//! Causeway's core: the canonical model every source is normalized into, the
//! entity notation and graph of the topology, and the correlation engine.
//!
//! This crate does no I/O and never reads the wall clock: time arrives with the
//! events, so a replay of the same input gives the same output, byte for byte.

pub mod analysis;
pub mod conventions;
pub mod correlate;
pub mod entity;
pub mod hash;
pub mod incident;
pub mod sensitive;
pub mod signal;
pub mod topology;
pub mod vocabulary;
pub mod words;

pub use correlate::{
    CorrelationConfig, Decision, Effects, Engine, Engines, Feedback, IncidentRule, OverrideError,
    RuleMatch,
};
pub use entity::Entity;
pub use incident::{
    Confidence, CorrelationLink, Incident, IncidentStatus, LedgerAction, LedgerEntry, LinkStrategy,
    RootCause,
};
pub use sensitive::Sensitive;
pub use signal::{Severity, Signal, SignalKind, SignalStatus};
pub use topology::{Impact, Relation, Topology, TopologyBuilder};
