//! `causeway-bench`: what measures the correlation engine, kept out of the
//! product (the desktop app never links it; the `causeway` CLI does behind
//! its default `bench` feature).
//!
//! - [`scenarios`]: our own labelled fault generator over two real
//!   applications, its scorer and the baselines;
//! - [`storms`]: labelled storm folders from elsewhere (`events.ndjson`,
//!   `topology/`, `truth.json`), read and scored the same way;
//! - [`aiops`]: the AIOps Challenge 2022 storms, converted;
//! - [`correlation`]: the runs and the Markdown tables of `causeway bench
//!   correlation` and `causeway bench aiops`;
//! - [`ingest`]: `causeway bench ingest`, the webhook load against a
//!   running `causeway serve` and Alertmanager side by side;
//! - [`team`]: `causeway bench team`, a storm through the team log of
//!   `causeway serve --team` members, and a late member's catch-up.

pub mod aiops;
pub mod correlation;
pub mod ingest;
pub mod scenarios;
pub mod storms;
pub mod team;
