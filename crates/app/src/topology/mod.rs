//! A topology folder's files (already read by the host) → a [`Topology`].
//!
//! Parsing lives here rather than in core because YAML is a file format, not
//! part of the domain; reading the folder stays with the host (`causeway
//! replay --topology DIR`), so this is testable on plain strings. Contract:
//! `spec/replay.md`, "Input: topology DIR".

/// The topology the live app correlates over: manifests, the demo, Kubernetes.
pub(crate) mod live;
/// The whole topology for the Topology screen.
pub mod view;

use causeway_core::topology::Skipped;
use causeway_core::{Topology, TopologyBuilder};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The built topology, and what the host should warn about.
#[derive(Debug)]
pub struct Loaded {
    pub topology: Topology,
    /// One line per unreadable file or per kind of skipped object, in file
    /// name order.
    pub warnings: Vec<String>,
    /// Every document read, in file name order (what the live topology
    /// merges with the Kubernetes connectors' objects).
    pub documents: Vec<Value>,
}

/// Whether a file name is a topology input (`*.yaml`, `*.yml`, `*.json`).
pub fn is_topology_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".yaml", ".yml", ".json"]
        .iter()
        .any(|x| lower.ends_with(x))
}

/// Builds one topology from `(file name, contents)` pairs, in any order:
/// they are taken in name order so warnings come out the same every time
/// (the graph itself does not depend on the order).
pub fn load(files: &[(String, String)]) -> Loaded {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut builder = TopologyBuilder::new();
    let mut warnings = Vec::new();
    let mut read = Vec::new();
    for (name, text) in sorted {
        let docs = match documents(name, text) {
            Ok(docs) => docs,
            Err(e) => {
                warnings.push(format!("{name}: skipped: {e}"));
                continue;
            }
        };
        let skipped: Vec<Skipped> = docs.iter().flat_map(|d| builder.add_document(d)).collect();
        warnings.extend(summarize(name, &skipped));
        read.extend(docs);
    }
    Loaded {
        topology: builder.build(),
        warnings,
        documents: read,
    }
}

/// The documents of one file: every document of a YAML stream, or the one
/// JSON value of a `.json` file.
pub fn documents(name: &str, text: &str) -> Result<Vec<Value>, String> {
    if name.to_ascii_lowercase().ends_with(".json") {
        return serde_json::from_str(text)
            .map(|v| vec![v])
            .map_err(|e| format!("not JSON: {e}"));
    }
    serde_yaml_ng::Deserializer::from_str(text)
        .map(|doc| Value::deserialize(doc).map_err(|e| format!("not YAML: {e}")))
        .collect()
}

/// Skipped objects grouped by kind and reason, so a manifest with eleven
/// ServiceAccounts gives one line, not eleven.
fn summarize(file: &str, skipped: &[Skipped]) -> Vec<String> {
    let mut groups: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for s in skipped {
        groups
            .entry((s.kind.as_str(), s.reason.as_str()))
            .or_default()
            .push(s.name.as_str());
    }
    groups
        .into_iter()
        .map(|((kind, reason), names)| {
            let named: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
            let list = match named.len() {
                0 => String::new(),
                1..=3 => format!(" ({})", named.join(", ")),
                n => format!(" ({}, … {} more)", named[..3].join(", "), n - 3),
            };
            let count = names.len();
            format!("{file}: skipped {count} {kind}{list}: {reason}")
        })
        .collect()
}

#[cfg(test)]
mod tests;
