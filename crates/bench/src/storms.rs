//! Labelled storm folders made elsewhere, read the way `causeway replay`
//! reads its inputs: each folder under a directory holds `events.ndjson`,
//! `topology/` and `truth.json`:
//!
//! ```json
//! {"clusters": {"fault-1-oom": {"noise": false, "pattern": "resource_exhaustion",
//!                               "root": "deployment/shop/carts"},
//!               "noise-3": {"noise": true, "pattern": null, "root": null}},
//!  "signals": {"0:0": "noise-3", "1:0": "fault-1-oom"}}
//! ```
//!
//! A noise cluster's pairs do not count, so every noise ref becomes
//! [`NOISE`]; a cluster with no pattern (a chronic or flapping alert) is of
//! the family `none`. The world of a storm is its folder name without a
//! trailing `-NN` (`sock-shop-07` → `sock-shop`).

use crate::scenarios::{Cluster, Truth, NOISE};
use causeway_core::Topology;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One labelled storm.
#[derive(Debug, Clone)]
pub struct Storm {
    pub name: String,
    pub world: String,
    pub events: String,
    pub topology: Topology,
    pub truth: Truth,
}

#[derive(Deserialize)]
struct RawTruth {
    clusters: BTreeMap<String, RawCluster>,
    signals: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawCluster {
    #[serde(default)]
    noise: bool,
    #[serde(default)]
    pattern: Option<String>,
    #[serde(default)]
    root: Option<String>,
}

/// The family of a cluster with no pattern.
pub const NO_PATTERN: &str = "none";

/// Reads a `truth.json` of the layout above.
pub fn parse_truth(name: &str, text: &str) -> Result<Truth, String> {
    let raw: RawTruth =
        serde_json::from_str(text).map_err(|e| format!("{name}/truth.json: {e}"))?;
    let mut truth = Truth {
        scenario: name.to_string(),
        ..Truth::default()
    };
    for (id, c) in &raw.clusters {
        if c.noise {
            continue;
        }
        truth.clusters.insert(
            id.clone(),
            Cluster {
                family: c.pattern.clone().unwrap_or_else(|| NO_PATTERN.into()),
                root: c.root.clone(),
            },
        );
    }
    for (r, c) in raw.signals {
        let noise = raw.clusters.get(&c).is_none_or(|c| c.noise);
        truth
            .refs
            .insert(r, if noise { NOISE.to_string() } else { c });
    }
    Ok(truth)
}

/// The world of a storm folder: its name without a trailing `-NN`.
pub fn world_of(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((w, n)) if !w.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => w.to_string(),
        _ => name.to_string(),
    }
}

/// Every storm folder directly under `dir` (those holding `events.ndjson`
/// and `truth.json`), in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Storm>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read --storms {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().join("events.ndjson").is_file() && e.path().join("truth.json").is_file()
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!(
            "--storms {} holds no folder with events.ndjson and truth.json",
            dir.display()
        ));
    }
    names.iter().map(|n| load(&dir.join(n), n)).collect()
}

fn load(dir: &Path, name: &str) -> Result<Storm, String> {
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f)).map_err(|e| format!("cannot read {name}/{f}: {e}"))
    };
    let events = read("events.ndjson")?;
    let truth = parse_truth(name, &read("truth.json")?)?;
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("topology")) {
        for e in entries.filter_map(Result::ok) {
            let file = e.file_name().to_string_lossy().into_owned();
            if e.path().is_file() && causeway_app::topology::is_topology_file(&file) {
                files.push((file.clone(), read(&format!("topology/{file}"))?));
            }
        }
    }
    Ok(Storm {
        name: name.to_string(),
        world: world_of(name),
        events,
        topology: causeway_app::topology::load(&files).topology,
        truth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_clusters_become_noise_and_a_missing_pattern_is_none() {
        let t = parse_truth(
            "s-01",
            r#"{"clusters": {"a": {"noise": false, "pattern": "node_failure", "root": "node/n1"},
                             "b": {"noise": false, "pattern": null, "root": null},
                             "n": {"noise": true, "pattern": null, "root": null}},
                "signals": {"0:0": "a", "1:0": "b", "2:0": "n", "3:0": "unknown"}}"#,
        )
        .unwrap();
        assert_eq!(t.refs["0:0"], "a");
        assert_eq!(t.refs["1:0"], "b");
        assert_eq!(t.refs["2:0"], NOISE);
        assert_eq!(
            t.refs["3:0"], NOISE,
            "a ref of no known cluster counts as noise"
        );
        assert_eq!(t.clusters.len(), 2);
        assert_eq!(t.clusters["a"].root.as_deref(), Some("node/n1"));
        assert_eq!(t.clusters["b"].family, NO_PATTERN);
        assert!(parse_truth("x", "{").unwrap_err().contains("x/truth.json"));
    }

    #[test]
    fn the_world_is_the_folder_name_without_its_number() {
        assert_eq!(world_of("sock-shop-07"), "sock-shop");
        assert_eq!(world_of("train-ticket-1"), "train-ticket");
        assert_eq!(world_of("boutique"), "boutique");
        assert_eq!(world_of("a-b"), "a-b");
    }
}
