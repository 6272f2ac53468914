//! Where labels say what. Every monitoring tool names the same few things —
//! the namespace, the Pod, the workload, the Node or host, the service, and
//! for a caller's alert the peer it calls — under its own keys. This table
//! holds the keys of the conventions in real use, so every source is read
//! the same way by the normalizers and by the engine:
//!
//! - Prometheus with kube-state-metrics / kube-prometheus (`namespace`,
//!   `pod`, `deployment`, `node`; `exported_*` when the exporter's own
//!   labels were kept), the older `kubernetes_sd` relabelling
//!   (`kubernetes_namespace`, `kubernetes_pod_name`), the recommended app
//!   labels (`app.kubernetes.io/name` as `app_kubernetes_io_name`), and a
//!   PodMonitor's `job` (`namespace/name`);
//! - Datadog's Kubernetes tags (`kube_namespace`, `kube_deployment`,
//!   `pod_name`, `kube_service`) and unified service tagging (`service`);
//! - OpenTelemetry's resource attributes (`k8s.namespace.name`,
//!   `k8s.pod.name`, `service.name`) and peer attributes (`peer.service`,
//!   `server.address`, `net.peer.name`);
//! - service meshes and proxies for the peer of a caller's metric: Istio
//!   (`destination_service`, `destination_workload`), Linkerd
//!   (`dst_service`, `dst_deployment`), Envoy (`envoy_cluster_name`) and
//!   NGINX (`upstream`).
//!
//! The first key present wins, in the order below: `exported_*` before the
//! plain key (Prometheus renames the target's label that way when an
//! exporter reports about other objects), the most specific object first.

use crate::entity::Entity;
use std::collections::BTreeMap;

/// Keys naming the namespace.
pub const NAMESPACE: &[&str] = &[
    "exported_namespace",
    "namespace",
    "kube_namespace",
    "k8s.namespace.name",
    "k8s_namespace_name",
    "kubernetes_namespace",
];

/// Keys naming a namespaced object, most specific first, with its kind.
pub const NAMESPACED: &[(&str, &str)] = &[
    ("exported_pod", "pod"),
    ("pod", "pod"),
    ("pod_name", "pod"),
    ("k8s.pod.name", "pod"),
    ("k8s_pod_name", "pod"),
    ("kubernetes_pod_name", "pod"),
    ("deployment", "deployment"),
    ("kube_deployment", "deployment"),
    ("k8s.deployment.name", "deployment"),
    ("k8s_deployment_name", "deployment"),
    ("statefulset", "statefulset"),
    ("kube_stateful_set", "statefulset"),
    ("k8s.statefulset.name", "statefulset"),
    ("daemonset", "daemonset"),
    ("kube_daemon_set", "daemonset"),
    ("k8s.daemonset.name", "daemonset"),
    ("replicaset", "replicaset"),
    ("kube_replica_set", "replicaset"),
    ("job_name", "job"),
    ("kube_job", "job"),
    ("cronjob", "cronjob"),
    ("kube_cronjob", "cronjob"),
    ("persistentvolumeclaim", "persistentvolumeclaim"),
    ("configmap", "configmap"),
    ("kube_service", "service"),
    ("exported_service", "service"),
];

/// Keys naming a Node.
pub const NODE: &[&str] = &[
    "node",
    "kube_node",
    "k8s.node.name",
    "k8s_node_name",
    "kubernetes_node",
    "nodename",
];

/// Keys naming a host (a Node by another name, or a machine outside).
pub const HOST: &[&str] = &["host", "hostname", "host.name"];

/// Keys naming the service an alert is about, by how surely they do.
pub const SERVICE: &[&str] = &[
    "service",
    "service.name",
    "service_name",
    "app_kubernetes_io_name",
    "app.kubernetes.io/name",
    "app",
    "k8s-app",
    "k8s_app",
    "job",
];

/// Keys naming the peer a caller's metric is about: the service or host it
/// calls (requests *to* the peer fail or slow down).
pub const PEER: &[&str] = &[
    "destination_service_name",
    "destination_service",
    "destination_workload",
    "dst_service",
    "dst_deployment",
    "peer_service",
    "peer.service",
    "upstream_service",
    "upstream",
    "upstream_cluster",
    "envoy_cluster_name",
    "target_service",
    "server.address",
    "server_address",
    "net.peer.name",
    // A probe's target (blackbox exporter, synthetic checks): what is checked.
    "target",
];

/// Keys naming how bad it is: `severity` (kube-prometheus), `priority`
/// (P1–P5, as paging tools say it), `urgency`, `level`.
pub const SEVERITY: &[&str] = &["severity", "priority", "urgency", "level"];

/// Scrape jobs and services of the monitoring stack itself: a label naming
/// one of these tells which exporter reported, not what the alert is about.
const MONITORING: &[&str] = &[
    "kube-state-metrics",
    "node-exporter",
    "kubelet",
    "cadvisor",
    "apiserver",
    "prometheus",
    "prometheus-k8s",
    "prometheus-operator",
    "alertmanager",
    "alertmanager-main",
    "monitoring",
    "blackbox-exporter",
    "kubernetes-pods",
    "kubernetes-nodes",
    "kubernetes-cadvisor",
    "kubernetes-service-endpoints",
    "kubernetes-apiservers",
];

/// Whether a job or service name is the monitoring stack's own.
pub fn is_monitoring(name: &str) -> bool {
    let n = name.rsplit('/').next().unwrap_or(name);
    MONITORING.contains(&n) || n.ends_with("-exporter") || n.ends_with("_exporter")
}

/// A Kubernetes-like name: what an entity may hold.
pub fn valid_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// One label set, read by role.
pub struct Labels<'a>(pub &'a BTreeMap<String, String>);

impl<'a> Labels<'a> {
    fn get(&self, k: &str) -> Option<&'a str> {
        self.0.get(k).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn first(&self, keys: &[&str]) -> Option<&'a str> {
        keys.iter().find_map(|k| self.get(k))
    }

    /// The namespace, when it is a valid name.
    pub fn namespace(&self) -> Option<&'a str> {
        self.first(NAMESPACE).filter(|v| valid_name(v))
    }

    /// The entity the labels are about: the most specific namespaced
    /// object, else a Node, else a host (`host`, or `instance` without its
    /// port). Names that cannot be Kubernetes names are skipped.
    pub fn entity(&self) -> Option<Entity> {
        if let Some(ns) = self.namespace() {
            for (key, kind) in NAMESPACED {
                if let Some(name) = self.get(key).filter(|v| valid_name(v)) {
                    if *kind == "service" && is_monitoring(name) {
                        continue;
                    }
                    return Some(Entity::namespaced(kind, ns, name));
                }
            }
        }
        if let Some(node) = self.first(NODE).filter(|v| valid_name(v)) {
            return Some(Entity::cluster("node", node));
        }
        if let Some(host) = self.first(HOST).filter(|v| valid_name(v)) {
            return Some(Entity::cluster("host", host));
        }
        let instance = self.get("instance")?;
        let host = instance
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(instance, |(h, _)| h);
        valid_name(host).then(|| Entity::cluster("host", host))
    }

    /// The service name the labels give, cleaned: a PodMonitor's
    /// `namespace/name` job keeps its name; the monitoring stack's own
    /// jobs and services are skipped.
    pub fn service(&self) -> Option<String> {
        SERVICE.iter().find_map(|k| {
            let v = self.get(k)?;
            let name = v.rsplit('/').next().unwrap_or(v);
            (valid_name(name) && !is_monitoring(name)).then(|| name.to_string())
        })
    }

    /// The word for how bad it is, as written (`warning`, `P2`, `page`).
    pub fn severity(&self) -> Option<&'a str> {
        self.first(SEVERITY)
    }

    /// The peer a caller's metric is about, as written.
    pub fn peer(&self) -> Option<&'a str> {
        self.first(PEER)
    }
}

/// A peer as the labels write it, read as a service name and namespace or
/// a host: `catalogue`, `catalogue.shop.svc.cluster.local` (a Service's
/// cluster DNS name), `outbound|80||catalogue.shop.svc.cluster.local`
/// (Envoy's cluster), `catalogue:8080`, or an outside host
/// (`api.stripe.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Service {
        name: String,
        namespace: Option<String>,
    },
    Host(String),
}

impl Peer {
    pub fn parse(raw: &str) -> Option<Peer> {
        let mut v = raw.trim();
        if let Some((_, last)) = v.rsplit_once('|') {
            v = last;
        }
        if let Some((_, rest)) = v.split_once("://") {
            v = rest;
        }
        v = v.split(['/', '?']).next().unwrap_or(v);
        if let Some((host, port)) = v.rsplit_once(':') {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                v = host;
            }
        }
        let v = v.trim_end_matches('.').to_ascii_lowercase();
        if !valid_name(&v) {
            return None;
        }
        let parts: Vec<&str> = v.split('.').collect();
        if let Some(svc) = parts.iter().position(|p| *p == "svc") {
            // name.namespace.svc[.cluster.local]
            if svc == 2 {
                return Some(Peer::Service {
                    name: parts[0].into(),
                    namespace: Some(parts[1].into()),
                });
            }
        }
        if parts.len() == 1 {
            return Some(Peer::Service {
                name: v,
                namespace: None,
            });
        }
        Some(Peer::Host(v))
    }
}

/// A human name of a service folded for comparison: lowercase letters and
/// digits only, without a trailing environment in parentheses.
/// `FrontEnd (production)` and `front-end` both fold to `frontend`.
pub fn fold_name(name: &str) -> String {
    let base = name.split('(').next().unwrap_or(name);
    base.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_object_is_read_in_every_convention() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[
                    ("namespace", "shop"),
                    ("pod", "cart-7d9f8b6c5-x2b4k"),
                    ("deployment", "cart"),
                ],
                "pod/shop/cart-7d9f8b6c5-x2b4k",
            ),
            (
                &[
                    ("kube_namespace", "shop"),
                    ("kube_deployment", "cart"),
                    ("host", "i-0abc"),
                ],
                "deployment/shop/cart",
            ),
            (
                &[("k8s.namespace.name", "shop"), ("k8s.pod.name", "cart-0")],
                "pod/shop/cart-0",
            ),
            (
                &[
                    ("kubernetes_namespace", "shop"),
                    ("kubernetes_pod_name", "cart-0"),
                ],
                "pod/shop/cart-0",
            ),
            // kube-state-metrics scraped without honor_labels: the exporter's
            // own namespace and Pod are the plain labels.
            (
                &[
                    ("namespace", "monitoring"),
                    ("pod", "kube-state-metrics-0"),
                    ("exported_namespace", "shop"),
                    ("exported_pod", "cart-0"),
                ],
                "pod/shop/cart-0",
            ),
            (
                &[("kube_namespace", "shop"), ("kube_service", "cart")],
                "service/shop/cart",
            ),
            (
                &[("node", "node-3"), ("instance", "10.0.0.1:9100")],
                "node/node-3",
            ),
            (&[("nodename", "node-3")], "node/node-3"),
            (&[("instance", "db-1.example:9100")], "host/db-1.example"),
        ];
        for (l, want) in cases {
            assert_eq!(
                Labels(&labels(l)).entity().unwrap().to_string(),
                *want,
                "{l:?}"
            );
        }
        let l = labels(&[("namespace", "whatever/promstack"), ("pod", "x")]);
        assert_eq!(Labels(&l).entity(), None, "not a Kubernetes name");
    }

    #[test]
    fn the_service_skips_the_monitoring_stack_and_keeps_a_podmonitor_name() {
        let svc = |l: &[(&str, &str)]| Labels(&labels(l)).service();
        assert_eq!(
            svc(&[("job", "shop/front-end")]).as_deref(),
            Some("front-end")
        );
        assert_eq!(
            svc(&[("app_kubernetes_io_name", "orders"), ("job", "x")]).as_deref(),
            Some("orders")
        );
        assert_eq!(
            svc(&[
                ("service", "kube-state-metrics"),
                ("job", "kube-state-metrics")
            ]),
            None
        );
        assert_eq!(svc(&[("job", "node-exporter")]), None);
        assert_eq!(
            svc(&[("service.name", "checkout")]).as_deref(),
            Some("checkout")
        );
    }

    #[test]
    fn peers_are_read_from_mesh_proxy_and_otel_spellings() {
        let p = |raw| Peer::parse(raw).unwrap();
        let svc = |n: &str, ns: Option<&str>| Peer::Service {
            name: n.into(),
            namespace: ns.map(Into::into),
        };
        assert_eq!(p("catalogue"), svc("catalogue", None));
        assert_eq!(
            p("catalogue.shop.svc.cluster.local"),
            svc("catalogue", Some("shop"))
        );
        assert_eq!(
            p("outbound|80||reviews.default.svc.cluster.local"),
            svc("reviews", Some("default"))
        );
        assert_eq!(p("carts:8080"), svc("carts", None));
        assert_eq!(
            p("https://api.stripe.com/v1"),
            Peer::Host("api.stripe.com".into())
        );
        assert_eq!(Peer::parse("two words"), None);
        let l = labels(&[("destination_service", "carts.shop.svc.cluster.local")]);
        assert_eq!(Labels(&l).peer(), Some("carts.shop.svc.cluster.local"));
    }

    #[test]
    fn human_service_names_fold_to_the_same_key() {
        assert_eq!(fold_name("FrontEnd (production)"), "frontend");
        assert_eq!(fold_name("front-end"), "frontend");
        assert_eq!(fold_name("Payment_Service"), "paymentservice");
    }
}
