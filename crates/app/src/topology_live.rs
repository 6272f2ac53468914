//! The live app's topology: manifests from a folder (`DATA_DIR/topology`, or
//! `causeway serve --topology DIR`), or the demo's Online Boutique. The engine
//! correlates over it and `GET /api/topology/impact` answers "what if X fails?"
//! before anything does.

use crate::error::ApiError;
use crate::topology::{documents, is_topology_file, load};
use crate::App;
use causeway_core::{Entity, Topology, TopologyBuilder};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use ts_rs::TS;

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
    include_str!("../../../tests/fixtures/topologies/online-boutique/kubernetes-manifests.yaml");

/// The demo's topology.
pub fn demo_topology() -> Topology {
    let mut b = TopologyBuilder::new();
    for mut doc in documents("online-boutique.yaml", DEMO_MANIFESTS).unwrap_or_default() {
        if let Some(meta) = doc.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.insert("namespace".into(), "boutique".into());
        }
        b.add_document(&doc);
    }
    b.build()
}

impl App {
    /// Correlates over `topology` from now on.
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
        self.set_topology(loaded.topology);
        Ok(loaded.warnings)
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
