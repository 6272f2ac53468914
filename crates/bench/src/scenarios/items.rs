//! The source-agnostic items a scenario is made of.

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
}

/// What an alert is about, as its labels or tags will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum On {
    /// `(workload, pod)`.
    Pod(String, String),
    Workload(String),
    Service(String),
    Node(String),
    Nothing,
}

/// One alert's life: it fires at `starts` and resolves at `ends`.
#[derive(Debug, Clone)]
pub struct Alert {
    pub via: Via,
    pub name: String,
    pub severity: &'static str,
    pub on: On,
    pub summary: String,
    pub starts: i64,
    pub ends: i64,
    pub cluster: String,
    /// For a batch Job's alert: the Job's name (a `job_name` label).
    pub job: Option<String>,
}

/// A core/v1 Event, re-sent `repeats` times a minute apart with a growing count.
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
    pub cluster: String,
}

/// A GitHub `deployment_status: success` for `service`.
#[derive(Debug, Clone)]
pub struct Deploy {
    pub service: String,
    pub at: i64,
    pub cluster: String,
}
