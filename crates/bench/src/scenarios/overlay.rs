//! What a real cluster adds to an application's upstream manifests: the
//! ConfigMaps and Secrets its workloads mount or read (an environment
//! overlay), the ExternalName Services that stand for the outside APIs some
//! services call, Node names and addresses as a cloud provider gives them,
//! and the live objects (`kubectl get -o json`) carrying all of it: each
//! Deployment, StatefulSet, ReplicaSet and Pod with its pod spec.

use super::Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How a workload takes a ConfigMap or Secret in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mount {
    /// A volume: the kubelet updates the files in place, the application
    /// reloads them.
    Volume,
    /// `envFrom`: read once at container start.
    EnvFrom,
    /// `env[].valueFrom` of named keys: a missing key stops the container
    /// from starting (`CreateContainerConfigError`).
    EnvKeys,
}

/// A ConfigMap or Secret and the workloads using it.
#[derive(Debug, Clone)]
pub struct Config {
    /// `ConfigMap` or `Secret`.
    pub kind: &'static str,
    pub name: String,
    pub users: Vec<String>,
    pub mount: Mount,
    pub keys: Vec<String>,
    /// Its file in the configuration repository.
    pub path: String,
}

impl Config {
    /// `configmap/ns/name`.
    pub fn entity(&self, ns: &str) -> String {
        format!("{}/{ns}/{}", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// An ExternalName Service standing for an outside API, and its callers.
#[derive(Debug, Clone)]
pub struct External {
    pub name: String,
    pub host: String,
    pub callers: Vec<String>,
}

/// Outside APIs an online shop may call: Service name, host, and a word of
/// the caller names that would call it.
const OUTSIDE: &[(&str, &str, &str)] = &[
    ("card-processor", "api.cardprocessor.example.com", "pay"),
    ("carrier-rates", "rates.parcelcarrier.example.net", "ship"),
    ("mail-relay", "smtp.mailrelay.example.org", "mail"),
    ("fx-rates", "fx.ratesfeed.example.com", "currenc"),
    ("tax-engine", "api.taxengine.example.io", "order"),
    ("geo-lookup", "geo.addresslookup.example.net", "user"),
];

/// Node names and InternalIPs in one cloud's convention.
pub fn nodes(world: &str, n: usize, rng: &mut Rng) -> Vec<(String, String)> {
    let subnet = rng.range(1, 60);
    let ips: Vec<String> = (0..n)
        .map(|_| format!("10.{subnet}.{}.{}", rng.range(0, 63), rng.range(4, 250)))
        .collect();
    let style = rng.range(0, 3);
    let pool = format!("{:08x}", rng.next_u64() as u32);
    let region = rng
        .pick(&["eu-west-1", "us-east-2", "ap-southeast-2"])
        .to_string();
    let aks = rng.range(10_000_000, 99_999_999);
    ips.into_iter()
        .enumerate()
        .map(|(i, ip)| {
            let name = match style {
                // EKS: the private DNS name holds the address.
                0 => format!("ip-{}.{region}.compute.internal", ip.replace('.', "-")),
                1 => format!("gke-{world}-default-pool-{pool}-{}", rng.k8s_suffix(4)),
                2 => format!("aks-nodepool1-{aks}-vmss{i:06}"),
                _ => format!("{world}-worker-{}", i + 1),
            };
            (name, ip)
        })
        .collect()
}

fn is_datastore(name: &str) -> bool {
    ["db", "redis", "rabbit", "mongo", "mysql", "postgres"]
        .iter()
        .any(|w| name.contains(w))
}

/// The ConfigMaps and Secrets of an application. `callers`: service → the
/// services calling it.
pub fn configs(
    namespace: &str,
    services: &[String],
    callers: &BTreeMap<String, Vec<String>>,
    rng: &mut Rng,
) -> Vec<Config> {
    let suffix = *rng.pick(&["properties", "appsettings", "runtime"]);
    let dir = *rng.pick(&["apps", "clusters/production", "deploy/overlays/prod"]);
    let path = |name: &str, secret: bool| {
        let ext = if secret && name.len().is_multiple_of(2) {
            "sops.yaml"
        } else {
            "yaml"
        };
        format!("{dir}/{namespace}/{name}.{ext}")
    };
    let mut out = Vec::new();
    let apps: Vec<&String> = services.iter().filter(|s| !is_datastore(s)).collect();
    for s in services {
        if is_datastore(s) {
            // The datastore's credentials, read by it and by its clients.
            if !rng.chance(60) {
                continue;
            }
            let mut users = vec![s.clone()];
            users.extend(callers.get(s).into_iter().flatten().cloned());
            let name = format!("{s}-credentials");
            out.push(Config {
                kind: "Secret",
                path: path(&name, true),
                name,
                users,
                mount: Mount::EnvKeys,
                keys: vec!["username".into(), "password".into()],
            });
        } else if rng.chance(65) {
            let mount = match rng.range(0, 9) {
                0..=3 => Mount::Volume,
                4..=7 => Mount::EnvFrom,
                _ => Mount::EnvKeys,
            };
            let keys = match mount {
                Mount::Volume => vec!["application.yaml".to_string()],
                _ => vec![
                    "LOG_LEVEL".to_string(),
                    "POOL_SIZE".into(),
                    "UPSTREAM_TIMEOUT_MS".into(),
                ],
            };
            let name = format!("{s}-{suffix}");
            out.push(Config {
                kind: "ConfigMap",
                path: path(&name, false),
                name,
                users: vec![s.clone()],
                mount,
                keys,
            });
        }
    }
    // Feature flags several services read.
    if apps.len() >= 3 {
        let mut users: Vec<String> = Vec::new();
        for _ in 0..rng.range(2, 3) {
            let s = rng.pick(&apps).to_string();
            if !users.contains(&s) {
                users.push(s);
            }
        }
        users.sort();
        out.push(Config {
            kind: "ConfigMap",
            path: path("feature-flags", false),
            name: "feature-flags".into(),
            users,
            mount: Mount::EnvFrom,
            keys: vec!["FLAG_NEW_CHECKOUT".into(), "FLAG_RECOMMENDER_V2".into()],
        });
    }
    out
}

/// One or two outside APIs, each called by one or two services.
pub fn externals(services: &[String], rng: &mut Rng) -> Vec<External> {
    let apps: Vec<&String> = services.iter().filter(|s| !is_datastore(s)).collect();
    if apps.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<External> = Vec::new();
    // Outside APIs whose natural callers run here first.
    for (name, host, hint) in OUTSIDE {
        let callers: Vec<String> = apps
            .iter()
            .filter(|s| s.contains(hint))
            .map(|s| s.to_string())
            .collect();
        if !callers.is_empty() && out.len() < 2 {
            out.push(External {
                name: name.to_string(),
                host: host.to_string(),
                callers,
            });
        }
    }
    while out.len() < 2 {
        let free: Vec<&(&str, &str, &str)> = OUTSIDE
            .iter()
            .filter(|(n, _, _)| !out.iter().any(|e| e.name == *n))
            .collect();
        let (name, host, _) = **rng.pick(&free);
        let mut callers = vec![rng.pick(&apps).to_string()];
        let other = rng.pick(&apps).to_string();
        if rng.chance(40) && !callers.contains(&other) {
            callers.push(other);
        }
        callers.sort();
        out.push(External {
            name: name.to_string(),
            host: host.to_string(),
            callers,
        });
    }
    out
}

/// The pod spec of `workload` with its configs and outside APIs wired in,
/// as the environment's overlay patches it.
pub fn patch_pod_spec(
    spec: &Value,
    workload: &str,
    configs: &[Config],
    externals: &[External],
) -> Value {
    let mut spec = spec.clone();
    let mut volumes: Vec<Value> = spec["volumes"].as_array().cloned().unwrap_or_default();
    let mut mounts = Vec::new();
    let mut env = Vec::new();
    let mut env_from = Vec::new();
    for c in configs
        .iter()
        .filter(|c| c.users.iter().any(|u| u == workload))
    {
        let secret = c.kind == "Secret";
        match c.mount {
            Mount::Volume => {
                volumes.push(if secret {
                    json!({"name": c.name, "secret": {"secretName": c.name}})
                } else {
                    json!({"name": c.name, "configMap": {"name": c.name}})
                });
                mounts.push(json!({"name": c.name, "mountPath": format!("/etc/{}", c.name), "readOnly": true}));
            }
            Mount::EnvFrom => env_from.push(if secret {
                json!({"secretRef": {"name": c.name}})
            } else {
                json!({"configMapRef": {"name": c.name}})
            }),
            Mount::EnvKeys => {
                for k in &c.keys {
                    let var = format!("{}_{}", c.name, k)
                        .to_ascii_uppercase()
                        .replace(['-', '.'], "_");
                    let from = if secret {
                        json!({"secretKeyRef": {"name": c.name, "key": k}})
                    } else {
                        json!({"configMapKeyRef": {"name": c.name, "key": k}})
                    };
                    env.push(json!({"name": var, "valueFrom": from}));
                }
            }
        }
    }
    for e in externals
        .iter()
        .filter(|e| e.callers.iter().any(|c| c == workload))
    {
        let var = e.name.to_ascii_uppercase().replace('-', "_");
        env.push(json!({"name": format!("{var}_URL"), "value": format!("https://{}:443", e.name)}));
        let key = format!("{}-api-key", e.name);
        env.push(json!({"name": format!("{var}_API_KEY"), "valueFrom": {"secretKeyRef": {"name": key, "key": "token"}}}));
    }
    if !volumes.is_empty() {
        spec["volumes"] = json!(volumes);
    }
    if let Some(c) = spec["containers"].get_mut(0) {
        for (field, add) in [
            ("volumeMounts", mounts),
            ("env", env),
            ("envFrom", env_from),
        ] {
            if add.is_empty() {
                continue;
            }
            let mut all: Vec<Value> = c[field].as_array().cloned().unwrap_or_default();
            all.extend(add);
            c[field] = json!(all);
        }
    }
    spec
}

/// The ConfigMap, Secret and ExternalName Service objects.
pub fn objects(namespace: &str, configs: &[Config], externals: &[External]) -> Vec<Value> {
    let mut out = Vec::new();
    for c in configs {
        let meta = json!({"name": c.name, "namespace": namespace,
            "annotations": {"kustomize.toolkit.fluxcd.io/reconcile": "enabled"}});
        if c.kind == "Secret" {
            // The values are never exported here.
            let data: BTreeMap<&str, &str> =
                c.keys.iter().map(|k| (k.as_str(), "KioqKg==")).collect();
            out.push(json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": data}));
        } else {
            let data: BTreeMap<&str, &str> = c
                .keys
                .iter()
                .map(|k| {
                    let v = match k.as_str() {
                        "application.yaml" => "server:\n  port: 8080\nlogging:\n  level: info\n",
                        "LOG_LEVEL" => "info",
                        "POOL_SIZE" => "20",
                        "UPSTREAM_TIMEOUT_MS" => "1500",
                        _ => "false",
                    };
                    (k.as_str(), v)
                })
                .collect();
            out.push(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}),
            );
        }
    }
    for e in externals {
        out.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": e.name, "namespace": namespace},
            "spec": {"type": "ExternalName", "externalName": e.host,
                "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}}));
        out.push(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": format!("{}-api-key", e.name), "namespace": namespace},
            "type": "Opaque", "data": {"token": "KioqKg=="}}));
    }
    out
}
