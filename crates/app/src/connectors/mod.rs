//! Connector instances in the app: configured connections (settings in
//! SQLite, secrets in the keychain), what one does to them, their health,
//! the checks of the connectors that hold a connection, and the webhook
//! secrets Causeway makes. Running them is `sources.rs`'s job, a layer up.

pub mod health;
pub mod instances;
pub mod kubernetes;
pub mod ops;
pub(crate) mod secrets_scope;
pub mod setup_schema;
pub(crate) mod streams;
pub mod webhook_secrets;
