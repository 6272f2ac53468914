//! What people do with incidents beyond reading them: search the whole
//! table, set a status, move, merge and split (overrides), and fetch the
//! evidence of an incident's window.

pub mod decision;
pub mod evidence;
pub mod overrides;
pub(crate) mod queries;
pub mod search;
pub mod status;
