//! A deterministic stream of realistic kube-prometheus alerts, and the two
//! wire shapes the peers take them in: an Alertmanager webhook notification
//! (version 4) for Causeway, the `POST /api/v2/alerts` array for Alertmanager.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// xorshift64: enough randomness for varied labels, same output for a seed.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // Never zero (a fixed point), and small seeds still start scrambled.
        XorShift((seed ^ 0x9E37_79B9_7F4A_7C15).max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform enough in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Where an alert's rule looks: it decides which labels the alert carries.
#[derive(Clone, Copy)]
enum Scope {
    Pod,
    Workload,
    Node,
    Cluster,
}

/// kube-prometheus rules: (alertname, severity, scope, summary).
#[rustfmt::skip]
const RULES: &[(&str, &str, Scope, &str)] = &[
    ("KubePodCrashLooping", "warning", Scope::Pod, "Pod is crash looping."),
    ("KubePodNotReady", "warning", Scope::Pod, "Pod has been in a non-ready state for more than 15 minutes."),
    ("KubeContainerWaiting", "warning", Scope::Pod, "Pod container waiting longer than 1 hour"),
    ("CPUThrottlingHigh", "info", Scope::Pod, "Processes experience elevated CPU throttling."),
    ("KubePersistentVolumeFillingUp", "critical", Scope::Pod, "PersistentVolume is filling up."),
    ("KubeDeploymentReplicasMismatch", "warning", Scope::Workload, "Deployment has not matched the expected number of replicas."),
    ("KubeDeploymentGenerationMismatch", "warning", Scope::Workload, "Deployment generation mismatch due to possible roll-back"),
    ("KubeStatefulSetReplicasMismatch", "warning", Scope::Workload, "StatefulSet has not matched the expected number of replicas."),
    ("KubeHpaMaxedOut", "warning", Scope::Workload, "HPA is running at max replicas"),
    ("KubeJobFailed", "warning", Scope::Workload, "Job failed to complete."),
    ("TargetDown", "warning", Scope::Workload, "One or more targets are unreachable."),
    ("KubeletDown", "critical", Scope::Node, "Target disappeared from Prometheus target discovery."),
    ("KubeNodeNotReady", "warning", Scope::Node, "Node is not ready."),
    ("NodeFilesystemSpaceFillingUp", "critical", Scope::Node, "Filesystem is predicted to run out of space within the next 4 hours."),
    ("NodeMemoryHighUtilization", "warning", Scope::Node, "Host is running out of memory."),
    ("NodeClockNotSynchronising", "warning", Scope::Node, "Clock not synchronising."),
    ("KubeMemoryOvercommit", "warning", Scope::Cluster, "Cluster has overcommitted memory resource requests."),
    ("KubeCPUOvercommit", "warning", Scope::Cluster, "Cluster has overcommitted CPU resource requests."),
    ("KubeAPIErrorBudgetBurn", "critical", Scope::Cluster, "The API server is burning too much error budget."),
    ("AlertmanagerFailedToSendAlerts", "warning", Scope::Cluster, "An Alertmanager instance failed to send notifications."),
    ("PrometheusRuleFailures", "critical", Scope::Cluster, "Prometheus is failing rule evaluations."),
];

#[rustfmt::skip]
const CLUSTERS: &[&str] = &[
    "prod-eu-1", "prod-eu-2", "prod-us-1", "prod-us-2", "prod-ap-1", "staging-eu-1", "staging-us-1",
    "dev-eu-1",
];
#[rustfmt::skip]
const NAMESPACES: &[&str] = &[
    "prod", "payments", "shop", "checkout", "platform", "data", "staging", "kube-system",
];
#[rustfmt::skip]
const DEPLOYMENTS: &[&str] = &[
    "checkout", "payments-api", "cart", "frontend", "search", "orders-worker", "inventory", "auth",
    "notifications", "recommendations", "shipping", "ledger", "gateway", "catalog", "billing",
];
/// The alphabet Kubernetes uses for generated name suffixes.
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
/// Seconds back from the base time an alert may have started.
const SPREAD_SECS: usize = 6 * 3600;

/// One alert, as a rule would fire it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub labels: BTreeMap<&'static str, String>,
    pub annotations: BTreeMap<&'static str, String>,
    pub starts_at: String,
    pub generator_url: String,
    /// Alertmanager's label-set fingerprint (FNV-1a over sorted labels).
    pub fingerprint: String,
}

/// `n` alerts in sending order: `order[i]` indexes `unique`. About 30% of
/// the entries repeat an earlier alert (same labels and start).
pub struct Stream {
    pub unique: Vec<Alert>,
    pub order: Vec<usize>,
}

impl Stream {
    pub fn generate(n: usize, seed: u64, base: DateTime<Utc>) -> Stream {
        let mut rng = XorShift::new(seed);
        let mut unique = Vec::new();
        let mut order = Vec::with_capacity(n);
        for _ in 0..n {
            if !unique.is_empty() && rng.below(100) < 30 {
                order.push(rng.below(unique.len()));
            } else {
                unique.push(new_alert(&mut rng, base));
                order.push(unique.len() - 1);
            }
        }
        Stream { unique, order }
    }

    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.order.iter().map(|&i| &self.unique[i])
    }
}

fn suffix(rng: &mut XorShift, len: usize) -> String {
    (0..len).map(|_| *rng.pick(SAFE) as char).collect()
}

fn new_alert(rng: &mut XorShift, base: DateTime<Utc>) -> Alert {
    let &(name, severity, scope, summary) = rng.pick(RULES);
    let mut l: BTreeMap<&'static str, String> = BTreeMap::new();
    l.insert("alertname", name.into());
    l.insert("severity", severity.into());
    l.insert("prometheus", "monitoring/k8s".into());
    let cluster = *rng.pick(CLUSTERS);
    l.insert("cluster", cluster.into());
    let ns = *rng.pick(NAMESPACES);
    let deploy = *rng.pick(DEPLOYMENTS);
    let node = format!(
        "ip-10-0-{}-{}.ec2.internal",
        rng.below(64),
        rng.below(254) + 1
    );
    let description;
    match scope {
        Scope::Pod => {
            let pod = format!("{deploy}-{}-{}", suffix(rng, 10), suffix(rng, 5));
            l.insert("namespace", ns.into());
            l.insert("container", deploy.into());
            l.insert("job", "kube-state-metrics".into());
            l.insert(
                "instance",
                format!("10.2.{}.{}:8080", rng.below(256), rng.below(256)),
            );
            l.insert("service", "prometheus-kube-state-metrics".into());
            l.insert("endpoint", "http".into());
            description = format!("Pod {ns}/{pod} ({deploy}): {summary}");
            l.insert("pod", pod);
        }
        Scope::Workload => {
            let kind = if name.contains("StatefulSet") {
                "statefulset"
            } else {
                "deployment"
            };
            l.insert("namespace", ns.into());
            l.insert(kind, deploy.into());
            l.insert(
                "job",
                if name == "TargetDown" {
                    deploy
                } else {
                    "kube-state-metrics"
                }
                .into(),
            );
            l.insert(
                "instance",
                format!("10.2.{}.{}:8080", rng.below(256), rng.below(256)),
            );
            description = format!("{kind} {ns}/{deploy}: {summary}");
        }
        Scope::Node => {
            l.insert("node", node.clone());
            l.insert(
                "job",
                if name.starts_with("Kube") {
                    "kubelet"
                } else {
                    "node-exporter"
                }
                .into(),
            );
            l.insert(
                "instance",
                format!("10.0.{}.{}:9100", rng.below(64), rng.below(254) + 1),
            );
            if name.starts_with("NodeFilesystem") {
                l.insert("mountpoint", "/".into());
                l.insert("device", "/dev/nvme0n1p1".into());
                l.insert("fstype", "ext4".into());
            }
            description = format!("{node}: {summary}");
        }
        Scope::Cluster => {
            l.insert("namespace", "monitoring".into());
            l.insert("job", "apiserver".into());
            l.insert(
                "instance",
                format!("10.1.{}.{}:6443", rng.below(256), rng.below(256)),
            );
            description = format!("{summary} (cluster {cluster})");
        }
    }
    let mut annotations = BTreeMap::new();
    annotations.insert("summary", summary.to_string());
    annotations.insert("description", description);
    annotations.insert(
        "runbook_url",
        format!(
            "https://runbooks.prometheus-operator.dev/runbooks/{}",
            name.to_lowercase()
        ),
    );
    let started = base - Duration::seconds(rng.below(SPREAD_SECS) as i64);
    Alert {
        fingerprint: fingerprint(&l),
        generator_url: format!(
            "http://prometheus-k8s.monitoring.svc:9090/graph?g0.expr=ALERTS%7Balertname%3D%22{name}%22%7D&g0.tab=1"
        ),
        starts_at: started.to_rfc3339_opts(SecondsFormat::Millis, true),
        labels: l,
        annotations,
    }
}

/// FNV-1a 64 over `name 0xff value 0xff`, labels sorted: Prometheus' label
/// fingerprint shape, as 16 hex digits.
pub fn fingerprint(labels: &BTreeMap<&'static str, String>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, v) in labels {
        for b in k.bytes().chain([0xff]).chain(v.bytes()).chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn object(m: &BTreeMap<&'static str, String>) -> Value {
    Value::Object(m.iter().map(|(k, v)| (k.to_string(), json!(v))).collect())
}

/// Labels every alert of `alerts` shares with the same value.
fn common(alerts: &[&Alert], pick: fn(&Alert) -> &BTreeMap<&'static str, String>) -> Value {
    let mut out = Map::new();
    if let Some((first, rest)) = alerts.split_first() {
        for (k, v) in pick(first) {
            if rest.iter().all(|a| pick(a).get(k) == Some(v)) {
                out.insert(k.to_string(), json!(v));
            }
        }
    }
    Value::Object(out)
}

/// An Alertmanager `webhook_config` notification (version 4) carrying `alerts`.
/// One alert: grouped by alertname and namespace; many: one group of all.
pub fn webhook_body(alerts: &[&Alert]) -> Vec<u8> {
    let group_labels = match alerts {
        [one] => {
            let mut g = BTreeMap::new();
            for k in ["alertname", "namespace"] {
                if let Some(v) = one.labels.get(k) {
                    g.insert(k, v.clone());
                }
            }
            g
        }
        _ => BTreeMap::new(),
    };
    let group_key = format!(
        "{{}}:{{{}}}",
        group_labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let items: Vec<Value> = alerts
        .iter()
        .map(|a| {
            json!({
                "status": "firing",
                "labels": object(&a.labels),
                "annotations": object(&a.annotations),
                "startsAt": a.starts_at,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            })
        })
        .collect();
    let body = json!({
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "causeway",
        "groupLabels": object(&group_labels),
        "commonLabels": common(alerts, |a| &a.labels),
        "commonAnnotations": common(alerts, |a| &a.annotations),
        "externalURL": "http://alertmanager-main.monitoring.svc:9093",
        "alerts": items,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Alertmanager's ingestion API body (what Prometheus posts): a JSON array.
/// `ends_at` is when the alert resolves unless re-sent, as Prometheus sets it.
pub fn api_body(alerts: &[&Alert], ends_at: &str) -> Vec<u8> {
    let items: Vec<Value> = alerts
        .iter()
        .map(|a| {
            json!({
                "labels": object(&a.labels),
                "annotations": object(&a.annotations),
                "startsAt": a.starts_at,
                "endsAt": ends_at,
                "generatorURL": a.generator_url,
            })
        })
        .collect();
    serde_json::to_vec(&Value::Array(items)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn base() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2025-03-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_stream_is_deterministic_with_about_30_percent_repeats() {
        let a = Stream::generate(10_000, 7, base());
        let b = Stream::generate(10_000, 7, base());
        assert_eq!(a.order, b.order);
        assert_eq!(a.unique, b.unique);
        assert_ne!(
            Stream::generate(100, 8, base()).unique,
            Stream::generate(100, 7, base()).unique
        );

        let fps: HashSet<&str> = a.alerts().map(|x| x.fingerprint.as_str()).collect();
        let repeats = 1.0 - fps.len() as f64 / a.order.len() as f64;
        assert!((0.27..0.33).contains(&repeats), "repeats {repeats}");
        // A repeat is the same alert (same labels, same start); new ones
        // (almost) never share a label set by chance.
        assert!(
            fps.len() * 1000 >= a.unique.len() * 999,
            "new alerts collide"
        );
        let names: HashSet<&str> = a
            .unique
            .iter()
            .map(|x| x.labels["alertname"].as_str())
            .collect();
        assert!(names.len() >= 20);
    }

    #[test]
    fn pods_have_the_deployment_hash_suffix_shape() {
        let s = Stream::generate(2_000, 1, base());
        let pod = s.unique.iter().find_map(|a| a.labels.get("pod")).unwrap();
        let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
        assert_eq!(parts[0].len(), 5, "{pod}");
        assert_eq!(parts[1].len(), 10, "{pod}");
        assert!(DEPLOYMENTS.contains(&parts[2]), "{pod}");
    }

    #[test]
    fn both_bodies_carry_every_alert() {
        let s = Stream::generate(100, 3, base());
        let batch: Vec<&Alert> = s.alerts().collect();
        let hook: Value = serde_json::from_slice(&webhook_body(&batch)).unwrap();
        assert_eq!(hook["version"], "4");
        assert_eq!(hook["alerts"].as_array().unwrap().len(), 100);
        assert_eq!(
            hook["alerts"][0]["fingerprint"],
            batch[0].fingerprint.as_str()
        );
        let api: Value =
            serde_json::from_slice(&api_body(&batch, "2025-03-01T13:00:00.000Z")).unwrap();
        assert_eq!(api.as_array().unwrap().len(), 100);
        let one: Value = serde_json::from_slice(&webhook_body(&batch[..1])).unwrap();
        assert!(one["groupKey"].as_str().unwrap().contains("alertname="));
    }
}
