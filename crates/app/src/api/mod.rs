//! What crosses to the UI and API clients: the one command list, the answer
//! types, errors as `{code, message}`, and the arguments of commands.

pub mod commands;
pub mod error;
pub mod requests;
pub mod tokens;
pub mod version;
pub mod views;
