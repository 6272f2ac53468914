//! `getVersion` (`GET /api/version`): which Causeway answers, so the UI can
//! say it and a bug report can quote it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The running build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    /// `Causeway`.
    pub name: String,
    /// The workspace version (`0.1.0`), the same `causeway --version` prints.
    pub version: String,
}

pub fn current() -> VersionView {
    VersionView {
        name: "Causeway".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}
