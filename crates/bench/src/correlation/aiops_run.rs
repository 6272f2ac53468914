//! `causeway bench aiops`.

use super::write;
use causeway_core::CorrelationConfig;
use serde_json::json;
use std::fmt::Write;
use std::path::Path;

/// Reads and converts the dataset's Online Boutique cloudbed-1 storms.
pub fn load(dataset: &Path) -> Result<crate::aiops::Dataset, String> {
    let read = |rel: &str| {
        std::fs::read_to_string(dataset.join(rel)).map_err(|e| {
            format!(
                "cannot read {}: {e} (pass the data/ folder of https://github.com/boerste/rca-llm-reasoning)",
                dataset.join(rel).display()
            )
        })
    };
    crate::aiops::convert(
        &read("system-knowledge-graphs/original/Online-Boutique-cloudbed-1/Online-Boutique-cloudbed-1-KG.json")?,
        &read("fault-alerts/Online-Boutique-cloudbed-1/metric/metrics.json")?,
        &read("fault-alerts/Online-Boutique-cloudbed-1/label.csv")?,
    )
}

/// `causeway bench aiops`: the AIOps Challenge 2022 storms, converted
/// (`crate::aiops`), replayed fault by fault.
pub fn aiops(dataset: &Path, out: Option<&Path>) -> Result<String, String> {
    let d = load(dataset)?;
    if let Some(dir) = out {
        let list = json!({"apiVersion": "v1", "kind": "List", "items": d.documents});
        write(
            &dir.join("topology").join("cloudbed-1.json"),
            &(serde_json::to_string_pretty(&list).map_err(|e| e.to_string())? + "\n"),
        )?;
        for (id, events) in &d.events {
            write(
                &dir.join(format!("fault-{id}")).join("events.ndjson"),
                events,
            )?;
        }
    }
    let r = d.evaluate(&CorrelationConfig::default());
    let alerts: usize = d.counts.values().flat_map(|c| c.values()).sum();
    let mut md = format!(
        "AIOps Challenge 2022, Online Boutique cloudbed-1: {} labelled faults, {alerts} alerts, a {}-entity graph.\n\n| level | faults | Causeway RCA | most-alerts heuristic |\n|---|---|---|---|\n",
        d.faults.len(),
        d.topology.node_count()
    );
    for level in ["node", "service", "pod", "all"] {
        if let Some((mine, h)) = r.get(level) {
            let _ = writeln!(
                md,
                "| {level} | {} | {:.3} ({}) | {:.3} ({}) |",
                mine.total,
                mine.accuracy(),
                mine.right,
                h.accuracy(),
                h.right
            );
        }
    }
    if let Some((c, _)) = r.get("covered") {
        let _ = writeln!(
            md,
            "\nFaults with an incident holding their alerts: {} of {} (the stream replayed as one day, in time order).",
            c.right, c.total
        );
    }
    Ok(md)
}
