//! Candidates and their scores: where a signal could go, and why.
//!
//! Candidates come only from indexes (fingerprint, trace, trusted key, place,
//! the places a bounded walk of the topology reaches, service/namespace), so
//! the work per signal does not grow with the number of open incidents.

use super::memory::{jaccard, words};
use super::{describe, human_secs, is_open, Claim, Engine, Obs};
use crate::incident::LinkStrategy;
use crate::signal::{Severity, SignalStatus};
use crate::topology::{Hop, Relation, Way};
use chrono::{DateTime, Utc};

/// At most this many places are looked at per walk direction.
const WALK_LIMIT: usize = 256;

/// Scores by topology distance in place hops.
fn topology_score(hops: usize) -> f64 {
    match hops {
        0 | 1 => 0.75,
        2 => 0.65,
        _ => 0.55,
    }
}

impl Engine {
    /// A repeat or resolve of an alert already placed, or a new firing of it
    /// while its incident is open and recent, or soon after it resolved.
    pub(super) fn same_alert(&self, o: &Obs) -> Option<Claim> {
        let id = self.follow(self.by_fingerprint.get(&o.fingerprint)?)?;
        let inc = self.incidents.get(&id)?;
        let mem = self.memory.get(&id);
        let same_episode = mem
            .and_then(|m| m.members.get(&o.fingerprint))
            .is_some_and(|m| m.episode == o.id);
        let claim = |score: f64, why: String| Claim {
            id: id.clone(),
            strategy: LinkStrategy::Key,
            score,
            why,
            explains: false,
            gap_secs: 0,
        };
        let same = format!("same alert (fingerprint {})", short(&o.fingerprint));
        if same_episode || (o.status != SignalStatus::Firing && is_open(inc.status)) {
            return Some(claim(1.0, same));
        }
        if o.status != SignalStatus::Firing {
            // The end of an episode this incident never saw: not its business.
            return None;
        }
        if is_open(inc.status) {
            let last = mem.map_or(inc.last_at, |m| m.last_firing_at.unwrap_or(inc.last_at));
            let gap = (o.onset - last).num_seconds();
            return (gap <= self.config.group_window_secs).then(|| {
                claim(
                    0.95,
                    format!(
                        "{same} fired again {} after the incident's last firing",
                        human_secs(gap)
                    ),
                )
            });
        }
        let since = inc.resolved_at.map_or(0, |r| (o.onset - r).num_seconds());
        (since <= self.config.reopen_window_secs).then(|| {
            claim(
                0.95,
                format!(
                    "{same} fired again {} after the incident resolved",
                    human_secs(since)
                ),
            )
        })
    }

    /// The best claim of the trace, key, resource, topology and temporal
    /// strategies, when it reaches the threshold.
    pub(super) fn best_candidate(&self, o: &Obs) -> Option<Claim> {
        let mut claims: Vec<Claim> = Vec::new();
        self.trace_claims(o, &mut claims);
        self.key_claims(o, &mut claims);
        self.peer_claims(o, &mut claims);
        self.place_claims(o, &mut claims);
        self.topology_claims(o, &mut claims);
        // Time and text decide only where the graph cannot: a place it does
        // not know, or network failures (a partition has no call path).
        if !o.known || o.class.network {
            self.temporal_claims(o, &mut claims);
        }
        // A caller's symptom that names its peer is that peer's failure:
        // an incident that does not reach the peer does not explain it.
        if let Some(q) = &o.peer {
            claims.retain(|c| {
                !matches!(
                    c.strategy,
                    LinkStrategy::Resource | LinkStrategy::Topology | LinkStrategy::Temporal
                ) || self.reaches(&c.id, q)
            });
        }
        claims
            .into_iter()
            .filter(|c| c.score >= self.config.attach_threshold)
            .min_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then(a.gap_secs.abs().cmp(&b.gap_secs.abs()))
                    .then(a.id.cmp(&b.id))
            })
    }

    /// Whether incident `id` fails at `q` or below it (its root is reached
    /// by walking down from `q`): it explains errors of calls to `q`.
    pub(super) fn reaches(&self, id: &str, q: &crate::Entity) -> bool {
        if self
            .memory
            .get(id)
            .is_some_and(|m| m.places.contains_key(q))
        {
            return true;
        }
        let (Some(topo), Some(root)) = (
            self.topology.as_deref(),
            self.incidents.get(id).and_then(|i| i.root.as_ref()),
        ) else {
            return false;
        };
        if root == q {
            return true;
        }
        let Some(start) = topo.place_index(q) else {
            return false;
        };
        topo.walk(start, Way::Down, self.config.topology_max_hops, WALK_LIMIT)
            .iter()
            .any(|r| topo.entity(r.place) == root)
    }

    /// The caller's peer is where an incident fails, or above its root:
    /// the signal is that failure, seen by a caller that names it.
    fn peer_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        let Some(q) = &o.peer else { return };
        if !o.class.travels_up() && !o.class.network {
            return;
        }
        let mut ids: Vec<&String> = self.by_place.get(q).into_iter().flatten().collect();
        if let Some(topo) = self.topology.as_deref() {
            if let Some(start) = topo.place_index(q) {
                for r in topo.walk(start, Way::Down, self.config.topology_max_hops, WALK_LIMIT) {
                    ids.extend(
                        self.by_place
                            .get(topo.entity(r.place))
                            .into_iter()
                            .flatten(),
                    );
                }
            }
        }
        let mut seen: Vec<&String> = Vec::new();
        for id in ids {
            if seen.contains(&id) || self.is_chronic(id) {
                continue;
            }
            seen.push(id);
            let Some(gap) = self.in_window(id, o.onset, self.config.topology_window_secs) else {
                continue;
            };
            let root = self.incidents.get(id).and_then(|i| i.root.as_ref());
            let at_peer = root == Some(q);
            // The peer's own errors are already this incident's.
            let holds_peer = self
                .memory
                .get(id)
                .is_some_and(|m| m.places.contains_key(q));
            if !at_peer && !holds_peer && !self.reaches(id, q) {
                continue;
            }
            let (score, where_) = match root {
                Some(r) if at_peer => (0.9, format!("where it fails ({})", describe(r))),
                Some(r) if holds_peer => (
                    0.85,
                    format!("whose own errors it holds (failing at {})", describe(r)),
                ),
                Some(r) => (
                    0.7,
                    format!("which depends on {} where it fails", describe(r)),
                ),
                None => (0.7, "which it holds".to_string()),
            };
            out.push(Claim {
                id: id.clone(),
                strategy: LinkStrategy::Topology,
                score,
                why: format!(
                    "its errors are of calls to {}, {where_}, {}",
                    describe(q),
                    apart(gap)
                ),
                explains: false,
                gap_secs: gap,
            });
        }
    }

    /// Whether a cause of its own (CPU, memory, disk, a bad image or
    /// config, a crash loop) waits unassigned at `place`, within the
    /// adoption window of `o`: a symptom there has its explanation at home.
    fn local_cause_waiting(&self, place: &crate::Entity, o: &Obs) -> bool {
        self.pending_by_place
            .get(place)
            .into_iter()
            .flatten()
            .filter_map(|id| self.pending.get(id))
            .any(|p| {
                p.class.local_cause()
                    && (o.onset - p.onset).num_seconds().abs() <= self.config.adopt_window_secs
            })
    }

    /// Whether an incident is a chronic condition's own.
    pub(super) fn is_chronic(&self, id: &str) -> bool {
        self.memory.get(id).is_some_and(|m| m.chronic.is_some())
    }

    /// An incident followed through merges to the one that holds it now.
    pub(super) fn follow(&self, id: &str) -> Option<String> {
        let mut at = id;
        for _ in 0..16 {
            let inc = self.incidents.get(at)?;
            match &inc.merged_into {
                Some(next) => at = next,
                None => return Some(at.to_string()),
            }
        }
        None
    }

    /// Open, and the onset within `window` of its span of firing.
    fn in_window(&self, id: &str, onset: DateTime<Utc>, window: i64) -> Option<i64> {
        let inc = self.incidents.get(id)?;
        if !is_open(inc.status) {
            return None;
        }
        let mem = self.memory.get(id)?;
        let first = mem.root_onset.unwrap_or(inc.opened_at).min(inc.opened_at);
        let last = mem.last_firing_at.unwrap_or(inc.last_at);
        let gap = if onset < first {
            (onset - first).num_seconds()
        } else if onset > last {
            (onset - last).num_seconds()
        } else {
            0
        };
        (gap.abs() <= window).then_some(gap)
    }

    fn trace_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        let Some(tid) = &o.trace else { return };
        let Some((id, title)) = self.by_trace.get(tid) else {
            return;
        };
        let Some(gap) = self.in_window(id, o.onset, self.config.group_window_secs) else {
            return;
        };
        let short: String = tid.chars().take(8).collect();
        let dots = if tid.chars().count() > 8 { "…" } else { "" };
        out.push(Claim {
            id: id.clone(),
            strategy: LinkStrategy::Trace,
            score: 0.9,
            why: format!("same trace {short}{dots} as '{title}'"),
            explains: false,
            gap_secs: gap,
        });
    }

    fn key_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        let Some(key) = &o.key else { return };
        let Some(id) = self.by_key.get(key) else {
            return;
        };
        let Some(gap) = self.in_window(id, o.onset, self.config.group_window_secs) else {
            return;
        };
        out.push(Claim {
            id: id.clone(),
            strategy: LinkStrategy::Key,
            score: 0.95,
            why: format!("same {} grouping key {}", o.source, short(key)),
            explains: false,
            gap_secs: gap,
        });
    }

    /// Same place: a Pod, its workload and its Service are one place. The
    /// window runs from that place's own span of firing; the place where the
    /// incident fails (its root) binds tighter than one that only feels it.
    fn place_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        let Some(place) = &o.place else { return };
        for id in self.by_place.get(place).into_iter().flatten() {
            let Some(inc) = self.incidents.get(id).filter(|i| is_open(i.status)) else {
                continue;
            };
            if self.is_chronic(id) {
                continue;
            }
            let at_root = self.fails_at(id, place);
            // Where the incident is only felt, not failing: a warning that
            // explains nothing, a change (it cannot be caused by the
            // incident), or a failure right after its own change there (it
            // has its own explanation) is not the incident's.
            if !at_root
                && (o.class.is_other()
                    || o.class.change
                    || o.class.local_cause()
                    || self.changed_before(place, o.onset))
            {
                continue;
            }
            // A change that lands where an incident already fails comes
            // after its cause: a new intervention (a fix, another release),
            // and what fails after it is its doing, not the incident's.
            if at_root
                && (o.class.change || self.changed_between(place, inc.opened_at, o.onset))
                && o.onset > inc.opened_at
            {
                continue;
            }
            let Some(span) = self.memory.get(id).and_then(|m| m.places.get(place)) else {
                continue;
            };
            let gap = span.gap(o.onset);
            if gap.abs() > self.config.group_window_secs {
                continue;
            }
            let via = match &o.entity {
                Some(e) if e != place => format!(" via {} {}", super::title_kind(&e.kind), e.name),
                Some(_) => String::new(),
                None => " by its service name".to_string(),
            };
            let when = if gap > 0 {
                format!("{} after its last alert there", human_secs(gap))
            } else if gap < 0 {
                format!("{} before its first alert there", human_secs(-gap))
            } else {
                "while it fires there".to_string()
            };
            let (score, role) = if at_root {
                (0.8, "")
            } else {
                (0.6, ", a place the incident reaches")
            };
            out.push(Claim {
                id: id.clone(),
                strategy: LinkStrategy::Resource,
                score,
                why: format!("same {}{via}{role}, {when}", describe(place)),
                explains: false,
                gap_secs: gap,
            });
        }
    }

    /// Related in the topology, directionally:
    /// - the signal is *above* a place of the incident (it calls it, runs on
    ///   it) and is a symptom or an outage that began after the incident's
    ///   root (within the tolerance): the incident's failure seen from above;
    /// - the signal is *below* the incident's root, severe, and can explain
    ///   it (a cause, an outage, errors): a deeper root.
    ///
    /// Never sideways: two failures that share a caller are not joined.
    fn topology_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        let (Some(topo), Some(place)) = (self.topology.as_deref(), &o.place) else {
            return;
        };
        let info_ok = o.class.eviction;
        if !o.known
            || (o.severity == Severity::Info && !info_ok)
            || o.class.is_other() && !o.class.change
        {
            return;
        }
        // Both directions look for incidents at places: none open, no walk.
        if self.by_place.is_empty() {
            return;
        }
        let Some(start) = topo.place_index(place) else {
            return;
        };
        // Failing right after its own change: explained where it is, so not
        // a victim of anything else (it can still explain what is above).
        let self_explained = !o.class.change
            && (self.changed_before(place, o.onset) || self.local_cause_waiting(place, o));
        let hops = self.config.topology_max_hops;
        let window = self.config.topology_window_secs;
        // Above failing places: symptoms and outages of what it depends on.
        // A Pod the graph knows depends on its own Node, not on every Node
        // its workload's other Pods run on; and a Pod short of a resource on
        // a Node that is itself short of resources shares its cause.
        let pod_node = o.entity.as_ref().and_then(|e| topo.node_of(e));
        let contention = o.class.cause.is_some_and(|c| c.is_resource()) && pod_node.is_some();
        // Evicted from its Node: what a Node failure (or its pressure) does.
        let evicted = o.class.eviction && pod_node.is_some();
        // A cause of its own (memory, CPU, disk, image, config) keeps it,
        // even on a failing Node; unless its Node is short of the same.
        let own_cause = o.class.local_cause() && !contention;
        if (o.class.travels_up() || contention || evicted) && !self_explained && !own_cause {
            let down = topo.walk(start, Way::Down, hops, WALK_LIMIT);
            let mut best: Vec<(String, usize, usize, bool)> = Vec::new();
            for (k, r) in down.iter().enumerate() {
                let node = topo.entity(r.place);
                let own_node = pod_node == Some(r.place);
                if pod_node.is_some() && node.kind == "node" && !own_node {
                    continue;
                }
                if !o.class.travels_up() && !own_node {
                    continue;
                }
                for id in self.by_place.get(node).into_iter().flatten() {
                    if best.iter().any(|(b, ..)| b == id) || self.is_chronic(id) {
                        continue;
                    }
                    best.push((id.clone(), r.hops, k, own_node));
                }
            }
            for (id, n, k, own_node) in best {
                let at = topo.entity(down[k].place);
                let contended = !o.class.travels_up() && !evicted;
                let node_only = !o.class.travels_up();
                if node_only && self.incidents.get(&id).and_then(|i| i.root.as_ref()) != Some(at) {
                    continue;
                }
                if contended
                    && !self
                        .memory
                        .get(&id)
                        .and_then(|m| m.root_kind)
                        .is_some_and(|c| c.is_resource())
                {
                    continue;
                }
                let Some(gap) = self.in_window(&id, o.onset, window) else {
                    continue;
                };
                let root_onset = self.memory.get(&id).and_then(|m| m.root_onset);
                if root_onset
                    .is_some_and(|r| (r - o.onset).num_seconds() > self.config.onset_tolerance_secs)
                {
                    continue;
                }
                let (score, said) = if own_node {
                    let pod = o.entity.as_ref().map_or(String::new(), |e| e.name.clone());
                    let node = &at.name;
                    if contended {
                        (
                            0.7,
                            format!("pod {pod} runs on {node}, itself short of resources"),
                        )
                    } else if evicted && !o.class.travels_up() {
                        (0.85, format!("pod {pod} was evicted from {node}"))
                    } else {
                        (0.85, format!("pod {pod} runs on {node}"))
                    }
                } else {
                    (
                        topology_score(n),
                        say_path(&topo.hops_to(&down, down[k].place)),
                    )
                };
                out.push(Claim {
                    id,
                    strategy: LinkStrategy::Topology,
                    score,
                    why: format!("{said}, {}", apart(gap)),
                    explains: false,
                    gap_secs: gap,
                });
            }
        }
        // Below an incident's root: a deeper cause.
        if o.class.can_explain() && o.severity >= self.config.explain_min_severity {
            let up = topo.walk(start, Way::Up, hops, WALK_LIMIT);
            let mut seen: Vec<&str> = Vec::new();
            for r in &up {
                for id in self
                    .by_place
                    .get(topo.entity(r.place))
                    .into_iter()
                    .flatten()
                {
                    if seen.contains(&id.as_str()) || self.is_chronic(id) {
                        continue;
                    }
                    seen.push(id);
                    // An incident whose root already has its own cause (a
                    // change, memory or CPU running out, its Node down) is
                    // explained: a failure below it is another incident.
                    if self.memory.get(id).is_some_and(|m| m.root_explained) {
                        continue;
                    }
                    let root = self.incidents.get(id).and_then(|i| i.root.as_ref());
                    let Some(at_root) = up
                        .iter()
                        .find(|x| root.is_some_and(|e| topo.entity(x.place) == e))
                    else {
                        continue;
                    };
                    let Some(gap) = self.in_window(id, o.onset, window) else {
                        continue;
                    };
                    // A cause comes before what it causes (give or take the
                    // alerting delays): a failure that began well after the
                    // incident's first alert is not its root.
                    let first = self.incidents.get(id).map(|i| i.opened_at);
                    if first.is_some_and(|f| {
                        (o.onset - f).num_seconds() > self.config.onset_tolerance_secs
                    }) {
                        continue;
                    }
                    let path = topo.hops_to(&up, at_root.place);
                    out.push(Claim {
                        id: id.clone(),
                        strategy: LinkStrategy::Topology,
                        score: topology_score(at_root.hops),
                        why: format!(
                            "{}: below the incident's root, {}",
                            say_path(&path),
                            apart(gap)
                        ),
                        explains: true,
                        gap_secs: gap,
                    });
                }
            }
        }
    }

    /// Same service or namespace, shortly after, with a similar title: for
    /// signals the graph cannot place.
    fn temporal_claims(&self, o: &Obs, out: &mut Vec<Claim>) {
        if o.severity == Severity::Info {
            return;
        }
        let w = words(&o.title);
        if w.is_empty() {
            return;
        }
        let window = self.config.temporal_window_secs;
        for scope in &o.scopes {
            for id in self.by_scope.get(scope).into_iter().flatten() {
                if self.is_chronic(id) {
                    continue;
                }
                let Some(gap) = self.in_window(id, o.onset, window) else {
                    continue;
                };
                if o.known && !self.memory.get(id).is_some_and(|m| m.network) {
                    continue;
                }
                // Time and text join only near the incident's start: a
                // storm that never stops must not chain into one incident.
                if self.incidents.get(id).is_some_and(|i| {
                    (o.onset - i.opened_at).num_seconds() > self.config.group_window_secs
                }) {
                    continue;
                }
                let (kind, name) = scope.split_once(':').unwrap_or(("scope", scope));
                if kind == "rule" {
                    if o.known {
                        continue; // the graph decides for places it knows
                    }
                    out.push(Claim {
                        id: id.clone(),
                        strategy: LinkStrategy::Temporal,
                        score: 0.4,
                        why: format!(
                            "the same rule {name} firing elsewhere at once (no path between the places is known), {}",
                            apart(gap)
                        ),
                        explains: false,
                        gap_secs: gap,
                    });
                    continue;
                }
                let titles = self.memory.get(id).map(|m| m.titles.as_slice());
                let best = titles
                    .into_iter()
                    .flatten()
                    .map(|t| (jaccard(&w, &words(t)), t))
                    .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(a.1)));
                let Some((sim, title)) = best else { continue };
                if sim < self.config.temporal_min_similarity {
                    continue;
                }
                out.push(Claim {
                    id: id.clone(),
                    strategy: LinkStrategy::Temporal,
                    score: 0.3 + 0.15 * sim,
                    why: format!(
                        "same {kind} {name}, title like '{title}' ({} % of words shared), {}",
                        (sim * 100.0).round(),
                        apart(gap)
                    ),
                    explains: false,
                    gap_secs: gap,
                });
            }
        }
    }
}

fn apart(gap: i64) -> String {
    if gap == 0 {
        "while it fires".into()
    } else {
        format!("{} apart", human_secs(gap.abs()))
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 16 {
        format!("{}…", s.chars().take(16).collect::<String>())
    } else {
        s.to_string()
    }
}

/// "frontend calls cartservice, cartservice calls redis-cart".
fn say_path(path: &[Hop]) -> String {
    let said: Vec<String> = path.iter().map(say_hop).collect();
    said.join(", ")
}

/// "cartservice calls redis-cart", "pod cart-… runs on node-3".
pub(crate) fn say_hop(h: &Hop) -> String {
    let verb = match h.relation {
        Relation::RunsOn => "runs on",
        Relation::UsesConfig => "uses the config of",
        other => other.as_str(),
    };
    format!("{} {verb} {}", short_entity(&h.from), short_entity(&h.to))
}

fn short_entity(e: &crate::Entity) -> String {
    match e.kind.as_str() {
        "pod" | "replicaset" | "configmap" | "secret" => format!("{} {}", e.kind, e.name),
        _ => e.name.clone(),
    }
}
