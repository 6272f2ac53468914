//! The AIOps Challenge 2022 storms (Online Boutique, cloudbed-1), as
//! published with the rca-llm-reasoning study: a knowledge graph of the
//! system, the metric alerts of 70 injected faults, and each fault's
//! labelled root cause at its level (node, service or pod). They are
//! research data whose licence could not be verified, so they are not in
//! the repository: `causeway bench aiops --dataset DIR` reads them from a
//! copy of the study's `data/` folder.
//!
//! The converter turns the graph into a topology (Nodes, one Deployment per
//! service, its instances as Pods on their Nodes, Services, the calls) and
//! each fault's alerts into Alertmanager notifications, one per minute as
//! the alerts come. Each fault is replayed on its own; the root cause named
//! by the incident holding most of its alerts is compared with the label at
//! the labelled level, beside the "entity with the most alerts" heuristic.

use causeway_app::history::replay::replay_shared;
use causeway_core::{Entity, Topology, TopologyBuilder};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The namespace the converted system lives in.
pub const NAMESPACE: &str = "cloudbed-1";

/// One labelled fault.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub id: String,
    /// `node`, `service` or `pod`.
    pub level: String,
    /// `node-1`, `cartservice`, `shippingservice-1`.
    pub entity: String,
    pub kind: String,
}

/// The converted dataset.
#[derive(Debug)]
pub struct Dataset {
    pub topology: Topology,
    /// The topology as documents (to write a `--topology` folder).
    pub documents: Vec<Value>,
    /// Instance → its service, from the graph.
    pub instance_of: BTreeMap<String, String>,
    pub faults: Vec<Fault>,
    /// Fault id → replay NDJSON.
    pub events: BTreeMap<String, String>,
    /// Fault id → alert count per entity (for the heuristic).
    pub counts: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Reads the knowledge graph (`...-KG.json`), the alerts (`metrics.json`)
/// and the labels (`label.csv`).
pub fn convert(kg: &str, metrics: &str, labels: &str) -> Result<Dataset, String> {
    let kg: Value = serde_json::from_str(kg).map_err(|e| format!("knowledge graph: {e}"))?;
    let metrics: BTreeMap<String, Vec<Value>> =
        serde_json::from_str(metrics).map_err(|e| format!("metrics.json: {e}"))?;
    let mut kinds: BTreeMap<String, String> = BTreeMap::new();
    for n in kg["nodes"].as_array().ok_or("knowledge graph: no nodes")? {
        let (Some(id), Some(t)) = (n["id"].as_str(), n["type"].as_str()) else {
            continue;
        };
        kinds.insert(id.to_string(), t.to_string());
    }
    let mut instance_of = BTreeMap::new();
    let mut hosted_on = BTreeMap::new();
    let mut calls = Vec::new();
    for e in kg["edges"].as_array().ok_or("knowledge graph: no edges")? {
        let (Some(a), Some(b), Some(l)) = (
            e["source"].as_str(),
            e["target"].as_str(),
            e["label"].as_str(),
        ) else {
            continue;
        };
        match l {
            "instance_of" => {
                instance_of.insert(a.to_string(), b.to_string());
            }
            "hosted_on" => {
                hosted_on.insert(a.to_string(), b.to_string());
            }
            "control_flow" | "data_flow" => calls.push((a.to_string(), b.to_string())),
            _ => {}
        }
    }
    let mut docs = Vec::new();
    for (id, t) in &kinds {
        if t == "Host" {
            docs.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": id}}));
        }
        if t == "Service" || t == "Cache" || t == "Database" {
            let labels = json!({"app": id});
            docs.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": id, "namespace": NAMESPACE},
                "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}}}}));
            docs.push(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": id, "namespace": NAMESPACE},
                "spec": {"selector": labels}}));
        }
    }
    for (inst, svc) in &instance_of {
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": inst, "namespace": NAMESPACE,
            "labels": {"app": svc}, "ownerReferences": [{"kind": "Deployment", "name": svc}]}, "spec": {}});
        if let Some(node) = hosted_on.get(inst) {
            pod["spec"]["nodeName"] = json!(node);
        }
        docs.push(pod);
    }
    let graph: Vec<Value> = calls
        .iter()
        .map(|(a, b)| json!({"from": a, "to": b, "namespace": NAMESPACE}))
        .collect();
    docs.push(json!({"apiVersion": "causeway/v1", "kind": "ServiceGraph", "calls": graph}));
    let mut b = TopologyBuilder::new();
    for d in &docs {
        b.add_document(d);
    }
    let topology = b.build();

    let mut faults = Vec::new();
    for (i, line) in labels.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 4 {
            return Err(format!(
                "label.csv line {}: expected fault_id,level,entity,type",
                i + 1
            ));
        }
        faults.push(Fault {
            id: f[0].to_string(),
            level: f[1].to_string(),
            entity: f[2].to_string(),
            kind: f[3].to_string(),
        });
    }
    let mut events = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for (id, alerts) in &metrics {
        let (ndjson, c) = storm(alerts, &kinds)?;
        events.insert(id.clone(), ndjson);
        counts.insert(id.clone(), c);
    }
    Ok(Dataset {
        topology,
        documents: docs,
        instance_of,
        faults,
        events,
        counts,
    })
}

/// A metric alert's words: "memory usage is up on cartservice-1".
fn describe(metric: &str, direction: &str) -> String {
    let what = if metric.ends_with("-mrt") {
        "mean response time"
    } else if metric.ends_with("-sr") {
        "success rate"
    } else if metric.ends_with("-rr") {
        "request rate"
    } else if metric.contains("memory") || metric.contains("mem.") {
        "memory usage"
    } else if metric.contains("cpu") {
        "CPU usage"
    } else if metric.contains("network") {
        "network traffic"
    } else if metric.contains("fs_") || metric.contains(".io.") {
        "disk I/O"
    } else if metric.contains("disk") {
        "disk usage"
    } else if metric.contains("threads") {
        "thread count"
    } else {
        metric
    };
    let dir = if direction == "up" { "high" } else { "low" };
    format!("{what} {dir}")
}

/// One fault's alerts as Alertmanager notifications, one per minute.
fn storm(
    alerts: &[Value],
    kinds: &BTreeMap<String, String>,
) -> Result<(String, BTreeMap<String, usize>), String> {
    let mut by_minute: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for a in alerts {
        let f = a.as_array().ok_or("an alert is not an array")?;
        let ms: i64 = f
            .first()
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or("an alert has no millisecond time")?;
        let entity = f.get(1).and_then(Value::as_str).unwrap_or_default();
        let metric = f.get(3).and_then(Value::as_str).unwrap_or_default();
        let direction = f.get(4).and_then(Value::as_str).unwrap_or_default();
        *counts.entry(entity.to_string()).or_default() += 1;
        let at = chrono::DateTime::from_timestamp_millis(ms).ok_or("bad time")?;
        let mut labels = serde_json::Map::new();
        labels.insert("alertname".into(), json!(metric));
        // The dataset says only that a metric went up or down: an anomaly,
        // which monitoring sends as a warning.
        labels.insert("severity".into(), json!("warning"));
        match kinds.get(entity).map(String::as_str) {
            Some("Host") => {
                labels.insert("node".into(), json!(entity));
            }
            Some("Service_Instance") | Some("Cache_Instance") => {
                labels.insert("namespace".into(), json!(NAMESPACE));
                labels.insert("pod".into(), json!(entity));
            }
            _ => {
                labels.insert("namespace".into(), json!(NAMESPACE));
                labels.insert("service".into(), json!(entity));
            }
        }
        let summary = format!("{entity}: {}", describe(metric, direction));
        by_minute.entry(ms / 60_000).or_default().push(json!({
            "status": "firing", "labels": labels, "annotations": {"summary": summary},
            "startsAt": at.to_rfc3339(), "endsAt": "0001-01-01T00:00:00Z"}));
    }
    let mut out = String::new();
    for (minute, alerts) in by_minute {
        let at = chrono::DateTime::from_timestamp(minute * 60 + 30, 0).ok_or("bad time")?;
        let line = json!({"at": at.to_rfc3339(), "source": "alertmanager",
            "body": {"version": "4", "status": "firing", "receiver": "causeway",
                "groupKey": format!("{{}}:{{namespace=\"{NAMESPACE}\"}}"), "alerts": alerts}});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    Ok((out, counts))
}

/// Root-cause accuracy of one method.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub right: usize,
    pub total: usize,
}

impl Tally {
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.right as f64 / self.total as f64
        }
    }
}

/// Per level (`node`, `service`, `pod`, `all`): Causeway and the heuristic.
pub type Results = BTreeMap<String, (Tally, Tally)>;

impl Dataset {
    /// An entity of either method at the fault's level: a pod → its
    /// service at service level; a service stays at pod level (wrong).
    fn at_level(&self, entity: &str, level: &str) -> String {
        match level {
            "service" => self
                .instance_of
                .get(entity)
                .cloned()
                .unwrap_or_else(|| entity.to_string()),
            _ => entity.to_string(),
        }
    }

    /// Replays every fault's alerts as one stream, in time order — as a
    /// live Causeway would have seen the day, learning what keeps coming
    /// back — and scores both methods per labelled fault: Causeway names
    /// the root of the incident holding most of that fault's alerts (none:
    /// no incident for the fault).
    pub fn evaluate(&self, config: &causeway_core::CorrelationConfig) -> Results {
        let topo = Arc::new(self.topology.clone());
        let (stream, fault_of_line) = self.stream();
        let report = replay_shared(&stream, config.clone(), Some(topo));
        // fault → incident index → refs of that fault in it
        let mut held: BTreeMap<&str, BTreeMap<usize, usize>> = BTreeMap::new();
        for (k, inc) in report.incidents.iter().enumerate() {
            for r in &inc.signals {
                let line: usize = r
                    .split(':')
                    .next()
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(usize::MAX);
                if let Some(f) = fault_of_line.get(line) {
                    *held.entry(f.as_str()).or_default().entry(k).or_default() += 1;
                }
            }
        }
        let mut results: Results = BTreeMap::new();
        for f in &self.faults {
            let Some(counts) = self.counts.get(&f.id) else {
                continue;
            };
            let biggest = held
                .get(f.id.as_str())
                .and_then(|m| m.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))))
                .map(|(k, _)| &report.incidents[*k]);
            let named = biggest.and_then(|i| {
                let root = i.root_cause.as_ref()?;
                Some(self.name_of(&root.entity, counts, &f.level))
            });
            let heuristic = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(e, _)| self.at_level(e, &f.level));
            for level in [f.level.as_str(), "all"] {
                let slot = results.entry(level.to_string()).or_default();
                slot.0.total += 1;
                slot.1.total += 1;
                slot.0.right += usize::from(named.as_deref() == Some(f.entity.as_str()));
                slot.1.right += usize::from(heuristic.as_deref() == Some(f.entity.as_str()));
            }
            let covered = results.entry("covered".into()).or_default();
            covered.0.total += 1;
            covered.0.right += usize::from(biggest.is_some());
        }
        results
    }

    /// Every fault's notifications merged in time order, and the fault
    /// each line of the stream belongs to.
    fn stream(&self) -> (String, Vec<String>) {
        let mut lines: Vec<(String, &str, &str)> = Vec::new();
        for (id, events) in &self.events {
            for line in events.lines().filter(|l| !l.trim().is_empty()) {
                let at = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v["at"].as_str().map(str::to_string))
                    .unwrap_or_default();
                lines.push((at, id.as_str(), line));
            }
        }
        lines.sort();
        let mut out = String::new();
        let mut fault_of = Vec::new();
        for (_, id, line) in lines {
            out.push_str(line);
            out.push('\n');
            fault_of.push(id.to_string());
        }
        (out, fault_of)
    }

    /// The name Causeway gives at `level`: its root's Node or Deployment
    /// (a service); at pod level, the root workload's Pod with the most
    /// alerts in the window.
    fn name_of(&self, root: &Entity, counts: &BTreeMap<String, usize>, level: &str) -> String {
        if level == "pod" && root.kind != "pod" {
            let pod = counts
                .iter()
                .filter(|(e, _)| self.instance_of.get(*e) == Some(&root.name))
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(e, _)| e.clone());
            if let Some(pod) = pod {
                return pod;
            }
        }
        root.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small storm in the dataset's own shape: the graph, two faults.
    const KG: &str = r#"{"nodes": [
        {"id": "frontend", "type": "Service"}, {"id": "cartservice", "type": "Service"},
        {"id": "redis-cart", "type": "Cache"},
        {"id": "frontend-0", "type": "Service_Instance"}, {"id": "cartservice-0", "type": "Service_Instance"},
        {"id": "cartservice-1", "type": "Service_Instance"}, {"id": "redis-cart-0", "type": "Cache_Instance"},
        {"id": "node-1", "type": "Host"}, {"id": "node-2", "type": "Host"}],
      "edges": [
        {"source": "frontend", "target": "cartservice", "label": "control_flow"},
        {"source": "cartservice", "target": "redis-cart", "label": "data_flow"},
        {"source": "frontend-0", "target": "frontend", "label": "instance_of"},
        {"source": "cartservice-0", "target": "cartservice", "label": "instance_of"},
        {"source": "cartservice-1", "target": "cartservice", "label": "instance_of"},
        {"source": "redis-cart-0", "target": "redis-cart", "label": "instance_of"},
        {"source": "frontend-0", "target": "node-1", "label": "hosted_on"},
        {"source": "cartservice-0", "target": "node-1", "label": "hosted_on"},
        {"source": "cartservice-1", "target": "node-2", "label": "hosted_on"},
        {"source": "redis-cart-0", "target": "node-2", "label": "hosted_on"}]}"#;

    const METRICS: &str = r#"{
      "0": [["1647736800000", "node-2", null, "system.cpu.pct_usage", "up"],
            ["1647736860000", "cartservice-1", "node-2", "container_cpu_usage_seconds", "up"],
            ["1647736860000", "redis-cart-0", "node-2", "container_cpu_usage_seconds", "up"],
            ["1647736920000", "frontend", null, "http-mrt", "up"],
            ["1647736920000", "frontend-0", "node-1", "container_threads", "up"],
            ["1647736980000", "frontend-0", "node-1", "container_memory_usage_MB", "up"]],
      "1": [["1647740400000", "cartservice-0", "node-1", "container_memory_usage_MB", "up"],
            ["1647740400000", "cartservice-0", "node-1", "container_threads", "up"],
            ["1647740460000", "cartservice", null, "grpc-mrt", "up"],
            ["1647740520000", "frontend", null, "http-mrt", "up"]]}"#;

    const LABELS: &str = "fault_id,fault_level,fault_entity,fault_type,fault_st_time\n\
        0,node,node-2,node CPU load,1647736780\n1,pod,cartservice-0,container memory load,1647740380\n";

    #[test]
    fn the_dataset_converts_to_a_topology_and_replayable_storms() {
        let d = convert(KG, METRICS, LABELS).unwrap();
        let e = |s: &str| Entity::parse(s).unwrap();
        assert!(d.topology.has_edge(
            &e("service/cloudbed-1/frontend"),
            causeway_core::Relation::Calls,
            &e("service/cloudbed-1/cartservice")
        ));
        assert_eq!(
            d.topology.place(&e("pod/cloudbed-1/cartservice-1")),
            Some(e("deployment/cloudbed-1/cartservice"))
        );
        assert_eq!(d.faults.len(), 2);
        // Fault 0: four notifications (one per minute), six alerts.
        assert_eq!(d.events["0"].lines().count(), 4);
        assert_eq!(d.counts["0"].values().sum::<usize>(), 6);
        let r = d.evaluate(&Default::default());
        let (mine, heuristic) = r["all"];
        assert_eq!((mine.total, heuristic.total), (2, 2));
        // Fault 1: cartservice-0 runs out of memory and its callers slow
        // down; the incident names cartservice, and its Pod with the most
        // alerts is the pod-level answer. Fault 0's most-alerting entity is
        // frontend-0, not the Node: the heuristic misses it.
        assert_eq!(r["pod"].0.right, 1, "{r:?}");
        assert_eq!(r["node"].1.right, 0, "{r:?}");
    }

    #[test]
    fn a_broken_file_is_a_clear_error() {
        assert!(convert("{", METRICS, LABELS)
            .unwrap_err()
            .contains("knowledge graph"));
        assert!(convert(KG, "[]", LABELS)
            .unwrap_err()
            .contains("metrics.json"));
        assert!(convert(KG, METRICS, "h\nonly-one-field\n")
            .unwrap_err()
            .contains("label.csv"));
    }
}
