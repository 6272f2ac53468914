//! Causeway's store: one SQLite file in the data dir.
//!
//! Pragmas are set once when a connection opens (WAL, foreign keys, busy
//! timeout); migrations are embedded and applied in order; all writes go
//! through one writer thread so async tasks never block on SQLite and never
//! fight over the write lock. Each table has its own query module.

pub mod assignments;
mod codec;
mod db;
pub mod dead_letters;
pub mod engine_state;
pub mod evidence;
pub mod feedback;
pub mod inbox;
pub mod incident_ledger;
pub mod incidents;
pub mod ingest_requests;
pub mod instances;
pub mod links;
pub mod login_tokens;
pub mod meta;
pub mod poll_items;
pub mod projects;
pub mod settings;
pub mod signals;
pub mod team_outbox;
pub mod tokens;
pub mod webhook_deliveries;
mod writer;

pub use db::{open_connection, DB_FILE};
pub use rusqlite::{self, Connection, Transaction};
pub use writer::{panic_message, Intake, Store};

/// A store failure. Carries no payload data, so it is safe to log and show.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot create the data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("stored JSON is unreadable: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// RFC 3339 with a fixed shape (UTC, `Z`, millis) so text order is time order.
pub fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses a timestamp written by [`ts`].
pub fn parse_ts(s: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| StoreError::Invalid(format!("bad timestamp '{s}': {e}")))
}
