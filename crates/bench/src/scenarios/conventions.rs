//! How one organisation's monitoring is set up, chosen per suite: which
//! tool carries which alert, which rule set names them, which label keys
//! say where (kube-state-metrics, `exported_*`, the older `kubernetes_sd`
//! relabelling, OpenTelemetry attributes), the words for how bad it is,
//! which mesh or proxy labels a caller's metrics with the peer it calls,
//! and how Alertmanager groups. Faults and noise speak in canonical names
//! and severities ([`super::items`]); this module spells them.

use super::items::{Alert, On, Peer, Via};
use super::world::World;
use super::Rng;
use std::collections::BTreeMap;

/// Label keys of alerts from Prometheus rules (Alertmanager, Grafana).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelStyle {
    /// kube-prometheus with kube-state-metrics scraped with `honor_labels`:
    /// `namespace`, `pod`, `deployment`, `node`.
    KubeStateMetrics,
    /// kube-state-metrics scraped without `honor_labels`: its metrics keep
    /// the object as `exported_namespace`/`exported_pod`, while `namespace`
    /// and `pod` name the exporter; node-exporter's `instance` is the Node's IP.
    Exported,
    /// The older `kubernetes_sd` relabelling of the community chart:
    /// `kubernetes_namespace`, `kubernetes_pod_name`, `app`, `kubernetes_node`.
    LegacySd,
    /// OpenTelemetry resource attributes kept as UTF-8 label names.
    OtelDotted,
    /// OpenTelemetry resource attributes translated to `k8s_namespace_name`.
    OtelUnderscore,
}

/// The words for how bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// `critical` / `warning` / `info` (kube-prometheus).
    WarningCritical,
    /// `page` / `ticket`, as in the SRE book's alerting chapter.
    PageTicket,
    /// `P1`–`P4` under `priority`, as paging tools say it.
    Priority,
}

/// Which public rule set the Prometheus rules come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// kubernetes-mixin / node-mixin (kube-prometheus).
    Mixin,
    /// awesome-prometheus-alerts.
    Awesome,
}

/// What labels a service's request metrics, and a caller's metrics with the
/// peer it calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mesh {
    /// Istio's `istio_requests_total`: `destination_service`, `source_workload`.
    Istio,
    /// Linkerd's proxy: `deployment`, `direction`, `dst_deployment`, `authority`.
    Linkerd,
    /// An Envoy sidecar's cluster stats: `envoy_cluster_name`.
    Envoy,
    /// The OpenTelemetry collector's span metrics: `peer.service`, `server.address`.
    SpanMetrics,
    /// The application's own metrics: no peer label; titles name the peer.
    Plain,
}

/// Which tools carry the alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tools {
    /// Prometheus and Alertmanager, a few Grafana-managed rules.
    Prometheus,
    /// Grafana-managed alerting only.
    Grafana,
    /// Datadog monitors only.
    Datadog,
    /// All of them, as teams that grew their monitoring over years have.
    Mixed,
}

/// The paging tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pager {
    PagerDuty,
    Opsgenie,
}

/// Alertmanager's `group_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Namespace,
    AlertName,
    AlertNameNamespace,
    /// `group_by: ['...']`: every alert is a group of its own.
    Each,
}

/// One suite's monitoring setup.
#[derive(Debug, Clone)]
pub struct Conventions {
    pub labels: LabelStyle,
    pub words: Words,
    pub rules: Rules,
    pub mesh: Mesh,
    pub tools: Tools,
    pub pager: Pager,
    pub group_by: GroupBy,
    /// Alertmanager's `repeat_interval` (seconds).
    pub repeat: i64,
}

impl Default for Conventions {
    /// kube-prometheus defaults, the setup the first suites were written for.
    fn default() -> Self {
        Conventions {
            labels: LabelStyle::KubeStateMetrics,
            words: Words::WarningCritical,
            rules: Rules::Mixin,
            mesh: Mesh::Plain,
            tools: Tools::Mixed,
            pager: Pager::PagerDuty,
            group_by: GroupBy::Namespace,
            repeat: 4 * 3600,
        }
    }
}

impl Conventions {
    pub fn pick(rng: &mut Rng) -> Conventions {
        use LabelStyle::*;
        Conventions {
            labels: *rng.pick(&[
                KubeStateMetrics,
                KubeStateMetrics,
                Exported,
                LegacySd,
                OtelDotted,
                OtelUnderscore,
            ]),
            words: *rng.pick(&[
                Words::WarningCritical,
                Words::WarningCritical,
                Words::PageTicket,
                Words::Priority,
            ]),
            rules: *rng.pick(&[Rules::Mixin, Rules::Awesome]),
            mesh: *rng.pick(&[
                Mesh::Istio,
                Mesh::Linkerd,
                Mesh::Envoy,
                Mesh::SpanMetrics,
                Mesh::Plain,
                Mesh::Plain,
            ]),
            tools: *rng.pick(&[
                Tools::Prometheus,
                Tools::Grafana,
                Tools::Datadog,
                Tools::Mixed,
                Tools::Mixed,
            ]),
            pager: *rng.pick(&[Pager::PagerDuty, Pager::Opsgenie]),
            group_by: *rng.pick(&[
                GroupBy::Namespace,
                GroupBy::AlertName,
                GroupBy::AlertNameNamespace,
                GroupBy::Each,
            ]),
            // Alertmanager's default repeat_interval is 4 h; many set 1 h.
            repeat: if rng.chance(50) { 3600 } else { 4 * 3600 },
        }
    }

    /// One line for the report: what this suite's monitoring looks like.
    pub fn describe(&self) -> String {
        format!(
            "{:?} labels, {:?} severities, {:?} rules, {:?} peers, {:?} tools, {:?}, group by {:?}",
            self.labels, self.words, self.rules, self.mesh, self.tools, self.pager, self.group_by
        )
    }

    /// The tool that carries an alert a fault asks for (`None`: any).
    pub fn route(&self, asked: Option<Via>, rng: &mut Rng) -> Via {
        let primary = match self.tools {
            Tools::Grafana => Via::Grafana,
            Tools::Datadog => Via::Datadog,
            _ => Via::Alertmanager,
        };
        let via = asked.unwrap_or_else(|| match (self.tools, rng.range(0, 19)) {
            (Tools::Mixed, 0..=12) => Via::Alertmanager,
            (Tools::Mixed, 13..=14) => Via::Grafana,
            (Tools::Mixed, 15..=16) => Via::Datadog,
            (Tools::Mixed, 17) => Via::PagerDuty,
            (Tools::Prometheus, 17..=18) => Via::Grafana,
            (_, 19) => Via::PagerDutyIncident,
            _ => primary,
        });
        let via = match (self.tools, via) {
            (Tools::Grafana | Tools::Datadog, Via::Alertmanager | Via::Grafana | Via::Datadog) => {
                primary
            }
            (Tools::Prometheus, Via::Datadog) => Via::Alertmanager,
            _ => via,
        };
        match (self.pager, via) {
            (Pager::Opsgenie, Via::PagerDuty | Via::PagerDutyIncident) => Via::Opsgenie,
            _ => via,
        }
    }

    /// The severity label of a Prometheus rule: key and word.
    pub fn severity_label(&self, severity: &str) -> (&'static str, String) {
        match self.words {
            Words::WarningCritical => ("severity", severity.to_string()),
            Words::PageTicket => (
                "severity",
                match severity {
                    "critical" => "page",
                    "warning" => "ticket",
                    other => other,
                }
                .to_string(),
            ),
            Words::Priority => ("priority", priority(severity).to_string()),
        }
    }

    /// The name of a Prometheus rule (Alertmanager, Grafana, the labels an
    /// Opsgenie or PagerDuty integration forwards).
    pub fn rule_name(&self, a: &Alert, world: &World) -> String {
        if let Some(app) = self.app_rule(&a.name) {
            return app.to_string();
        }
        let stateful = matches!(&a.on, On::Workload(w) if world.workloads.get(w).is_some_and(|w| w.kind == "statefulset"));
        let awesome = self.rules == Rules::Awesome;
        let name = match a.name.as_str() {
            "KubeDeploymentReplicasMismatch" if stateful => {
                if awesome {
                    "KubernetesStatefulsetReplicasMismatch"
                } else {
                    "KubeStatefulSetReplicasMismatch"
                }
            }
            "Watchdog" if awesome => "PrometheusAlertmanagerE2eDeadManSwitch",
            other if awesome => NAMES
                .iter()
                .find(|(c, _, _)| *c == other)
                .map_or(other, |(_, aw, _)| *aw),
            other => other,
        };
        name.to_string()
    }

    /// A Datadog monitor's name, its template variables filled in.
    pub fn monitor_name(&self, a: &Alert, ns: &str) -> String {
        let subject = match &a.on {
            On::Pod(_, p) => p.clone(),
            On::Workload(w) | On::Service(w) => w.clone(),
            On::Node(n) => n.clone(),
            On::Url(u) => u.clone(),
            On::Nothing => a.job.clone().unwrap_or_else(|| ns.to_string()),
        };
        let template = match (a.name.as_str(), &a.on) {
            ("TargetDown", On::Node(_)) => "[Host] {s} is not reporting",
            ("HighErrorRate", _) => "[APM] Error rate is high on {s}",
            ("HighLatencyP99", _) => "[APM] p99 latency is high on {s}",
            ("CallErrors", _) => "[APM] Errors on {s} calling {peer}",
            ("CallTimeouts", _) => "[APM] Timeouts on {s} calling {peer}",
            (other, _) => NAMES
                .iter()
                .find(|(c, _, _)| *c == other)
                .map_or("{s}: monitor triggered", |(_, _, dd)| *dd),
        };
        template
            .replace("{s}", &subject)
            .replace("{ns}", ns)
            .replace("{peer}", a.peer.as_ref().map_or("", Peer::name))
    }

    /// Request-metric rules are named by what measures the requests.
    fn app_rule(&self, canonical: &str) -> Option<&'static str> {
        let i = [
            "HighErrorRate",
            "HighLatencyP99",
            "CallErrors",
            "CallTimeouts",
        ]
        .iter()
        .position(|c| *c == canonical)?;
        let names: [&str; 4] = match self.mesh {
            Mesh::Istio => [
                "IstioHigh5xxErrorRate",
                "IstioLatency99Percentile",
                "IstioHigh5xxErrorRate",
                "IstioLatency99Percentile",
            ],
            Mesh::Linkerd => [
                "LinkerdHighErrorRate",
                "LinkerdHighLatency",
                "LinkerdHighErrorRate",
                "LinkerdHighLatency",
            ],
            Mesh::Envoy => [
                "HighErrorRate",
                "HighLatencyP99",
                "EnvoyUpstreamConnectFailures",
                "EnvoyUpstreamRequestTimeouts",
            ],
            Mesh::SpanMetrics => [
                "ServiceErrorRateHigh",
                "ServiceLatencyP99High",
                "ClientSpanErrorRateHigh",
                "ClientSpanLatencyHigh",
            ],
            Mesh::Plain => [
                "HighErrorRate",
                "HighLatencyP99",
                "UpstreamErrorRateHigh",
                "UpstreamTimeoutsHigh",
            ],
        };
        Some(names[i])
    }

    fn otel_key(&self, dotted: &str) -> String {
        if self.labels == LabelStyle::OtelDotted {
            dotted.to_string()
        } else {
            dotted.replace('.', "_")
        }
    }

    /// The labels of a Prometheus rule's alert that say what it is about.
    pub fn subject_labels(&self, a: &Alert, world: &World) -> BTreeMap<String, String> {
        let ns = world.namespace.as_str();
        let mut l = BTreeMap::new();
        let mut put = |k: &str, v: &str| {
            l.insert(k.to_string(), v.to_string());
        };
        let app = self.app_rule(&a.name).is_some();
        // kube-state-metrics' series keep its own target's `instance`.
        let ksm = a.name.starts_with("Kube") && a.name != "KubeContainerMemoryNearLimit";
        let ksm_instance = world.exporter_ip("kube-state-metrics") + ":8080";
        let otel = matches!(
            self.labels,
            LabelStyle::OtelDotted | LabelStyle::OtelUnderscore
        );
        if app {
            self.request_labels(a, world, &mut put);
            return l;
        }
        match (&a.on, self.labels) {
            (On::Pod(w, p), _) if otel => {
                put(&self.otel_key("k8s.namespace.name"), ns);
                put(&self.otel_key("k8s.pod.name"), p);
                put(&self.otel_key("k8s.container.name"), w);
            }
            (On::Pod(w, p), LabelStyle::Exported) if ksm => {
                put("namespace", "monitoring");
                put("pod", &world.exporter_pod("kube-state-metrics"));
                put("exported_namespace", ns);
                put("exported_pod", p);
                put("exported_container", w);
                put("job", "kube-state-metrics");
                put("instance", &ksm_instance);
            }
            (On::Pod(w, p), style) => {
                put("namespace", ns);
                put("pod", p);
                put("container", w);
                if style == LabelStyle::LegacySd && ksm {
                    put("kubernetes_namespace", "kube-system");
                    put("kubernetes_name", "kube-state-metrics");
                    put("job", "kubernetes-service-endpoints");
                    put("instance", &ksm_instance);
                } else if ksm {
                    put("job", "kube-state-metrics");
                    put("instance", &ksm_instance);
                }
            }
            (On::Workload(w), _) => {
                let kind = world.workloads.get(w).map_or("deployment", |x| &x.kind);
                if otel {
                    put(&self.otel_key("k8s.namespace.name"), ns);
                    put(&self.otel_key(&format!("k8s.{kind}.name")), w);
                } else {
                    let exported = self.labels == LabelStyle::Exported;
                    put(
                        if exported {
                            "exported_namespace"
                        } else {
                            "namespace"
                        },
                        ns,
                    );
                    if exported {
                        put("namespace", "monitoring");
                    }
                    put(kind, w);
                    put("job", "kube-state-metrics");
                    put("instance", &ksm_instance);
                }
            }
            (On::Service(s), _) => self.service_labels(s, ns, &mut put),
            (On::Node(n), style) => {
                // KubeNodeNotReady comes from kube-state-metrics, whose own
                // `node` label names the Node; the rest from node-exporter.
                let ksm = a.name.starts_with("Kube");
                let ip = world.node_ip(n);
                match style {
                    _ if otel => {
                        put(&self.otel_key("k8s.node.name"), n);
                        put(&self.otel_key("host.name"), n);
                    }
                    _ if ksm => {
                        put("node", n);
                        put("job", "kube-state-metrics");
                    }
                    LabelStyle::Exported => {
                        put("namespace", "monitoring");
                        put("pod", &world.exporter_pod(&format!("node-exporter@{n}")));
                        put("instance", &format!("{ip}:9100"));
                        put("job", "node-exporter");
                    }
                    LabelStyle::LegacySd => {
                        put("kubernetes_node", n);
                        put("instance", &format!("{ip}:9100"));
                        put("job", "kubernetes-service-endpoints");
                    }
                    _ => {
                        put("namespace", "monitoring");
                        put("node", n);
                        put("instance", &format!("{n}:9100"));
                        put("job", "node-exporter");
                    }
                }
            }
            (On::Url(u), _) => {
                put("instance", u);
                put("job", "blackbox");
                put("module", "http_2xx");
            }
            (On::Nothing, _) => match &a.job {
                Some(job) => {
                    put(
                        if otel {
                            "k8s_namespace_name"
                        } else {
                            "namespace"
                        },
                        ns,
                    );
                    put(if otel { "k8s_job_name" } else { "job_name" }, job);
                    put("job", "kube-state-metrics");
                }
                None => put("namespace", "monitoring"),
            },
        }
        l
    }

    /// Labels of a service's own metrics (the application's, not an exporter's).
    fn service_labels(&self, s: &str, ns: &str, put: &mut dyn FnMut(&str, &str)) {
        match self.labels {
            LabelStyle::OtelDotted | LabelStyle::OtelUnderscore => {
                put(&self.otel_key("service.name"), s);
                put(&self.otel_key("k8s.namespace.name"), ns);
                put("job", &format!("{ns}/{s}"));
            }
            LabelStyle::LegacySd => {
                put("kubernetes_namespace", ns);
                put("app", s);
                put("job", "kubernetes-pods");
            }
            _ => {
                put("namespace", ns);
                put("service", s);
                put("job", s);
            }
        }
    }

    /// Request metrics: a service's own (server side), or a caller's about
    /// the peer it calls (client side), as the mesh or proxy labels them.
    fn request_labels(&self, a: &Alert, world: &World, put: &mut dyn FnMut(&str, &str)) {
        let ns = world.namespace.as_str();
        let (svc, pod) = match &a.on {
            On::Pod(w, p) => (w.as_str(), Some(p.as_str())),
            On::Service(s) | On::Workload(s) => (s.as_str(), None),
            _ => ("", None),
        };
        let peer_dns = |p: &Peer| match p {
            Peer::Service(s) => format!("{s}.{ns}.svc.cluster.local"),
            Peer::Host(h) => h.clone(),
        };
        let client = a.peer.is_some();
        match self.mesh {
            Mesh::Istio if client => {
                put("source_workload", svc);
                put("source_workload_namespace", ns);
                put("reporter", "source");
                put("destination_service", &peer_dns(a.peer.as_ref().unwrap()));
            }
            Mesh::Istio => {
                put("destination_service_name", svc);
                put("destination_service_namespace", ns);
                put("reporter", "destination");
            }
            Mesh::Linkerd => {
                put("namespace", ns);
                put("deployment", svc);
                if let Some(p) = pod {
                    put("pod", p);
                }
                put("direction", if client { "outbound" } else { "inbound" });
                match &a.peer {
                    Some(Peer::Service(s)) => {
                        put("dst_namespace", ns);
                        put("dst_deployment", s);
                    }
                    Some(Peer::Host(h)) => put("authority", &format!("{h}:443")),
                    None => {}
                }
            }
            Mesh::SpanMetrics => {
                let key = |d: &str| {
                    if self.labels == LabelStyle::OtelDotted {
                        d.to_string()
                    } else {
                        d.replace('.', "_")
                    }
                };
                put(&key("service.name"), svc);
                put(&key("k8s.namespace.name"), ns);
                put(
                    &key("span.kind"),
                    if client {
                        "SPAN_KIND_CLIENT"
                    } else {
                        "SPAN_KIND_SERVER"
                    },
                );
                match &a.peer {
                    Some(Peer::Service(s)) => put(&key("peer.service"), s),
                    Some(Peer::Host(h)) => put(&key("server.address"), h),
                    None => {}
                }
            }
            Mesh::Envoy | Mesh::Plain => {
                match pod {
                    Some(p) => {
                        put("namespace", ns);
                        put("pod", p);
                        put("app", svc);
                    }
                    None => self.service_labels(svc, ns, put),
                }
                if let (Mesh::Envoy, Some(p)) = (self.mesh, &a.peer) {
                    let port = if matches!(p, Peer::Host(_)) {
                        443
                    } else {
                        8080
                    };
                    put(
                        "envoy_cluster_name",
                        &format!("outbound|{port}||{}", peer_dns(p)),
                    );
                }
            }
        }
    }
}

impl Conventions {
    /// `summary` and `description` annotations. kubernetes-mixin's
    /// summaries are generic ("Pod is crash looping.") and its descriptions
    /// name the object; awesome-prometheus-alerts' summaries name the rule
    /// and the scraped `instance`; a team's own rules say it their way.
    pub fn annotations(
        &self,
        a: &Alert,
        rule: &str,
        labels: &BTreeMap<String, String>,
    ) -> (String, String) {
        match self.rules {
            Rules::Mixin => match MIXIN_SUMMARIES.iter().find(|(n, _)| *n == rule) {
                Some((_, generic)) => (generic.to_string(), format!("{}.", a.summary)),
                None => (a.summary.clone(), String::new()),
            },
            Rules::Awesome => {
                let instance = labels.get("instance").map_or("", String::as_str);
                let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                (
                    format!("{} (instance {instance})", words_of(rule)),
                    format!(
                        "{}\n  VALUE = 1\n  LABELS = map[{}]",
                        a.summary,
                        pairs.join(" ")
                    ),
                )
            }
        }
    }
}

/// `KubernetesPodCrashLooping` → `Kubernetes pod crash looping`.
fn words_of(rule: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = rule.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
        let prev_lower = i > 0 && chars[i - 1].is_lowercase();
        if i > 0 && c.is_uppercase() && (prev_lower || next_lower) {
            out.push(' ');
            if next_lower {
                out.extend(c.to_lowercase());
                continue;
            }
        }
        out.push(*c);
    }
    out
}

/// kubernetes-mixin's and node-mixin's summaries, by rule.
const MIXIN_SUMMARIES: &[(&str, &str)] = &[
    ("KubePodCrashLooping", "Pod is crash looping."),
    (
        "KubePodNotReady",
        "Pod has been in a non-ready state for more than 15 minutes.",
    ),
    (
        "KubeContainerWaiting",
        "Pod container waiting longer than 1 hour",
    ),
    ("KubeNodeNotReady", "Node is not ready."),
    (
        "KubeDeploymentReplicasMismatch",
        "Deployment has not matched the expected number of replicas.",
    ),
    (
        "KubeStatefulSetReplicasMismatch",
        "StatefulSet has not matched the expected number of replicas.",
    ),
    (
        "KubeDeploymentRolloutStuck",
        "Deployment rollout is not progressing.",
    ),
    (
        "CPUThrottlingHigh",
        "Processes experience elevated CPU throttling.",
    ),
    ("TargetDown", "One or more targets are unreachable."),
    (
        "NodeMemoryHighUtilization",
        "Host is running out of memory.",
    ),
    ("NodeCPUHighUsage", "High CPU usage."),
    ("NodeClockSkewDetected", "Clock skew detected."),
    (
        "NodeFilesystemSpaceFillingUp",
        "Filesystem is predicted to run out of space within the next 24 hours.",
    ),
    ("KubeHpaMaxedOut", "HPA is running at max replicas"),
    ("KubeJobFailed", "Job failed to complete."),
];

/// `P1`–`P5` for a canonical severity.
pub fn priority(severity: &str) -> &'static str {
    match severity {
        "critical" => "P1",
        "warning" => "P3",
        "info" => "P4",
        _ => "P5",
    }
}

/// Canonical name (kubernetes-mixin's, node-mixin's, or a custom rule's
/// where neither has one), awesome-prometheus-alerts' name, and the
/// Datadog monitor's (`{s}` the subject, `{ns}` the namespace).
const NAMES: &[(&str, &str, &str)] = &[
    (
        "KubePodCrashLooping",
        "KubernetesPodCrashLooping",
        "[Kubernetes] Pod {s} is CrashloopBackOff on namespace {ns}",
    ),
    (
        "KubePodNotReady",
        "KubernetesPodNotHealthy",
        "[Kubernetes] Pod {s} is not ready",
    ),
    (
        "KubeContainerWaiting",
        "KubernetesContainerWaiting",
        "[Kubernetes] A container of {s} is waiting",
    ),
    (
        "KubeContainerMemoryNearLimit",
        "ContainerHighMemoryUsage",
        "[Kubernetes] Memory of {s} is close to its limit",
    ),
    (
        "KubeNodeNotReady",
        "KubernetesNodeNotReady",
        "[Kubernetes] Node {s} is not ready",
    ),
    (
        "TargetDown",
        "PrometheusTargetMissing",
        "[Kubernetes] No endpoint of {s} is up",
    ),
    (
        "KubeDeploymentReplicasMismatch",
        "KubernetesDeploymentReplicasMismatch",
        "[Kubernetes] {s} has unavailable replicas",
    ),
    (
        "KubeDeploymentRolloutStuck",
        "KubernetesDeploymentGenerationMismatch",
        "[Kubernetes] Rollout of {s} is stuck",
    ),
    (
        "CPUThrottlingHigh",
        "ContainerHighThrottleRate",
        "[Kubernetes] CPU throttling is high on {s}",
    ),
    (
        "ContainerCpuUsageHigh",
        "ContainerHighCpuUtilization",
        "[Kubernetes] CPU usage above 90% on {s}",
    ),
    (
        "NodeMemoryHighUtilization",
        "HostOutOfMemory",
        "[Host] Memory usage is high on {s}",
    ),
    (
        "NodeCPUHighUsage",
        "HostHighCpuLoad",
        "[Host] CPU load is high on {s}",
    ),
    (
        "NodeClockSkewDetected",
        "HostClockSkew",
        "[Host] Clock offset on {s}",
    ),
    (
        "NodeFilesystemSpaceFillingUp",
        "HostOutOfDiskSpace",
        "[Host] Disk usage above 80% on {s}",
    ),
    (
        "KubeHpaMaxedOut",
        "KubernetesHpaScaleMaximum",
        "[Kubernetes] HPA of {s} is at its maximum",
    ),
    (
        "KubeJobFailed",
        "KubernetesJobFailed",
        "[Kubernetes] Job {s} failed in namespace {ns}",
    ),
    (
        "DatasourceError",
        "DatasourceError",
        "[Kubernetes] No data for {s}",
    ),
    (
        "ProbeFailed",
        "BlackboxProbeFailed",
        "[Synthetics] Check on {s} is failing",
    ),
];
