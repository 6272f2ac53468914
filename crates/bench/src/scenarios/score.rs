//! Scoring (`spec/replay.md`, Scoring) over alert identities, and the
//! baselines scored the same way.
//!
//! An alert re-sent many times counts once: refs are deduplicated by the
//! signal's identity (its id: source, fingerprint and start), and an identity
//! is placed where its first ref went.

use super::{Truth, NOISE};
use causeway_app::history::replay::{signals_of, Report};
use causeway_core::{Entity, Relation, Signal, SignalStatus, Topology};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::AddAssign;

/// One signal of the input, by ref.
#[derive(Debug, Clone)]
pub struct Obs {
    pub r: String,
    pub signal: Signal,
}

/// Every signal of `events`, in ref order (as the replay numbers them).
pub fn observe(events: &str) -> Vec<Obs> {
    let mut out = Vec::new();
    for (n, line) in events.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if let Ok((signals, _)) = signals_of(n, line) {
            for (i, signal) in signals.into_iter().enumerate() {
                out.push(Obs {
                    r: format!("{n}:{i}"),
                    signal,
                });
            }
        }
    }
    out
}

/// A predicted incident: its refs and the root entity it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub refs: Vec<String>,
    pub root: Option<String>,
}

/// Causeway's incidents from a replay report.
pub fn from_report(report: &Report) -> Vec<Group> {
    report
        .incidents
        .iter()
        .map(|i| Group {
            refs: i.signals.clone(),
            root: i.root_cause.as_ref().map(|r| r.entity.to_string()),
        })
        .collect()
}

/// Counts, so suites add up before the ratios are taken.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub true_positive_pairs: u64,
    pub predicted_pairs: u64,
    pub true_pairs: u64,
    pub clusters: u64,
    pub roots_right: u64,
    pub incidents: u64,
    pub firing_identities: u64,
}

impl AddAssign for Scores {
    fn add_assign(&mut self, o: Scores) {
        self.true_positive_pairs += o.true_positive_pairs;
        self.predicted_pairs += o.predicted_pairs;
        self.true_pairs += o.true_pairs;
        self.clusters += o.clusters;
        self.roots_right += o.roots_right;
        self.incidents += o.incidents;
        self.firing_identities += o.firing_identities;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

impl Scores {
    pub fn precision(&self) -> f64 {
        ratio(self.true_positive_pairs, self.predicted_pairs)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.true_positive_pairs, self.true_pairs)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    pub fn root_cause_accuracy(&self) -> f64 {
        ratio(self.roots_right, self.clusters)
    }
    pub fn noise_reduction(&self) -> f64 {
        if self.firing_identities == 0 {
            return 0.0;
        }
        1.0 - self.incidents as f64 / self.firing_identities as f64
    }
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Whether a predicted root names the true one: the same entity, a Pod (or
/// ReplicaSet) owned by it, or a Service selecting it.
pub struct RootMatcher<'a> {
    topology: &'a Topology,
    selects: BTreeMap<Entity, Vec<Entity>>,
}

impl<'a> RootMatcher<'a> {
    pub fn new(topology: &'a Topology) -> Self {
        let mut selects: BTreeMap<Entity, Vec<Entity>> = BTreeMap::new();
        for e in topology.edges() {
            if e.relation == Relation::Selects {
                selects.entry(e.from).or_default().push(e.to);
            }
        }
        RootMatcher { topology, selects }
    }

    /// The workloads an entity stands for.
    fn canon(&self, e: &Entity) -> BTreeSet<Entity> {
        let mut out = BTreeSet::new();
        let chain = self.topology.owner_chain(e);
        out.insert(chain.last().cloned().unwrap_or_else(|| e.workload()));
        out.insert(e.workload());
        for s in self.selects.get(e).into_iter().flatten() {
            out.extend(self.topology.owner_chain(s).last().cloned());
        }
        out
    }

    pub fn same(&self, predicted: &str, truth: &str) -> bool {
        if predicted == truth {
            return true;
        }
        let (Ok(p), Ok(t)) = (Entity::parse(predicted), Entity::parse(truth)) else {
            return false;
        };
        !self.canon(&p).is_disjoint(&self.canon(&t))
    }
}

/// Where each alert identity went: its truth cluster and predicted group
/// (of its first ref), and whether it ever fired.
struct Placed<'a> {
    /// identity → (truth cluster, predicted group)
    first: BTreeMap<&'a str, (&'a str, Option<usize>)>,
    firing: BTreeSet<&'a str>,
    /// identity → its first ref
    first_ref: BTreeMap<&'a str, &'a str>,
}

impl<'a> Placed<'a> {
    fn of(obs: &'a [Obs], truth: &'a Truth, groups: &[Group]) -> Placed<'a> {
        let mut group_of: BTreeMap<&str, usize> = BTreeMap::new();
        for (g, group) in groups.iter().enumerate() {
            for r in &group.refs {
                group_of.insert(r.as_str(), g);
            }
        }
        let mut p = Placed {
            first: BTreeMap::new(),
            firing: BTreeSet::new(),
            first_ref: BTreeMap::new(),
        };
        for o in obs {
            let id = o.signal.id.as_str();
            if o.signal.status == SignalStatus::Firing {
                p.firing.insert(id);
            }
            p.first.entry(id).or_insert_with(|| {
                let cluster = truth.refs.get(&o.r).map_or(NOISE, String::as_str);
                (cluster, group_of.get(o.r.as_str()).copied())
            });
            p.first_ref.entry(id).or_insert(o.r.as_str());
        }
        p
    }

    /// Counts over the identities `keep` accepts (by truth cluster): a
    /// predicted pair counts when either side is kept.
    fn scores(
        &self,
        truth: &Truth,
        groups: &[Group],
        topology: &Topology,
        keep: &dyn Fn(&str) -> bool,
    ) -> Scores {
        // (cluster, group) → identities; group → (all, kept)
        let mut cells: BTreeMap<(&str, usize), u64> = BTreeMap::new();
        let mut cluster_sizes: BTreeMap<&str, u64> = BTreeMap::new();
        let mut group_sizes: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        let mut firing = 0;
        for (id, &(cluster, group)) in &self.first {
            let kept = keep(cluster);
            if kept && cluster != NOISE {
                *cluster_sizes.entry(cluster).or_default() += 1;
            }
            if kept && self.firing.contains(id) {
                firing += 1;
            }
            if let Some(g) = group {
                let size = group_sizes.entry(g).or_default();
                size.0 += 1;
                size.1 += u64::from(kept);
                *cells.entry((cluster, g)).or_default() += 1;
            }
        }
        let mut s = Scores {
            true_positive_pairs: cells
                .iter()
                .filter(|((c, _), _)| *c != NOISE && keep(c))
                .map(|(_, &n)| pairs(n))
                .sum(),
            // Pairs with at least one kept side.
            predicted_pairs: group_sizes
                .values()
                .map(|&(all, kept)| pairs(all) - pairs(all - kept))
                .sum(),
            true_pairs: cluster_sizes.values().map(|&n| pairs(n)).sum(),
            incidents: group_sizes.values().filter(|(_, kept)| *kept > 0).count() as u64,
            firing_identities: firing,
            ..Scores::default()
        };
        let matcher = RootMatcher::new(topology);
        for (id, cluster) in &truth.clusters {
            let Some(root) = cluster.root.as_deref() else {
                continue; // nothing broke: no root to name
            };
            if !keep(id) {
                continue;
            }
            s.clusters += 1;
            // The group holding most of the cluster's identities (first on ties).
            let best = cells
                .iter()
                .filter(|((c, _), _)| c == id)
                .max_by(|a, b| a.1.cmp(b.1).then(b.0 .1.cmp(&a.0 .1)))
                .map(|((_, g), _)| *g);
            let named = best.and_then(|g| groups[g].root.as_deref());
            if named.is_some_and(|p| matcher.same(p, root)) {
                s.roots_right += 1;
            }
        }
        s
    }
}

/// Scores `groups` against `truth`.
pub fn score(obs: &[Obs], truth: &Truth, groups: &[Group], topology: &Topology) -> Scores {
    let mut s = Placed::of(obs, truth, groups).scores(truth, groups, topology, &|_| true);
    // Incidents are all non-empty groups, whatever they hold.
    s.incidents = groups.iter().filter(|g| !g.refs.is_empty()).count() as u64;
    s
}

/// [`score`] for each fault family of the truth's clusters: the pairs of
/// its clusters, the predicted pairs touching them, its roots. Noise and
/// the other families stay out of a family's recall but count against its
/// precision when grouped with it.
pub fn score_by_family(
    obs: &[Obs],
    truth: &Truth,
    groups: &[Group],
    topology: &Topology,
) -> BTreeMap<String, Scores> {
    let placed = Placed::of(obs, truth, groups);
    let families: BTreeSet<&str> = truth.clusters.values().map(|c| c.family.as_str()).collect();
    families
        .into_iter()
        .map(|f| {
            let keep = |c: &str| truth.clusters.get(c).is_some_and(|c| c.family == f);
            (f.to_string(), placed.scores(truth, groups, topology, &keep))
        })
        .collect()
}

/// Each placed identity's link confidence and whether the link was right:
/// its cluster is not noise and is the one most of the incident's
/// identities belong to (each noise identity counts as a cluster of its
/// own; ties go to the cluster seen first). Links that opened an incident
/// claim no belonging and are left out. `placements` is by ref.
pub fn link_outcomes(
    obs: &[Obs],
    truth: &Truth,
    groups: &[Group],
    placements: &BTreeMap<String, causeway_app::history::replay::Placement>,
) -> Vec<(f64, bool)> {
    let placed = Placed::of(obs, truth, groups);
    // group → cluster → (identities, first ref order)
    let mut tally: BTreeMap<usize, BTreeMap<&str, (u64, usize)>> = BTreeMap::new();
    for (order, (id, &(cluster, group))) in placed.first.iter().enumerate() {
        let Some(g) = group else { continue };
        let key = if cluster == NOISE { *id } else { cluster };
        let e = tally.entry(g).or_default().entry(key).or_insert((0, order));
        e.0 += 1;
    }
    let plurality: BTreeMap<usize, &str> = tally
        .iter()
        .filter_map(|(g, cs)| {
            cs.iter()
                .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))
                .map(|(c, _)| (*g, *c))
        })
        .collect();
    let mut out = Vec::new();
    for (id, &(cluster, group)) in &placed.first {
        let (Some(g), Some(r)) = (group, placed.first_ref.get(id)) else {
            continue;
        };
        let Some(p) = placements.get(*r).filter(|p| !p.opened) else {
            continue;
        };
        let right = cluster != NOISE && plurality.get(&g) == Some(&cluster);
        out.push((p.score, right));
    }
    out
}

/// The baselines, by name, in table order.
pub const BASELINES: [&str; 3] = ["alertname", "window-5m", "service-10m"];

/// Groups the firing alert identities of `obs` the way baseline `name` does:
/// `alertname` (Alertmanager `group_by: [alertname]`, a group ending after
/// 30 minutes without a new alert), `window-5m` (one global window: the
/// first alert opens a group that takes everything arriving in the next 5
/// minutes), `service-10m` (the same per service, 10 minutes). A group's root
/// is the entity with the most alerts in it.
pub fn baseline(name: &str, obs: &[Obs]) -> Vec<Group> {
    let (span, gap) = match name {
        "alertname" => (i64::MAX, 1800),
        "window-5m" => (300, i64::MAX),
        _ => (600, i64::MAX),
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut entities: Vec<BTreeMap<String, u64>> = Vec::new();
    // key → (group index, opened at, last at)
    let mut open: BTreeMap<String, (usize, i64, i64)> = BTreeMap::new();
    let mut placed: BTreeMap<&str, Option<usize>> = BTreeMap::new();
    for o in obs {
        let s = &o.signal;
        let g = *placed.entry(s.id.as_str()).or_insert_with(|| {
            if s.status != SignalStatus::Firing {
                return None;
            }
            let at = s.received_at.timestamp();
            let key = match name {
                "alertname" => s
                    .tags
                    .get("alertname")
                    .cloned()
                    .unwrap_or_else(|| s.title.clone()),
                "window-5m" => String::new(),
                _ => s
                    .service
                    .clone()
                    .or_else(|| s.entity.as_ref().map(|e| e.workload().name))
                    .unwrap_or_default(),
            };
            let g = match open.get_mut(&key) {
                Some((g, opened, last)) if at - *opened < span && at - *last <= gap => {
                    *last = at;
                    *g
                }
                _ => {
                    groups.push(Group::default());
                    entities.push(BTreeMap::new());
                    open.insert(key, (groups.len() - 1, at, at));
                    groups.len() - 1
                }
            };
            if let Some(e) = &s.entity {
                *entities[g].entry(e.to_string()).or_default() += 1;
            }
            Some(g)
        });
        if let Some(g) = g {
            groups[g].refs.push(o.r.clone());
        }
    }
    for (g, counts) in groups.iter_mut().zip(entities) {
        g.root = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(e, _)| e);
    }
    groups
}
