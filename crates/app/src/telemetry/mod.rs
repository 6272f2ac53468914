//! Counters for `/metrics` (Prometheus text format) and the health page.
//! What is counted, and under which name, is said once in [`events`].

pub mod events;

pub use events::{Counter, Gauge};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Named counters with one label set each, rendered in a stable order.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(Counter, String), u64>>,
    /// Poll latency per instance label: (sum of seconds, count).
    latency: Mutex<BTreeMap<String, (f64, u64)>>,
}

/// Distinct label sets one counter may have; more fold into
/// `overflow="true"`, so nothing a sender controls can grow `/metrics` (and
/// memory) without bound.
pub const MAX_SERIES: usize = 500;

impl Metrics {
    /// Adds `n` to counter `name` with labels `label` (`key="value"`, …;
    /// empty: none). Only the events of [`events`] count.
    pub(crate) fn add(&self, name: Counter, label: &str, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            let key = (name, label.to_string());
            if !c.contains_key(&key) {
                let series = c
                    .range((name, String::new())..)
                    .take_while(|((n, _), _)| *n == name)
                    .count();
                if series >= MAX_SERIES {
                    *c.entry((name, "overflow=\"true\"".to_string()))
                        .or_default() += n;
                    return;
                }
            }
            *c.entry(key).or_default() += n;
        }
    }

    pub fn get(&self, name: Counter, label: &str) -> u64 {
        self.counters
            .lock()
            .ok()
            .and_then(|c| c.get(&(name, label.to_string())).copied())
            .unwrap_or(0)
    }

    /// Records one poll's latency for an instance (`instance="…"`).
    pub(crate) fn observe_latency(&self, label: &str, seconds: f64) {
        if let Ok(mut l) = self.latency.lock() {
            let e = l.entry(label.to_string()).or_default();
            e.0 += seconds;
            e.1 += 1;
        }
    }

    /// The Prometheus text exposition; `gauges` are rendered after the
    /// counters, with their series `(labels, value)`.
    pub fn render_with(&self, gauges: &[Series]) -> String {
        let mut out = self.render();
        let latency = self.latency.lock().map(|l| l.clone()).unwrap_or_default();
        let (name, help) = events::POLL_LATENCY;
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} summary\n"));
        for (label, (sum, count)) in &latency {
            out.push_str(&format!(
                "{name}_sum{{{label}}} {sum}\n{name}_count{{{label}}} {count}\n"
            ));
        }
        for (gauge, values) in gauges {
            let (name, help) = (gauge.name(), gauge.help());
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} gauge\n"));
            for (label, v) in values {
                out.push_str(&format!("{name}{{{label}}} {v}\n"));
            }
        }
        out
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let counters = self.counters.lock().map(|c| c.clone()).unwrap_or_default();
        let mut out = String::new();
        for counter in Counter::ALL {
            let (name, help) = (counter.name(), counter.help());
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n"));
            for ((_, label), v) in counters.iter().filter(|((c, _), _)| *c == counter) {
                if label.is_empty() {
                    out.push_str(&format!("{name} {v}\n"));
                } else {
                    out.push_str(&format!("{name}{{{label}}} {v}\n"));
                }
            }
        }
        out
    }
}

/// A gauge and its series, `(labels, value)` each.
pub type Series = (Gauge, Vec<(String, f64)>);

/// `key="value"` with the value escaped for the text format.
pub fn label(key: &str, value: &str) -> String {
    let v = value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("{key}=\"{v}\"")
}

/// The `connector` label for a connector named by a sender (a URL): its id
/// when such a connector exists, else `unknown`.
pub fn connector_label(connector: &str) -> String {
    let known = causeway_connectors::descriptor::builtin_or_user(connector).is_some();
    label("connector", if known { connector } else { "unknown" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_urls_are_known_ids_and_series_are_capped() {
        assert_eq!(connector_label("github"), "connector=\"github\"");
        assert_eq!(connector_label(&"x".repeat(2048)), "connector=\"unknown\"");
        let m = Metrics::default();
        for i in 0..MAX_SERIES + 100 {
            m.add(Counter::Signals, &label("connector", &i.to_string()), 1);
        }
        events::SignalCorrelated {
            strategy: "topology",
            opened: true,
        }
        .emit(&m);
        let text = m.render();
        assert_eq!(
            text.matches("causeway_signals_total{").count(),
            MAX_SERIES + 1
        );
        assert!(
            text.contains("causeway_signals_total{overflow=\"true\"} 100"),
            "{text}"
        );
        assert!(text.contains("causeway_incidents_created_total 1"));
        // Every counter is rendered, with or without series: a name is
        // never missing because nothing counted it yet.
        for c in Counter::ALL {
            assert!(
                text.contains(&format!("# TYPE {} counter\n", c.name())),
                "{c:?}"
            );
        }
    }
}
