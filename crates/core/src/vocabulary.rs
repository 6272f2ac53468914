//! The words that say what a signal means: one table, from the rule sets
//! and event sources people actually run, which a user extends with their
//! own (`CorrelationConfig::vocabulary`, or `{"correlation": {"vocabulary":
//! [...]}}` for `causeway replay --rules`).
//!
//! Sources of the built-in words (their alert names are in the tests):
//! - kube-prometheus: kubernetes-mixin (`KubePodCrashLooping`,
//!   `KubeDeploymentReplicasMismatch`, `CPUThrottlingHigh`,
//!   `KubeNodeNotReady`, ...) and node-mixin (`NodeFilesystemAlmostOutOfSpace`,
//!   `NodeFilesystemSpaceFillingUp`, ...), with `Watchdog` and `InfoInhibitor`;
//! - awesome-prometheus-alerts (`KubernetesContainerOomKiller`,
//!   `HostOutOfMemory`, `ContainerHighThrottleRate`, `BlackboxProbeFailed`,
//!   `MysqlTooManyConnections`, ...);
//! - Datadog's recommended Kubernetes monitors ("Pod … is CrashloopBackOff",
//!   "Deployment … has unavailable replicas", "Node … is not ready") and
//!   Synthetics ("health check is failing");
//! - Grafana's alerting defaults and SLO rules (error budget burn, apdex);
//! - Kubernetes event reasons and messages (`BackOff` "Back-off restarting
//!   failed container", `OOMKilling`, `NodeNotReady`, `TaintManagerEviction`,
//!   `Evicted`, `Failed` "couldn't find key … in Secret", `ErrImagePull`).
//!
//! A phrase is one or more fragments joined by `&`, all of which must be in
//! the text; a fragment matches at the start of a word ("crash loop" also
//! matches "crash looping"), and one ending in `$` matches whole words only
//! ("oom$" is not "room"). Texts are lowercase words with CamelCase split.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use ts_rs::TS;

/// What a phrase says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    OutOfMemory,
    MemoryPressure,
    CpuSaturation,
    DiskFull,
    ConnectionPool,
    CrashLoop,
    NodeDown,
    /// Words that mean "down" only when said of a Node or host.
    DownOnNode,
    BadImage,
    BadConfig,
    Unavailable,
    Symptom,
    Network,
    Eviction,
    Change,
    Heartbeat,
    Forecast,
}

/// A user's own words for a reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Words {
    pub reading: Reading,
    pub phrases: Vec<String>,
}

/// The built-in table.
const BUILTIN: &[(Reading, &[&str])] = &[
    (
        Reading::OutOfMemory,
        &[
            "oom$",
            "oom kill",
            "oomkill",
            "oom killer",
            "out of memory",
            "outofmemory",
            "system oom",
            "memory cgroup out of memory",
            "out of & memory$",
        ],
    ),
    (
        Reading::MemoryPressure,
        &[
            "memory pressure",
            "memory & exhaust",
            "memory & leak",
            "memory & limit",
            "memory & swap",
            "memory & usage & high",
            "memory & usage & above",
            "memory & high$",
            "memory & used & high",
            "memory & utilization & high",
            "memory & consumption",
            "mem$ & high",
            "memory & filling",
            "swap & filling",
        ],
    ),
    (
        Reading::CpuSaturation,
        &[
            "cpu throttl",
            "cputhrottl",
            "throttle rate",
            "throttl & cpu$",
            "throttl & container",
            "cpu$ & saturat",
            "cpu$ & usage & high",
            "cpu$ & usage & above",
            "cpu$ & load",
            "cpu$ & steal",
            "cpu$ & high$",
            "cpu$ & spike",
            "cpu$ & utilization",
            "system saturation",
            "load average",
        ],
    ),
    (
        Reading::DiskFull,
        &[
            "disk pressure",
            "diskpressure",
            "disk full",
            "out of disk",
            "out of space",
            "no space left",
            "no space",
            "almost out of space",
            "almost out of files",
            "filesystem almost full",
            "filesystem full",
            "disk almost full",
            "volume & full$",
            "out of inodes",
            "inodes & exhaust",
        ],
    ),
    (
        Reading::ConnectionPool,
        &[
            "connection pool",
            "connectionpool",
            "too many connections",
            "pool exhausted",
            "max connections",
            "rejected connections",
            "not enough connections",
        ],
    ),
    (
        Reading::CrashLoop,
        &[
            "crash loop",
            "crashloop",
            "crash looping",
            "back off & restart",
            "restarting failed container",
            "restarting$",
            "too many restarts",
            "container killed",
            "process termination",
        ],
    ),
    (
        Reading::NodeDown,
        &[
            "node not ready",
            "nodenotready",
            "node down",
            "node unreachable",
            "node & unreachable",
            "node & is not ready",
            "host unreachable",
            "host down",
            "host is down",
            "kubelet down",
            "node lost",
            "node shutdown",
            "node network unavailable",
        ],
    ),
    (
        Reading::DownOnNode,
        &[
            "not ready",
            "notready",
            "unreachable",
            "down$",
            "stopped reporting",
            "no data",
        ],
    ),
    (
        Reading::BadImage,
        &[
            "image pull",
            "imagepull",
            "err image",
            "back off & pulling image",
            "failed to pull image",
            "invalid image",
            "image not found",
        ],
    ),
    (
        Reading::BadConfig,
        &[
            "create container config error",
            "createcontainerconfigerror",
            "couldn t find key",
            "configmap & not found",
            "secret & not found",
            "invalid configuration",
            "config & invalid",
            "missing required config",
        ],
    ),
    (
        Reading::Unavailable,
        &[
            "target down",
            "targets are down",
            "target missing",
            "targets missing",
            "not ready",
            "notready",
            "non ready",
            "no ready",
            "not available",
            "unavailable",
            "replicas mismatch",
            "replicasmismatch",
            "not healthy",
            "unhealthy",
            "unreachable",
            "down$",
            "is down",
            "probe fail",
            "probe http failure",
            "readiness",
            "liveness",
            "no endpoints",
            "failed scheduling",
            "absent",
            "statefulset down",
            "rollout stuck",
            "container waiting",
        ],
    ),
    (
        Reading::Symptom,
        &[
            "error$",
            "errors$",
            "error rate",
            "error ratio",
            "5xx",
            "500$",
            "502$",
            "503$",
            "504$",
            "latency",
            "slow",
            "timeout",
            "timed out",
            "p99",
            "p95",
            "p90",
            "apdex",
            "slo$",
            "burn rate",
            "error budget",
            "budget burn",
            "synthetic",
            "health check",
            "check failing",
            "failing$",
            "failures",
            "failed requests",
            "request failures",
            "refused",
            "degraded",
            "response time",
            "mrt$",
            "success rate",
            "sr$ & grpc",
            "sr$ & http",
        ],
    ),
    (
        Reading::Network,
        &[
            "connection refused",
            "connectionrefused",
            "econnrefused",
            "connection reset",
            "timeout",
            "timed out",
            "unreachable",
            "network",
            "packet loss",
            "packet corruption",
            "retransmi",
            "dns$",
            "handshake",
        ],
    ),
    (
        Reading::Eviction,
        &[
            "evict",
            "taint manager eviction",
            "marking for deletion",
            "preempt",
        ],
    ),
    (
        Reading::Change,
        &[
            "scaling replica set",
            "deployment rollback",
            "rollout restart",
            "deployed$",
            "deployment of",
        ],
    ),
    (
        Reading::Heartbeat,
        &[
            "watchdog",
            "dead man",
            "deadman",
            "dead mans switch",
            "info inhibitor",
            "heartbeat",
            "should always be firing",
        ],
    ),
    (
        Reading::Forecast,
        &[
            "will fill",
            "fill in$",
            "filesystem & filling up",
            "disk & filling up",
            "volume & filling up",
            "predicted",
            "predict",
            "expire",
            "expiry",
            "expiration",
            "certificate",
            "overcommit",
            "quota",
            "max replicas",
            "maxed out",
            "scale maximum",
            "at max$",
            "at maximum",
            "hpa & max",
            "autoscaler & max",
            "clock skew",
            "clock not synchronising",
            "underutilized",
            "disk usage & above",
            "disk usage & high",
            "version mismatch",
            "job failed",
            "cron job",
            "cronjob",
            "suspended",
        ],
    ),
];

/// One compiled phrase: fragments that must all be in the text.
#[derive(Debug, Clone)]
struct Phrase(Vec<String>);

impl Phrase {
    fn compile(p: &str) -> Phrase {
        Phrase(
            p.split('&')
                .map(|f| {
                    let f = f.trim().to_lowercase();
                    match f.strip_suffix('$') {
                        Some(whole) => format!(" {whole} "),
                        None => format!(" {f}"),
                    }
                })
                .filter(|f| f.trim() != "")
                .collect(),
        )
    }

    fn matches(&self, text: &str) -> bool {
        !self.0.is_empty() && self.0.iter().all(|f| text.contains(f.as_str()))
    }
}

/// The compiled table: the built-in words and a user's own.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    phrases: Vec<(Reading, Phrase)>,
    id: u64,
}

impl Vocabulary {
    /// The built-in table.
    pub fn builtin() -> &'static Vocabulary {
        static BUILT: OnceLock<Vocabulary> = OnceLock::new();
        BUILT.get_or_init(|| Vocabulary::with(&[]))
    }

    /// The built-in table and `extra` words.
    pub fn with(extra: &[Words]) -> Vocabulary {
        let mut phrases: Vec<(Reading, Phrase)> = BUILTIN
            .iter()
            .flat_map(|(r, ps)| ps.iter().map(|p| (*r, Phrase::compile(p))))
            .collect();
        for w in extra {
            phrases.extend(w.phrases.iter().map(|p| (w.reading, Phrase::compile(p))));
        }
        let key = serde_json::to_string(extra).unwrap_or_default();
        Vocabulary {
            phrases,
            id: crate::hash::fnv1a(&[&key]),
        }
    }

    /// Tells vocabularies apart (for memos).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether any phrase of `reading` is in `text` (lowercase words with a
    /// space at both ends, as [`crate::analysis::classify`] makes it).
    pub fn matches(&self, reading: Reading, text: &str) -> bool {
        self.phrases
            .iter()
            .any(|(r, p)| *r == reading && p.matches(text))
    }
}
