//! What a signal says, in the terms an SRE reasons with: a **cause** (the
//! thing itself is broken: out of memory, CPU throttled, disk full, pool
//! exhausted, crash-looping, a bad image or config, its Node down),
//! **unavailable** (the thing is not serving: target down, not ready, no
//! replica), a **symptom** (its callers see it: errors, latency, timeouts,
//! failing checks), an **eviction** (its Pods are being moved off a Node),
//! a **change** (a deploy, rollout or config change), a **heartbeat** of
//! the monitoring itself, or a **forecast** (a capacity trend, an expiry, a
//! scaler at its limit: true, but not a failure now).
//!
//! Correlation uses this for direction and for evidence: errors and latency
//! travel *up* the call graph, so a symptom on a caller belongs with a
//! failure below it; a cause or an outage *below* an incident can explain
//! it; a Node going down produces evictions, unavailability and the errors
//! of what ran there, never an OOM or CPU throttling of its own.
//!
//! The words are the ones real rule sets use (kubernetes-mixin and
//! node-mixin as kube-prometheus ships them, awesome-prometheus-alerts,
//! Datadog's recommended Kubernetes monitors, Grafana's defaults, Kubernetes
//! event reasons and messages), in one table ([`crate::vocabulary`]) a user
//! can extend. They are read from the title, the `alertname`, the event
//! `reason` — and, for Kubernetes events, whose meaning is in their message,
//! the message — with CamelCase split, so `KubePodCrashLooping` reads as
//! "kube pod crash looping".

use crate::signal::{Signal, SignalKind};
use crate::vocabulary::{Reading, Vocabulary};
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
    /// The image cannot be pulled or run: a bad release.
    BadImage,
    /// The configuration the Pod needs is missing or wrong.
    BadConfig,
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
            CauseKind::BadImage => "image cannot be pulled",
            CauseKind::BadConfig => "configuration missing or invalid",
        }
    }

    /// How strongly it points at its own entity as the root of an incident.
    pub fn weight(self) -> f64 {
        match self {
            CauseKind::OutOfMemory | CauseKind::NodeDown => 1.5,
            CauseKind::BadImage | CauseKind::BadConfig => 1.25,
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

    /// A cause of the thing itself, which a failure elsewhere (a callee
    /// failing) does not produce: memory or CPU running out, a bad image or
    /// config, a container that keeps crashing. A Node down is not: it is
    /// what a failure of the Node looks like from its Pods.
    pub fn is_local(self) -> bool {
        !matches!(self, CauseKind::NodeDown)
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
    /// Pods deleted or moved off a Node (taint eviction, pressure).
    pub eviction: bool,
    /// The monitoring's own heartbeat (Watchdog, dead man's switch).
    pub heartbeat: bool,
    /// A trend, an expiry or a limit reached: not a failure now.
    pub forecast: bool,
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
        !self.can_explain() && !self.change && !self.eviction
    }

    /// A cause of its own that no failure around it produces.
    pub fn local_cause(&self) -> bool {
        self.cause.is_some_and(CauseKind::is_local)
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
        } else if self.eviction {
            "eviction"
        } else if self.heartbeat {
            "heartbeat"
        } else if self.forecast {
            "forecast"
        } else {
            "other"
        }
    }
}

/// How many readings each thread remembers (a storm repeats the same few
/// titles thousands of times).
const MEMO_KEEP: usize = 4096;

thread_local! {
    /// Readings by vocabulary and the text they come from. A pure
    /// function's memo: answers never depend on it.
    static MEMO: std::cell::RefCell<std::collections::HashMap<(u64, String, bool, bool), Class>> =
        Default::default();
}

/// Reads a signal with the built-in vocabulary.
pub fn classify(s: &Signal) -> Class {
    classify_with(Vocabulary::builtin(), s)
}

/// Reads a signal with `vocab` (the built-in words and a user's own).
pub fn classify_with(vocab: &Vocabulary, s: &Signal) -> Class {
    let on_node = s
        .entity
        .as_ref()
        .is_some_and(|e| matches!(e.kind.as_str(), "node" | "host" | "instance"));
    let key = (
        vocab.id(),
        Text::raw(s),
        on_node,
        s.kind == SignalKind::Change,
    );
    if let Some(c) = MEMO.with(|m| m.borrow().get(&key).copied()) {
        return c;
    }
    let c = read(vocab, &Text::from_str(&key.1), on_node, key.3);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_KEEP {
            m.clear();
        }
        m.insert(key, c);
    });
    c
}

fn read(vocab: &Vocabulary, text: &Text, on_node: bool, change_kind: bool) -> Class {
    let has = |r: Reading| vocab.matches(r, &text.0);
    let mut c = Class {
        change: change_kind || has(Reading::Change),
        heartbeat: has(Reading::Heartbeat),
        forecast: has(Reading::Forecast),
        ..Class::default()
    };
    if c.heartbeat || c.forecast {
        // "Disk will fill in 24 hours", "memory overcommitted", "HPA at its
        // maximum", the Watchdog: not a failure, whatever words they hold.
        return c;
    }
    c.eviction = has(Reading::Eviction);
    c.cause = cause(vocab, text, on_node);
    c.unavailable = has(Reading::Unavailable)
        || matches!(c.cause, Some(CauseKind::CrashLoop | CauseKind::BadImage));
    c.symptom = has(Reading::Symptom);
    c.network = has(Reading::Network);
    if c.change {
        // A rollout event is not an outage because it says "replica set".
        c.unavailable = false;
        c.symptom = false;
        c.cause = None;
        c.eviction = false;
    }
    if c.eviction {
        // An eviction says where a Pod was, not that its service failed.
        c.unavailable = false;
    }
    c
}

/// The cause a text names, the most telling first.
fn cause(vocab: &Vocabulary, text: &Text, on_node: bool) -> Option<CauseKind> {
    let has = |r: Reading| vocab.matches(r, &text.0);
    if has(Reading::OutOfMemory) {
        return Some(CauseKind::OutOfMemory);
    }
    if has(Reading::NodeDown) || (on_node && has(Reading::DownOnNode)) {
        return Some(CauseKind::NodeDown);
    }
    if has(Reading::BadImage) {
        return Some(CauseKind::BadImage);
    }
    if has(Reading::BadConfig) {
        return Some(CauseKind::BadConfig);
    }
    if has(Reading::CrashLoop) {
        return Some(CauseKind::CrashLoop);
    }
    if has(Reading::MemoryPressure) {
        return Some(CauseKind::MemoryPressure);
    }
    if has(Reading::CpuSaturation) {
        return Some(CauseKind::CpuSaturation);
    }
    if has(Reading::DiskFull) {
        return Some(CauseKind::DiskFull);
    }
    if has(Reading::ConnectionPool) {
        return Some(CauseKind::ConnectionPool);
    }
    None
}

/// Lowercase words of the title, alert name and reason (and a Kubernetes
/// event's message), space-separated with a space at both ends, so
/// `contains(" not ready")` matches whole-word prefixes.
pub(crate) struct Text(pub(crate) String);

impl Text {
    /// The words it reads, before splitting.
    fn raw(s: &Signal) -> String {
        let mut raw = s.title.clone();
        for k in ["alertname", "reason", "k8s.reason", "class", "check"] {
            if let Some(v) = s.tags.get(k) {
                raw.push(' ');
                raw.push_str(v);
            }
        }
        // A Kubernetes event says what happened in its message ("Back-off
        // restarting failed container"); an alert's description is prose
        // that may name anything.
        if s.source_type == "K8S_EVENT" {
            if let Some(d) = &s.description {
                raw.push(' ');
                raw.extend(d.chars().take(300));
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
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
