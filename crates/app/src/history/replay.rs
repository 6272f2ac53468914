//! `causeway replay`: the live pipeline (normalize → correlate) over a
//! recorded NDJSON stream, with each line's `at` as the clock. Contract:
//! `docs/replay.md`. Same input → same bytes: no wall clock, no randomness,
//! ordered maps only.

use causeway_connectors::{normalizer, Context};
use causeway_core::{CorrelationConfig, Decision, Engines, RootCause, Severity, Signal, Topology};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub incidents: Vec<ReportIncident>,
    pub unassigned: Vec<String>,
    pub rejected: Vec<Rejected>,
    pub stats: Stats,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportIncident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub signals: Vec<String>,
    pub root_cause: Option<RootCause>,
    pub pattern: Option<String>,
    pub impacted: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Rejected {
    pub line: usize,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Stats {
    pub lines: usize,
    pub signals: usize,
    pub incidents: usize,
}

/// Replays `events` (NDJSON text). Never fails on a bad line: it is rejected
/// with its reason and the rest goes on.
///
/// With a `topology`, the engine also correlates over it (trace, topology and
/// temporal stages), and the analysis ranks the root cause over the graph: an
/// incident's `impacted` is then the downstream closure of its root cause.
pub fn replay(events: &str, config: CorrelationConfig, topology: Option<&Topology>) -> Report {
    replay_shared(events, config, topology.map(|t| Arc::new(t.clone())))
}

/// [`replay`] over a topology already shared (no copy of the graph).
pub fn replay_shared(
    events: &str,
    config: CorrelationConfig,
    topology: Option<Arc<Topology>>,
) -> Report {
    run(events, config, topology, false).0
}

/// How a signal came into its incident: the confidence of the link that
/// first placed it, and whether that link opened the incident (an opening
/// is no claim of belonging, so calibration leaves it out).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    pub score: f64,
    pub opened: bool,
    /// The link's reason, as the ledger says it.
    pub why: String,
}

/// [`replay_shared`], and for each signal ref placed in an incident, the
/// link that placed its signal (what the bench's calibration table reads).
pub fn replay_links(
    events: &str,
    config: CorrelationConfig,
    topology: Option<Arc<Topology>>,
) -> (Report, BTreeMap<String, Placement>) {
    run(events, config, topology, true)
}

/// The replay, keeping each signal's placing link only when `links`.
fn run(
    events: &str,
    config: CorrelationConfig,
    topology: Option<Arc<Topology>>,
    links: bool,
) -> (Report, BTreeMap<String, Placement>) {
    let mut placed: BTreeMap<String, Placement> = BTreeMap::new();
    let mut engine = Engines::new(config);
    engine.set_topology(topology);
    let mut order: Vec<String> = Vec::new();
    let mut refs: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    let mut members: BTreeMap<String, BTreeMap<String, Signal>> = BTreeMap::new();
    // Signal id → its refs so far and the signal: unassigned until an
    // incident takes it (adopts it, or takes a later repeat of it).
    let mut waiting: BTreeMap<String, (Vec<(usize, usize)>, Signal)> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut signal_count = 0;
    // Ref → signal id, to give each placed ref its signal's link.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let lines = events.lines().filter(|l| !l.trim().is_empty());
    let mut n_lines = 0;
    for (n, line) in lines.enumerate() {
        n_lines += 1;
        let (signals, declared) = match signals_of(n, line) {
            Ok((s, _)) if s.is_empty() => {
                rejected.push(Rejected {
                    line: n,
                    error: "the payload holds no items".into(),
                });
                continue;
            }
            Ok(s) => s,
            Err(error) => {
                rejected.push(Rejected { line: n, error });
                continue;
            }
        };
        for (i, s) in signals.into_iter().enumerate() {
            signal_count += 1;
            if links {
                ids.insert(format!("{n}:{i}"), s.id.clone());
            }
            let decision = engine.observe_as(&s, declared);
            match decision {
                Decision::Attach { link, opened, .. } => {
                    if links {
                        placed.entry(s.id.clone()).or_insert_with(|| Placement {
                            score: link.score,
                            opened,
                            why: link.explanation.clone(),
                        });
                    }
                    let id = link.incident_id;
                    if opened {
                        order.push(id.clone());
                    }
                    let list = refs.entry(id.clone()).or_default();
                    if let Some((earlier, _)) = waiting.remove(&s.id) {
                        list.extend(earlier);
                    }
                    list.push((n, i));
                    members.entry(id).or_default().insert(s.id.clone(), s);
                }
                Decision::Unassigned { .. } => {
                    waiting
                        .entry(s.id.clone())
                        .or_insert_with(|| (Vec::new(), s))
                        .0
                        .push((n, i));
                }
            }
            for l in &engine.effects().adopted {
                if links {
                    placed
                        .entry(l.signal_id.clone())
                        .or_insert_with(|| Placement {
                            score: l.score,
                            opened: false,
                            why: l.explanation.clone(),
                        });
                }
                if let Some((earlier, sig)) = waiting.remove(&l.signal_id) {
                    refs.entry(l.incident_id.clone())
                        .or_default()
                        .extend(earlier);
                    members
                        .entry(l.incident_id.clone())
                        .or_default()
                        .insert(sig.id.clone(), sig);
                }
            }
        }
    }
    let mut unassigned: Vec<(usize, usize)> = waiting.into_values().flat_map(|(r, _)| r).collect();
    unassigned.sort();
    let mut by_ref: BTreeMap<String, Placement> = BTreeMap::new();
    let say = |v: Vec<(usize, usize)>| -> Vec<String> {
        let mut v = v;
        v.sort();
        v.into_iter().map(|(n, i)| format!("{n}:{i}")).collect()
    };
    let unassigned = say(unassigned);
    let incidents: Vec<ReportIncident> = order
        .into_iter()
        .map(|id| {
            let state = engine.incident(&id).expect("opened incidents exist");
            let signals: Vec<Signal> = members
                .remove(&id)
                .unwrap_or_default()
                .into_values()
                .collect();
            let analysis = engine.analyse(&signals);
            let impacted = analysis.impacted;
            ReportIncident {
                title: state.title.clone(),
                severity: state.severity,
                signals: say(refs.remove(&id).unwrap_or_default()),
                root_cause: analysis.root_cause,
                pattern: analysis.pattern,
                impacted: impacted.iter().map(ToString::to_string).collect(),
                id,
            }
        })
        .collect();
    for i in &incidents {
        for r in &i.signals {
            if let Some(id) = ids.get(r).and_then(|id| placed.get(id)) {
                by_ref.insert(r.clone(), id.clone());
            }
        }
    }
    let report = Report {
        stats: Stats {
            lines: n_lines,
            signals: signal_count,
            incidents: incidents.len(),
        },
        incidents,
        unassigned,
        rejected,
    };
    (report, by_ref)
}

/// The signals one line yields (and whether they declare incidents), or why
/// it yields none.
pub fn signals_of(n: usize, line: &str) -> Result<(Vec<Signal>, bool), String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("line is not JSON: {e}"))?;
    let at = v
        .get("at")
        .and_then(Value::as_str)
        .ok_or("missing 'at' (RFC 3339 arrival time)")?;
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(at)
        .map_err(|e| format!("'at' is not RFC 3339: {e}"))?
        .with_timezone(&Utc);
    let source = v
        .get("source")
        .and_then(Value::as_str)
        .ok_or("missing 'source' (a built-in connector id)")?;
    let body = v.get("body").ok_or("missing 'body'")?;
    let norm =
        normalizer(source).ok_or_else(|| format!("no normalizer for source '{source}' yet"))?;
    let raw_ref = format!("line:{n}");
    let headers = v
        .get("headers")
        .map(causeway_connectors::headers_from_json)
        .unwrap_or_default();
    let ctx = Context {
        project: "default",
        instance: source,
        received_at: at,
        raw_ref: &raw_ref,
        headers: &headers,
    };
    let signals = norm.normalize(body, &ctx).map_err(|e| e.to_string())?;
    Ok((signals, norm.declares_incidents()))
}

/// The report as written to disk: pretty JSON and a final newline.
pub fn to_json(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serializes");
    s.push('\n');
    s
}
