//! The live app's topology: manifests from a folder (`DATA_DIR/topology`, or
//! `causeway serve --topology DIR`) or the demo's Online Boutique, merged with
//! what each running Kubernetes connector sees of its cluster. The engine
//! correlates over it and `GET /api/topology/impact` answers "what if X fails?"
//! before anything does.
//!
//! The graph is rebuilt from all of its inputs whenever one of them changes:
//! a connector sends its objects whole, debounced, so a rebuild happens once
//! per burst of cluster changes, off the async threads, one at a time.

use crate::api::error::ApiError;
use crate::topology::{documents, is_topology_file, load};
use crate::App;
use causeway_core::{Entity, Topology, TopologyBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use ts_rs::TS;

/// What the live topology is built from.
#[derive(Default)]
pub(crate) struct TopologyInputs {
    sources: std::sync::Mutex<Sources>,
    /// One rebuild at a time, so the last input always wins.
    rebuild: tokio::sync::Mutex<()>,
}

#[derive(Default, Clone)]
struct Sources {
    /// Documents of the topology folder, or the demo's manifests.
    files: Arc<Vec<Value>>,
    /// Each running Kubernetes instance's objects, by instance id.
    live: BTreeMap<String, Arc<Vec<Arc<Value>>>>,
}

impl TopologyInputs {
    /// The inputs; a panicked holder left them whole (each update is one
    /// assignment), so a poisoned lock is taken as is.
    fn sources(&self) -> std::sync::MutexGuard<'_, Sources> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One graph from every input. Objects seen both in a file and live are one
/// node: entities are names.
fn build(sources: &Sources) -> Topology {
    let mut b = TopologyBuilder::new();
    for doc in sources.files.iter() {
        b.add_document(doc);
    }
    for objects in sources.live.values() {
        for o in objects.iter() {
            b.add_k8s_object(o);
        }
    }
    b.build()
}

/// `GET /api/topology/impact?entity=node/node-3`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImpactView {
    pub entity: Entity,
    /// Everything that fails when `entity` fails, nearest first.
    pub impacted: Vec<Entity>,
    /// `paths[i]` explains `impacted[i]`, one sentence per hop
    /// ("service/shop/frontend calls service/shop/cartservice").
    pub paths: Vec<Vec<String>>,
    /// Whether the topology knows the entity at all.
    pub known: bool,
}

/// Online Boutique's manifests as the demo storm assumes them: applied in
/// namespace `boutique`.
const DEMO_MANIFESTS: &str =
    include_str!("../../../../tests/fixtures/topologies/online-boutique/kubernetes-manifests.yaml");

/// The demo's manifests, placed in namespace `boutique`.
pub fn demo_documents() -> Vec<Value> {
    let mut docs = documents("online-boutique.yaml", DEMO_MANIFESTS).unwrap_or_default();
    for doc in &mut docs {
        if let Some(meta) = doc.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.insert("namespace".into(), "boutique".into());
        }
    }
    docs
}

/// The demo's topology.
pub fn demo_topology() -> Topology {
    let mut b = TopologyBuilder::new();
    for doc in demo_documents() {
        b.add_document(&doc);
    }
    b.build()
}

impl App {
    /// Correlates over `topology` from now on, until the next rebuild from
    /// the topology's inputs (a file topology or a Kubernetes connector)
    /// replaces it.
    pub fn set_topology(&self, topology: Topology) {
        let t = Arc::new(topology);
        if let Ok(mut e) = self.engine.lock() {
            e.set_topology(Some(t.clone()));
        }
        if let Ok(mut slot) = self.topology.write() {
            *slot = Some(t);
        }
    }

    /// Reads every `*.yaml`/`*.yml`/`*.json` in `dir` (not recursive) into
    /// the topology; returns the warnings about what was skipped.
    pub fn load_topology_dir(&self, dir: &Path) -> Result<Vec<String>, ApiError> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ApiError::bad_request(format!(
                "cannot read topology folder {}: {e}",
                dir.display()
            ))
        })?;
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.path().is_file() || !is_topology_file(&name) {
                continue;
            }
            let text = std::fs::read_to_string(entry.path())
                .map_err(|e| ApiError::bad_request(format!("cannot read {name}: {e}")))?;
            files.push((name, text));
        }
        let loaded = load(&files);
        self.set_topology_documents(loaded.documents);
        Ok(loaded.warnings)
    }

    /// Uses these documents (manifests, API object lists, ServiceGraphs) as
    /// the file part of the topology, merged with what Kubernetes connectors
    /// see.
    pub fn set_topology_documents(&self, docs: Vec<Value>) {
        let sources = {
            let mut s = self.topology_inputs.sources();
            s.files = Arc::new(docs);
            s.clone()
        };
        // Synchronous on purpose: hosts call this before the app starts, and
        // the engine must have the graph before the first signal.
        self.set_topology(build(&sources));
    }

    /// A Kubernetes connector's objects, whole (`None`: it stopped); the
    /// graph is rebuilt off the async threads.
    pub(crate) async fn set_live_topology(&self, instance: &str, objects: Option<Vec<Arc<Value>>>) {
        let _one_at_a_time = self.topology_inputs.rebuild.lock().await;
        let sources = {
            let mut s = self.topology_inputs.sources();
            match objects {
                Some(o) => s.live.insert(instance.to_string(), Arc::new(o)),
                None => s.live.remove(instance),
            };
            s.clone()
        };
        // Building and installing both block (the engine's lock is held
        // while a batch is processed): off the async threads.
        let app = self.clone();
        let built = tokio::task::spawn_blocking(move || {
            let t = build(&sources);
            let size = (t.node_count(), t.edge_count());
            app.set_topology(t);
            size
        })
        .await;
        match built {
            Ok((nodes, edges)) => tracing::debug!(instance, nodes, edges, "topology rebuilt"),
            Err(e) => tracing::error!(error = %e, "topology rebuild failed"),
        }
    }

    /// What fails when `entity` fails.
    pub fn topology_impact(&self, entity: &str) -> Result<ImpactView, ApiError> {
        let e = Entity::parse(entity).map_err(ApiError::bad_request)?;
        let topology = self.topology.read().ok().and_then(|t| t.clone()).ok_or_else(|| {
            ApiError::not_found(
                "no topology loaded: put Kubernetes manifests in DATA_DIR/topology or start with --topology DIR",
            )
        })?;
        let impact = topology.impact(&e);
        Ok(ImpactView {
            known: topology.resolve(&e).is_some(),
            entity: impact.entity,
            impacted: impact.impacted,
            paths: impact
                .paths
                .iter()
                .map(|p| p.iter().map(ToString::to_string).collect())
                .collect(),
        })
    }
}
