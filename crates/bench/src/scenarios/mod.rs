//! Labelled correlation scenarios over real topologies, their scorer, and
//! the baselines Causeway is measured against (`causeway bench correlation`).
//!
//! Everything is deterministic: a seeded xorshift PRNG, times from a fixed
//! epoch, ordered maps only. The same seed gives the same bytes.
//!
//! - [`world`]: a real manifest set plus a generated cluster state (Nodes,
//!   ReplicaSets, Pods placed on Nodes) with its environment's [`overlay`]
//!   (ConfigMaps and Secrets mounted, ExternalName Services for outside
//!   APIs), and the topology built from both;
//! - [`faults`] and [`plan`]: the fault families ([`families`], [`changes`],
//!   [`network`]), when and where they strike (overlapping, co-located,
//!   recurring, warning-only), the chronic [`background`] and the
//!   [`noise`], as source-agnostic [`items`];
//! - [`conventions`]: each suite's monitoring setup (tools, rule sets,
//!   label keys, severity words, peer labels, grouping);
//! - [`emit`] and [`tools`]: the items as the payloads real tools send
//!   (Alertmanager with real grouping, Grafana, Datadog, PagerDuty,
//!   Opsgenie, Kubernetes Events, GitHub), as replay NDJSON lines plus the
//!   truth of every ref;
//! - [`score`]: pairwise precision/recall/F1, root-cause accuracy and noise
//!   reduction (`docs/replay.md`, Scoring), and the baselines.

pub mod background;
pub mod changes;
pub mod conventions;
pub mod emit;
pub mod families;
pub mod faults;
pub mod items;
pub mod network;
pub mod noise;
pub mod overlay;
pub mod plan;
pub mod score;
pub mod tools;
pub mod world;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A tiny deterministic PRNG (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Never zero: xorshift would stay at zero forever.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `p` percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// `n` characters of Kubernetes' generated-name alphabet.
    pub fn k8s_suffix(&mut self, n: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// The truth of one scenario: every signal ref's cluster (or `noise`), and
/// each cluster's root-cause entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub scenario: String,
    pub topology: String,
    pub clusters: BTreeMap<String, Cluster>,
    /// `"LINE:ITEM"` → cluster id or `"noise"`.
    pub refs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub family: String,
    /// The entity that broke; `None` where nothing did (a chronic,
    /// flapping alert is a cluster of its own with no root).
    #[serde(default)]
    pub root: Option<String>,
}

/// The label for refs that belong to no incident.
pub const NOISE: &str = "noise";

/// One generated scenario: replay input and its truth.
#[derive(Debug, Clone)]
pub struct Suite {
    /// `db_oom-online-boutique`, `mixed-sock-shop`...
    pub name: String,
    /// The fault family (`mixed` for the storm of all of them,
    /// `colocated` for faults sharing a Node or a caller).
    pub family: String,
    /// Index into [`world::World::all`].
    pub world: usize,
    pub events: String,
    pub truth: Truth,
}

/// The PRNG of suite `family_index` on world `world_index` for `seed`
/// (tests re-plan a suite's scenario with it to inspect its items).
pub fn suite_rng(seed: u64, world_index: usize, family_index: usize) -> Rng {
    Rng::new(
        seed.wrapping_mul(1000)
            .wrapping_add((world_index * 100 + family_index) as u64),
    )
}

/// The families of the suites, in suite order: each fault family alone,
/// then co-located faults, then the mixed storm.
pub fn suite_families() -> Vec<&'static str> {
    faults::FAMILIES
        .iter()
        .copied()
        .chain(["colocated", "mixed"])
        .collect()
}

/// Every suite for `seed`: each family on each topology, plus co-located
/// faults and a mixed storm on each.
pub fn suites(seed: u64, worlds: &[world::World]) -> Vec<Suite> {
    let mut out = Vec::new();
    for (w, world) in worlds.iter().enumerate() {
        for (f, family) in suite_families().into_iter().enumerate() {
            let mut rng = suite_rng(seed, w, f);
            let name = format!("{family}-{}", world.name);
            let scenario = plan::scenario(world, family, &mut rng);
            let (events, truth) = emit::render(&name, world, &scenario, &mut rng);
            out.push(Suite {
                name,
                family: family.to_string(),
                world: w,
                events,
                truth,
            });
        }
    }
    out
}
