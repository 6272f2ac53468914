//! How a Causeway is configured besides its screens' forms: connectors from
//! the environment or a `connectors.json`, and the settings a person
//! changes (data folder, webhook port).

pub mod env;
pub mod file;
pub mod settings;
