//! The vocabulary on the names of the rule sets it comes from.

use super::*;
use crate::signal::test_alert;
use crate::vocabulary::Words;
use chrono::TimeZone;

fn signal(title: &str, alertname: Option<&str>, entity: Option<&str>) -> Signal {
    let at = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut s = test_alert("s".into(), "f", entity, title, at);
    if let Some(a) = alertname {
        s.tags.insert("alertname".into(), a.into());
    }
    s
}

fn class_of(title: &str, alertname: Option<&str>, entity: Option<&str>) -> Class {
    classify(&signal(title, alertname, entity))
}

/// What an alert name reads as: "cause:<kind>", "outage", "symptom",
/// "eviction", "change", "heartbeat", "forecast" or "other".
fn reads(name: &str) -> String {
    let c = class_of(name, Some(name), None);
    match c.cause {
        Some(k) => format!(
            "cause:{}",
            serde_json::to_value(k).unwrap().as_str().unwrap()
        ),
        None => c.describe().to_string(),
    }
}

fn check(table: &[(&str, &str)]) {
    let wrong: Vec<String> = table
        .iter()
        .filter(|(n, want)| reads(n) != *want)
        .map(|(n, want)| format!("{n}: {} (want {want})", reads(n)))
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
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
fn kubernetes_mixin_and_node_mixin() {
    check(&[
        ("KubePodCrashLooping", "cause:crash_loop"),
        ("KubePodNotReady", "outage"),
        ("KubeDeploymentReplicasMismatch", "outage"),
        ("KubeStatefulSetReplicasMismatch", "outage"),
        ("KubeDeploymentRolloutStuck", "outage"),
        ("KubeContainerWaiting", "outage"),
        ("KubeNodeNotReady", "cause:node_down"),
        ("KubeNodeUnreachable", "cause:node_down"),
        ("KubeletDown", "cause:node_down"),
        ("CPUThrottlingHigh", "cause:cpu_saturation"),
        ("KubeHpaMaxedOut", "forecast"),
        ("KubeCPUOvercommit", "forecast"),
        ("KubeMemoryOvercommit", "forecast"),
        ("KubeQuotaAlmostFull", "forecast"),
        ("KubePersistentVolumeFillingUp", "forecast"),
        ("KubeJobFailed", "forecast"),
        ("KubeClientCertificateExpiration", "forecast"),
        ("NodeFilesystemSpaceFillingUp", "forecast"),
        ("NodeFilesystemAlmostOutOfSpace", "cause:disk_full"),
        ("NodeFilesystemAlmostOutOfFiles", "cause:disk_full"),
        ("NodeClockSkewDetected", "forecast"),
        ("NodeMemoryHighUtilization", "cause:memory_pressure"),
        ("NodeCPUHighUsage", "cause:cpu_saturation"),
        ("NodeSystemSaturation", "cause:cpu_saturation"),
        ("NodeNetworkReceiveErrs", "other"),
        ("TargetDown", "outage"),
        ("Watchdog", "heartbeat"),
        ("InfoInhibitor", "heartbeat"),
    ]);
}

#[test]
fn awesome_prometheus_alerts() {
    check(&[
        ("KubernetesContainerOomKiller", "cause:out_of_memory"),
        ("KubernetesPodCrashLooping", "cause:crash_loop"),
        ("KubernetesPodNotHealthy", "outage"),
        ("KubernetesNodeNotReady", "cause:node_down"),
        ("KubernetesNodeMemoryPressure", "cause:memory_pressure"),
        ("KubernetesNodeDiskPressure", "cause:disk_full"),
        ("KubernetesNodeNetworkUnavailable", "cause:node_down"),
        ("KubernetesDeploymentReplicasMismatch", "outage"),
        ("KubernetesStatefulsetDown", "outage"),
        ("KubernetesHpaScaleMaximum", "forecast"),
        ("KubernetesJobFailed", "forecast"),
        ("KubernetesVolumeOutOfDiskSpace", "cause:disk_full"),
        ("HostOutOfMemory", "cause:out_of_memory"),
        ("HostMemoryUnderMemoryPressure", "cause:memory_pressure"),
        ("HostOutOfDiskSpace", "cause:disk_full"),
        ("HostDiskWillFillIn24Hours", "forecast"),
        ("HostHighCpuLoad", "cause:cpu_saturation"),
        ("HostCpuStealNoisyNeighbor", "cause:cpu_saturation"),
        ("HostOomKillDetected", "cause:out_of_memory"),
        ("HostClockSkew", "forecast"),
        ("ContainerHighThrottleRate", "cause:cpu_saturation"),
        ("ContainerKilled", "cause:crash_loop"),
        ("ContainerAbsent", "outage"),
        ("BlackboxProbeFailed", "outage"),
        ("BlackboxSslCertificateWillExpireSoon", "forecast"),
        ("PrometheusTargetMissing", "outage"),
        ("PrometheusAlertmanagerE2eDeadManSwitch", "heartbeat"),
        ("MysqlTooManyConnections", "cause:connection_pool"),
        ("PostgresqlTooManyConnections", "cause:connection_pool"),
        ("RedisRejectedConnections", "cause:connection_pool"),
        ("RedisOutOfSystemMemory", "cause:out_of_memory"),
        ("NginxHighHttp5xxErrorRate", "symptom"),
        ("NginxLatencyHigh", "symptom"),
        ("IstioHigh5xxErrorRate", "symptom"),
        ("IstioLatency99Percentile", "symptom"),
    ]);
}

#[test]
fn datadog_grafana_and_slo_titles() {
    check(&[
        (
            "[Kubernetes] Pod cart-x is CrashloopBackOff on namespace shop",
            "cause:crash_loop",
        ),
        (
            "[Kubernetes] Deployment cart has unavailable replicas",
            "outage",
        ),
        ("[Kubernetes] Node node-1 is not ready", "cause:node_down"),
        ("[Kubernetes] Node node-1 unreachable", "cause:node_down"),
        (
            "[Kubernetes] Container cart OOMKilled in cart",
            "cause:out_of_memory",
        ),
        (
            "[Kubernetes] CPU throttling high for cart in cart-x",
            "cause:cpu_saturation",
        ),
        (
            "[Synthetics] api.example.com health check is failing",
            "symptom",
        ),
        ("cart error rate above 5% on shop", "symptom"),
        ("cart p99 latency above 2s on shop", "symptom"),
        ("Memory usage above 90% on node-1", "cause:memory_pressure"),
        ("Disk usage above 80% on node-1", "forecast"),
        ("ErrorBudgetBurn", "symptom"),
        ("ApdexLow", "symptom"),
        ("LatencyP99High", "symptom"),
        ("SyntheticMonitoringCheckFailing", "symptom"),
    ]);
}

#[test]
fn kubernetes_events_read_their_message() {
    let event = |reason: &str, message: &str, entity: &str| {
        let mut s = signal(&format!("{reason}: Pod x"), None, Some(entity));
        s.source_type = "K8S_EVENT".into();
        s.tags.insert("k8s.reason".into(), reason.into());
        s.description = Some(message.into());
        classify(&s)
    };
    let c = event(
        "BackOff",
        "Back-off restarting failed container cart in pod cart-x",
        "pod/shop/cart-x",
    );
    assert_eq!(c.cause, Some(CauseKind::CrashLoop));
    let c = event(
        "BackOff",
        "Back-off pulling image \"cart:v2\"",
        "pod/shop/cart-x",
    );
    assert_eq!(c.cause, Some(CauseKind::BadImage));
    let c = event(
        "Failed",
        "Error: couldn't find key password in Secret shop/cart-env",
        "pod/shop/cart-x",
    );
    assert_eq!(c.cause, Some(CauseKind::BadConfig));
    let c = event(
        "OOMKilling",
        "Memory cgroup out of memory: Killed process 1 (cart)",
        "node/n1",
    );
    assert_eq!(c.cause, Some(CauseKind::OutOfMemory));
    let c = event(
        "TaintManagerEviction",
        "Marking for deletion Pod shop/cart-x",
        "pod/shop/cart-x",
    );
    assert!(c.eviction && !c.unavailable && c.cause.is_none(), "{c:?}");
    let c = event(
        "NodeNotReady",
        "Node n1 status is now: NodeNotReady",
        "node/n1",
    );
    assert_eq!(c.cause, Some(CauseKind::NodeDown));
    let c = event(
        "Pulled",
        "Container image already present on machine",
        "pod/shop/cart-x",
    );
    assert!(c.is_other(), "{c:?}");
}

#[test]
fn words_said_of_a_node_and_a_users_own_words() {
    let c = class_of("node-3 stopped reporting", None, Some("node/node-3"));
    assert_eq!(c.cause, Some(CauseKind::NodeDown));
    let c = class_of("cart stopped reporting", None, Some("pod/shop/cart-0"));
    assert!(c.cause.is_none());
    // A team's own alert name means nothing to the built-in words...
    let s = signal("QueueBacklogGrowing", Some("QueueBacklogGrowing"), None);
    assert!(classify(&s).is_other());
    // ...until they say what it means.
    let mine = Vocabulary::with(&[Words {
        reading: Reading::Symptom,
        phrases: vec!["backlog & growing".into()],
    }]);
    assert!(classify_with(&mine, &s).symptom);
    assert_ne!(mine.id(), Vocabulary::builtin().id());
}
