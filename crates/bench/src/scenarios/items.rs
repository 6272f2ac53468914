//! The source-agnostic items a scenario is made of. Alert names and
//! severities here are canonical (kubernetes-mixin's where it has one);
//! [`super::conventions`] says how each suite's tools spell them.

/// The tool an alert reaches Causeway through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Alertmanager,
    Grafana,
    Datadog,
    /// PagerDuty Events API v2 (trigger / resolve from a monitoring tool).
    PagerDuty,
    /// A PagerDuty incident, as its v3 webhook tells it.
    PagerDutyIncident,
    /// An Opsgenie alert, as its outgoing webhook tells it.
    Opsgenie,
}

/// What an alert is about, as its labels or tags will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum On {
    /// `(workload, pod)`.
    Pod(String, String),
    Workload(String),
    Service(String),
    Node(String),
    /// A URL probed from outside (blackbox exporter, synthetic check).
    Url(String),
    Nothing,
}

/// The peer a caller's metric is about: requests *to* it fail or time out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// A Service of the application, by name.
    Service(String),
    /// A host outside the cluster.
    Host(String),
}

impl Peer {
    pub fn name(&self) -> &str {
        match self {
            Peer::Service(s) | Peer::Host(s) => s,
        }
    }
}

/// One alert's life: it fires at `starts` and resolves at `ends`.
#[derive(Debug, Clone)]
pub struct Alert {
    pub via: Via,
    /// Canonical rule name (see [`super::conventions::Conventions::rule_name`]).
    pub name: String,
    /// `critical`, `warning`, `info` or `none`.
    pub severity: &'static str,
    pub on: On,
    pub summary: String,
    pub starts: i64,
    pub ends: i64,
    pub cluster: String,
    /// For a batch Job's alert: the Job's name (a `job_name` label).
    pub job: Option<String>,
    /// For a caller's alert about the calls to one peer.
    pub peer: Option<Peer>,
}

/// A core/v1 Event, re-sent `repeats` times `every` seconds apart with a
/// growing count (how kubelet's event deduplication and an event exporter
/// forward it).
#[derive(Debug, Clone)]
pub struct K8sEvent {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub reason: String,
    pub message: String,
    pub warning: bool,
    pub at: i64,
    pub repeats: u32,
    pub every: i64,
    /// The reporting component (`kubelet`, `kustomize-controller`...).
    pub component: &'static str,
    pub cluster: String,
}

/// A GitHub `deployment_status: success` for `service`.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub service: String,
    pub at: i64,
    pub cluster: String,
}

/// A GitHub `push` of one commit to a configuration repository.
#[derive(Debug, Clone)]
pub struct Push {
    /// `owner/name`.
    pub repo: String,
    /// The files the commit modifies, repository paths.
    pub modified: Vec<String>,
    pub message: String,
    pub author: String,
    pub at: i64,
    pub cluster: String,
}
