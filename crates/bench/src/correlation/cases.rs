//! The labelled storms the bench scores, from every source in one shape,
//! and what one replay of a storm under some settings scores.

use crate::scenarios::score::{
    baseline, from_report, link_outcomes, observe, score, score_by_family, Obs, Scores, BASELINES,
};
use crate::scenarios::world::World;
use crate::scenarios::{suites, Truth};
use crate::storms;
use causeway_app::history::replay::{replay_links, Report};
use causeway_core::{CorrelationConfig, Topology};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// One labelled storm.
pub struct Case {
    /// `generator` (ours) or `storms` (a `--storms` folder).
    pub source: String,
    /// The application and cluster it runs on (`sock-shop`...).
    pub world: String,
    pub name: String,
    pub events: String,
    pub topology: Arc<Topology>,
    pub truth: Truth,
    pub obs: Vec<Obs>,
    /// The baselines' scores, in [`BASELINES`] order (settings do not
    /// change them).
    pub baselines: Vec<Scores>,
}

impl Case {
    fn new(
        source: &str,
        world: &str,
        name: String,
        events: String,
        topology: Arc<Topology>,
        truth: Truth,
    ) -> Case {
        let obs = observe(&events);
        let baselines = BASELINES
            .iter()
            .map(|b| score(&obs, &truth, &baseline(b, &obs), &topology))
            .collect();
        Case {
            source: source.to_string(),
            world: world.to_string(),
            name,
            events,
            topology,
            truth,
            obs,
            baselines,
        }
    }

    /// `source:world`, the unit a leave-one-world-out fold holds out.
    pub fn world_key(&self) -> String {
        format!("{}:{}", self.source, self.world)
    }

    /// The best baseline's pair F1 on this storm.
    pub fn best_baseline_f1(&self) -> f64 {
        self.baselines.iter().map(Scores::f1).fold(0.0, f64::max)
    }
}

/// What one replay of a case scored.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub total: Scores,
    pub families: BTreeMap<String, Scores>,
    /// Each placed identity's link confidence and whether it was right.
    pub links: Vec<(f64, bool)>,
    /// Each placed ref's link: confidence and reason (for `--out`).
    pub placements: BTreeMap<String, causeway_app::history::replay::Placement>,
}

/// Replays `case` under `config` and scores it.
pub fn evaluate(case: &Case, config: &CorrelationConfig) -> (Outcome, Report) {
    let (report, placements) =
        replay_links(&case.events, config.clone(), Some(case.topology.clone()));
    let groups = from_report(&report);
    let outcome = Outcome {
        total: score(&case.obs, &case.truth, &groups, &case.topology),
        families: score_by_family(&case.obs, &case.truth, &groups, &case.topology),
        links: link_outcomes(&case.obs, &case.truth, &groups, &placements),
        placements,
    };
    (outcome, report)
}

/// Our generator's families under the pattern library's names, so that a
/// family left out is left out of every source.
fn pattern_of(family: &str) -> &str {
    match family {
        "db_oom" | "cpu_saturation" => "resource_exhaustion",
        "bad_deploy" => "deployment_regression",
        "dependency_outage" => "cascading_failure",
        other => other,
    }
}

/// Our generator's suites for each seed, over both worlds.
pub fn generator(seeds: &[u64]) -> Vec<Case> {
    let mut out = Vec::new();
    for &seed in seeds {
        let worlds = World::all(seed);
        let shared: Vec<Arc<Topology>> = worlds
            .iter()
            .map(|w| Arc::new(w.topology.clone()))
            .collect();
        for mut s in suites(seed, &worlds) {
            for c in s.truth.clusters.values_mut() {
                c.family = pattern_of(&c.family).to_string();
            }
            let world = &worlds[s.world];
            out.push(Case::new(
                "generator",
                &world.name,
                format!("seed-{seed}/{}", s.name),
                s.events,
                shared[s.world].clone(),
                s.truth,
            ));
        }
    }
    out
}

/// Every labelled storm folder under `dir`.
pub fn storm_folders(dir: &Path) -> Result<Vec<Case>, String> {
    Ok(storms::load_dir(dir)?
        .into_iter()
        .map(|s| {
            Case::new(
                "storms",
                &s.world,
                s.name,
                s.events,
                Arc::new(s.topology),
                s.truth,
            )
        })
        .collect())
}
