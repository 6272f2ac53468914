//! The whole topology for the Topology screen: every entity and typed edge the
//! app correlates over, with what the open incidents say about each entity
//! (how many of their signals name it, whether one of them blames it). The
//! screen asks "what if it fails?" of any node through `topologyImpact`.

use crate::api::error::ApiError;
use crate::App;
use causeway_core::analysis::{Graph, GraphEdge, GraphNode};
use causeway_core::{Entity, IncidentStatus, SignalStatus, Topology};
use causeway_store::{incidents, signals};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Open incidents looked at for the badges; more is noise on a map.
const OPEN_INCIDENTS_LOOKED_AT: i64 = 50;

/// `getTopology`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TopologyView {
    /// False when no topology is loaded (the graph is then empty).
    pub loaded: bool,
    /// Every entity and edge. A node's `signalCount`/`firing` count the
    /// signals of open incidents that name it (or a Pod it resolves to);
    /// `root` marks an open incident's root cause.
    pub graph: Graph,
    /// The open incidents whose root cause is in the topology.
    pub roots: Vec<TopologyRoot>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TopologyRoot {
    pub incident_id: String,
    pub title: String,
    pub entity: Entity,
}

#[derive(Default)]
struct Marks {
    signals: u32,
    firing: u32,
    root: bool,
}

impl App {
    pub async fn topology_view(&self, project: Option<String>) -> Result<TopologyView, ApiError> {
        let project = match project {
            Some(p) => Some(self.project_or_default(Some(p)).await?),
            None => None,
        };
        let Some(topology) = self.topology.read().ok().and_then(|t| t.clone()) else {
            return Ok(TopologyView {
                loaded: false,
                graph: Graph::default(),
                roots: Vec::new(),
            });
        };
        let open = self
            .store()
            .read(move |c| {
                let mut out = Vec::new();
                let rows = incidents::list(c, project.as_deref(), OPEN_INCIDENTS_LOOKED_AT)?;
                for row in rows {
                    if row.status != IncidentStatus::Resolved {
                        let members = signals::for_incident(c, &row.id)?;
                        out.push((row, members));
                    }
                }
                Ok(out)
            })
            .await?;
        let mut marks: BTreeMap<Entity, Marks> = BTreeMap::new();
        let mut roots = Vec::new();
        for (row, members) in open {
            for s in members {
                let Some(e) = s
                    .signal
                    .entity
                    .as_ref()
                    .and_then(|e| topology.resolve_entity(e))
                else {
                    continue;
                };
                let m = marks.entry(e).or_default();
                m.signals += 1;
                if s.signal.status == SignalStatus::Firing {
                    m.firing += 1;
                }
            }
            if let Some(root) = row
                .root_cause
                .as_ref()
                .and_then(|r| topology.resolve_entity(&r.entity))
            {
                marks.entry(root.clone()).or_default().root = true;
                roots.push(TopologyRoot {
                    incident_id: row.id,
                    title: row.title,
                    entity: root,
                });
            }
        }
        Ok(TopologyView {
            loaded: true,
            graph: graph_of(&topology, &marks),
            roots,
        })
    }
}

fn graph_of(topology: &Topology, marks: &BTreeMap<Entity, Marks>) -> Graph {
    let nodes = topology
        .entities()
        .map(|e| {
            let m = marks.get(e);
            GraphNode {
                id: e.clone(),
                kind: e.kind.clone(),
                label: e.name.clone(),
                signal_count: m.map_or(0, |m| m.signals),
                firing: m.map_or(0, |m| m.firing),
                root: m.is_some_and(|m| m.root),
                inferred: false,
            }
        })
        .collect();
    let edges = topology
        .edges()
        .into_iter()
        .map(|e| GraphEdge {
            from: e.from,
            to: e.to,
            relation: e.relation.as_str().to_string(),
            inferred: e.inferred,
        })
        .collect();
    Graph {
        nodes,
        edges,
        omitted: None,
    }
}

#[cfg(test)]
mod tests {
    use super::TopologyView;
    use crate::App;
    use crate::{dispatch, Command};

    async fn topology(app: &App) -> TopologyView {
        serde_json::from_value(
            dispatch(app, Command::GetTopology { project: None })
                .await
                .unwrap(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn without_a_topology_the_view_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        let v = topology(&app).await;
        assert!(!v.loaded);
        assert!(v.graph.nodes.is_empty() && v.roots.is_empty());
    }

    #[tokio::test]
    async fn the_demo_cluster_with_its_incident_marked_on_the_map() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        app.set_topology(crate::demo_topology());
        let before = topology(&app).await;
        assert!(before.loaded);
        assert!(
            before.graph.nodes.len() > 20,
            "{}",
            before.graph.nodes.len()
        );
        assert!(before
            .graph
            .nodes
            .iter()
            .all(|n| n.signal_count == 0 && !n.root));
        let ids: Vec<String> = before
            .graph
            .nodes
            .iter()
            .map(|n| n.id.to_string())
            .collect();
        for e in &before.graph.edges {
            assert!(ids.contains(&e.from.to_string()) && ids.contains(&e.to.to_string()));
            assert!(
                ["owns", "runs-on", "selects", "calls", "uses-config"]
                    .contains(&e.relation.as_str()),
                "{}",
                e.relation
            );
        }
        assert!(before.graph.edges.iter().any(|e| e.relation == "calls"));

        assert!(app.load_demo_if_empty().await.unwrap());
        app.drain().await;
        let after = topology(&app).await;
        assert_eq!(after.graph.nodes.len(), before.graph.nodes.len());
        let root = after
            .roots
            .first()
            .expect("the demo incident's root is on the map");
        assert!(
            root.entity.to_string().contains("redis-cart"),
            "{}",
            root.entity
        );
        let node = after
            .graph
            .nodes
            .iter()
            .find(|n| n.id == root.entity)
            .unwrap();
        assert!(node.root && node.signal_count > 0, "{node:?}");

        // Marked per project: the demo's incident is the default project's.
        let of = |project: &str| Command::GetTopology {
            project: Some(project.into()),
        };
        let mine: TopologyView =
            serde_json::from_value(dispatch(&app, of("default")).await.unwrap()).unwrap();
        assert_eq!(mine.roots, after.roots);
        app.store()
            .write(|c| {
                let at = causeway_store::ts(chrono::Utc::now());
                causeway_store::projects::ensure(c, "staging", &at)
            })
            .await
            .unwrap();
        let theirs: TopologyView =
            serde_json::from_value(dispatch(&app, of("staging")).await.unwrap()).unwrap();
        assert!(theirs.roots.is_empty());
        assert!(theirs
            .graph
            .nodes
            .iter()
            .all(|n| n.signal_count == 0 && !n.root));
        let unknown = dispatch(&app, of("nope")).await.unwrap_err();
        assert_eq!(unknown.code, crate::Code::NotFound);
    }
}
