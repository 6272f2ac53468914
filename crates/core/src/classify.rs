//! What a signal says, in the terms an SRE reasons with: a **cause** (the
//! thing itself is broken: out of memory, CPU throttled, disk full, pool
//! exhausted, crash-looping, its Node down), **unavailable** (the thing is not
//! serving: target down, not ready, no replica), a **symptom** (its callers
//! see it: errors, latency, timeouts, failing checks), or a **change** (a
//! deploy, rollout or config change).
//!
//! Correlation uses this for direction: errors and latency travel *up* the
//! call graph, so a symptom on a caller belongs with a failure below it; a
//! cause or an outage *below* an incident can explain it. A warning that is
//! none of these (clock skew, an HPA at its maximum) explains nothing about
//! its neighbours and joins only its own place.
//!
//! The vocabulary is the one monitoring rules use (kube-prometheus alert
//! names, Kubernetes event reasons, Datadog and Grafana titles): words are
//! read from the title, `alertname` and `reason`, with CamelCase split, so
//! `KubePodCrashLooping` reads as "kube pod crash looping".

use crate::signal::{Signal, SignalKind};
use serde::{Deserialize, Serialize};

/// The kind of cause a signal names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    OutOfMemory,
    MemoryPressure,
    CpuSaturation,
    DiskFull,
    ConnectionPool,
    CrashLoop,
    NodeDown,
}

impl CauseKind {
    /// The words the insight uses ("redis-cart out of memory").
    pub fn label(self) -> &'static str {
        match self {
            CauseKind::OutOfMemory => "out of memory",
            CauseKind::MemoryPressure => "memory exhaustion",
            CauseKind::CpuSaturation => "CPU saturation",
            CauseKind::DiskFull => "disk full",
            CauseKind::ConnectionPool => "connection pool exhausted",
            CauseKind::CrashLoop => "crash-looping",
            CauseKind::NodeDown => "node not ready",
        }
    }

    /// How strongly it points at its own entity as the root of an incident.
    pub fn weight(self) -> f64 {
        match self {
            CauseKind::OutOfMemory | CauseKind::NodeDown => 1.5,
            CauseKind::MemoryPressure | CauseKind::DiskFull | CauseKind::ConnectionPool => 1.0,
            CauseKind::CpuSaturation | CauseKind::CrashLoop => 0.75,
        }
    }

    /// Resource exhaustion, as the pattern library names it.
    pub fn is_resource(self) -> bool {
        matches!(
            self,
            CauseKind::OutOfMemory
                | CauseKind::MemoryPressure
                | CauseKind::CpuSaturation
                | CauseKind::DiskFull
                | CauseKind::ConnectionPool
        )
    }
}

/// A signal's reading. Several can hold at once: a crash loop is a cause and
/// an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Class {
    pub cause: Option<CauseKind>,
    pub unavailable: bool,
    pub symptom: bool,
    pub change: bool,
    /// Connection refused / timeouts: what a network partition looks like.
    pub network: bool,
}

impl Class {
    /// Whether a signal like this, on a caller of a failing component, is
    /// plausibly that failure seen from above.
    pub fn travels_up(&self) -> bool {
        self.symptom || self.unavailable
    }

    /// Whether a signal like this, below an incident, can explain it.
    pub fn can_explain(&self) -> bool {
        self.cause.is_some() || self.unavailable || self.symptom
    }

    /// Nothing the engine can reason about beyond its own place.
    pub fn is_other(&self) -> bool {
        !self.can_explain() && !self.change
    }

    pub fn describe(&self) -> &'static str {
        if self.change {
            "change"
        } else if self.cause.is_some() {
            "cause"
        } else if self.unavailable {
            "outage"
        } else if self.symptom {
            "symptom"
        } else {
            "other"
        }
    }
}

/// How many readings each thread remembers (a storm repeats the same few
/// titles thousands of times).
const MEMO_KEEP: usize = 4096;

thread_local! {
    /// Readings by the text they come from. A pure function's memo: answers
    /// never depend on it.
    static MEMO: std::cell::RefCell<std::collections::HashMap<(String, bool, bool), Class>> =
        Default::default();
}

/// Reads a signal.
pub fn classify(s: &Signal) -> Class {
    let on_node = s
        .entity
        .as_ref()
        .is_some_and(|e| matches!(e.kind.as_str(), "node" | "host" | "instance"));
    let key = (Text::raw(s), on_node, s.kind == SignalKind::Change);
    if let Some(c) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return c;
    }
    let c = read(s, &Text::from_str(&key.0), on_node);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_KEEP {
            m.clear();
        }
        m.insert(key, c);
    });
    c
}

fn read(s: &Signal, text: &Text, on_node: bool) -> Class {
    let mut c = Class {
        change: s.kind == SignalKind::Change,
        ..Class::default()
    };
    c.cause = text.cause(on_node);
    c.unavailable = text.unavailable() || c.cause == Some(CauseKind::CrashLoop);
    c.symptom = text.symptom();
    c.network = text.network();
    if c.change {
        // A rollout event is not an outage because it says "replica set".
        c.unavailable = false;
        c.symptom = false;
        c.cause = None;
    }
    c
}

/// Lowercase words of the title, alert name and reason, space-separated with
/// a space at both ends, so `has(" not ready")` matches whole-word prefixes.
pub(crate) struct Text(String);

impl Text {
    /// The words it reads, before splitting: title, alert name, reason.
    fn raw(s: &Signal) -> String {
        let mut raw = s.title.clone();
        for k in ["alertname", "reason", "k8s.reason", "class", "check"] {
            if let Some(v) = s.tags.get(k) {
                raw.push(' ');
                raw.push_str(v);
            }
        }
        raw
    }

    pub(crate) fn from_str(raw: &str) -> Text {
        let mut out = String::with_capacity(raw.len() + 8);
        out.push(' ');
        let chars: Vec<char> = raw.chars().collect();
        for (i, &ch) in chars.iter().enumerate() {
            if !ch.is_alphanumeric() && ch != '%' {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
                continue;
            }
            // CamelCase boundaries: "rashL" and "OOMK|illed".
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = ch.is_uppercase()
                && prev.is_some_and(|p| {
                    p.is_lowercase() || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
                });
            if boundary && !out.ends_with(' ') {
                out.push(' ');
            }
            out.extend(ch.to_lowercase());
        }
        if !out.ends_with(' ') {
            out.push(' ');
        }
        Text(out)
    }

    /// A word or phrase starting at a word boundary (`" crash loop"` also
    /// matches "crash looping").
    fn has(&self, p: &str) -> bool {
        self.0.contains(p)
    }

    fn any(&self, ps: &[&str]) -> bool {
        ps.iter().any(|p| self.has(p))
    }

    fn cause(&self, on_node: bool) -> Option<CauseKind> {
        if self.any(&[
            " oom ",
            " oom killed",
            " oomkill",
            " out of memory",
            " outofmemory",
            " system oom",
        ]) {
            return Some(CauseKind::OutOfMemory);
        }
        if self.any(&[
            " node not ready",
            " nodenotready",
            " node down",
            " node unreachable",
            " host unreachable",
            " host down",
            " host is down",
            " kubelet down",
            " node lost",
            " node shutdown",
        ]) || (on_node
            && self.any(&[
                " not ready",
                " notready",
                " unreachable",
                " down ",
                " stopped reporting",
                " no data",
            ]))
        {
            return Some(CauseKind::NodeDown);
        }
        if self.any(&[" crash loop", " crashloop", " crash looping"])
            || (self.has(" back off") && self.has(" restart"))
            || self.has(" restarting")
        {
            return Some(CauseKind::CrashLoop);
        }
        let memory = self.has(" memory") || self.has(" mem ");
        let high = self.any(&[" high", " above", " spike", " up "]);
        if memory
            && (self.any(&[
                " limit",
                " exhaust",
                " pressure",
                " leak",
                " overcommit",
                " swap",
            ]) || (self.any(&[" usage", " used", " consumption"]) && high))
        {
            return Some(CauseKind::MemoryPressure);
        }
        if self.any(&[" cpu throttl", " cputhrottl"])
            || (self.has(" cpu ") && self.any(&[" saturat", " usage", " load", " steal", " high"]))
        {
            return Some(CauseKind::CpuSaturation);
        }
        if self.any(&[
            " disk pressure",
            " diskpressure",
            " disk full",
            " out of disk",
            " no space",
            " filesystem almost full",
            " filesystem full",
            " inodes",
        ]) || (self.any(&[" disk", " filesystem", " volume"])
            && self.any(&[" full", " filling up", " out of space", " space left"]))
        {
            return Some(CauseKind::DiskFull);
        }
        if self.any(&[
            " connection pool",
            " connectionpool",
            " too many connections",
            " pool exhausted",
            " max connections",
        ]) {
            return Some(CauseKind::ConnectionPool);
        }
        None
    }

    fn unavailable(&self) -> bool {
        self.any(&[
            " target down",
            " targets are down",
            " not ready",
            " notready",
            " non ready",
            " no ready",
            " not available",
            " replicas mismatch",
            " replicasmismatch",
            " unavailable",
            " unreachable",
            " down ",
            " is down",
            " probe fail",
            " readiness",
            " liveness",
            " no endpoints",
            " failed scheduling",
            " evicted",
            " image pull",
            " err image pull",
            " unhealthy",
            " health check fail",
            " healthcheck fail",
            " absent",
        ])
    }

    fn symptom(&self) -> bool {
        self.any(&[
            " error",
            " errors",
            " 5xx",
            " 500",
            " 502",
            " 503",
            " 504",
            " latency",
            " slow",
            " timeout",
            " timed out",
            " p99",
            " p95",
            " p90",
            " apdex",
            " slo ",
            " burn rate",
            " error budget",
            " synthetic",
            " failing",
            " failures",
            " failed requests",
            " request failures",
            " refused",
            " degraded",
        ])
    }

    fn network(&self) -> bool {
        self.any(&[
            " connection refused",
            " connectionrefused",
            " econnrefused",
            " timeout",
            " timed out",
            " unreachable",
            " network",
            " packet loss",
            " dns",
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::test_alert;
    use chrono::TimeZone;

    fn class_of(title: &str, alertname: Option<&str>, entity: Option<&str>) -> Class {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut s = test_alert("s".into(), "f", entity, title, at);
        if let Some(a) = alertname {
            s.tags.insert("alertname".into(), a.into());
        }
        classify(&s)
    }

    #[test]
    fn camel_case_alert_names_read_as_words() {
        assert_eq!(
            Text::from_str("KubePodCrashLooping").0,
            " kube pod crash looping "
        );
        assert_eq!(Text::from_str("OOMKilled").0, " oom killed ");
        assert_eq!(Text::from_str("HighLatencyP99").0, " high latency p99 ");
    }

    #[test]
    fn causes_outages_symptoms_and_others() {
        let c = class_of("redis OOMKilled and restarting", None, None);
        assert_eq!(c.cause, Some(CauseKind::OutOfMemory));
        let c = class_of("x", Some("KubePodCrashLooping"), None);
        assert_eq!(c.cause, Some(CauseKind::CrashLoop));
        assert!(c.unavailable, "a crash loop is also an outage");
        let c = class_of("Memory at 97% of its limit", None, None);
        assert_eq!(c.cause, Some(CauseKind::MemoryPressure));
        let c = class_of("node-3 stopped reporting", None, Some("node/node-3"));
        assert_eq!(c.cause, Some(CauseKind::NodeDown));
        let c = class_of("68% throttling of CPU", Some("CPUThrottlingHigh"), None);
        assert_eq!(c.cause, Some(CauseKind::CpuSaturation));
        let c = class_of("100% of the payment targets are down", None, None);
        assert!(c.unavailable && c.cause.is_none());
        let c = class_of("cart: 5xx ratio above 5%", Some("HighErrorRate"), None);
        assert!(c.symptom && c.travels_up());
        let c = class_of("Synthetic check failing on front-end", None, None);
        assert!(c.symptom);
        for other in [
            ("Clock on node-1 is out of sync", "NodeClockSkewDetected"),
            ("HPA cart has been at max replicas", "KubeHpaMaxedOut"),
            ("node-2 disk usage above 80%", "Disk usage above 80%"),
        ] {
            let c = class_of(other.0, Some(other.1), Some("node/node-1"));
            assert!(c.is_other(), "{other:?}: {c:?}");
        }
    }
}
