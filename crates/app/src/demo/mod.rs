//! The built-in demo: a recorded Alertmanager storm over Online Boutique
//! (`redis-cart` runs out of memory, `cartservice` fails, the frontend slows).
//!
//! It goes in through the same inbox and pipeline as a live webhook, with the
//! recorded arrival times, so what a new user sees is what Causeway really does.

use crate::api::error::ApiError;
use crate::App;
use causeway_store::{inbox, instances, signals};

/// The storm, in replay format (one `{at, source, headers, body}` per line).
pub const STORM: &str = include_str!("storm.ndjson");

impl App {
    /// Loads the demo storm when the store has never received anything.
    /// Returns whether it loaded.
    pub async fn load_demo_if_empty(&self) -> Result<bool, ApiError> {
        let loaded = self
            .store()
            .write(|conn| {
                let tx = conn.transaction()?;
                if inbox::count(&tx)? > 0 || signals::count(&tx)? > 0 {
                    return Ok(false);
                }
                let Some(inst) = instances::enabled_for(&tx, "alertmanager", "default")? else {
                    return Ok(false);
                };
                for line in STORM.lines().filter(|l| !l.trim().is_empty()) {
                    let v: serde_json::Value = serde_json::from_str(line)?;
                    let at = v["at"].as_str().unwrap_or_default();
                    let at = causeway_store::ts(causeway_store::parse_ts(at)?);
                    let body = serde_json::to_vec(&v["body"])?;
                    let headers = v["headers"].to_string();
                    inbox::insert(
                        &tx,
                        &inst.id,
                        "alertmanager",
                        "default",
                        &at,
                        &headers,
                        &body,
                    )?;
                }
                tx.commit()?;
                Ok(true)
            })
            .await?;
        if loaded {
            tracing::info!("loaded the demo storm");
            self.wake.notify_one();
        }
        Ok(loaded)
    }
}
