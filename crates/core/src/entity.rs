//! Entities: the nodes of the topology, written `kind/namespace/name` when
//! namespaced and `kind/name` when cluster-scoped, kind lowercase singular
//! (`pod/shop/cart-7d9f8b6c5-abcde`, `deployment/shop/cart`, `node/node-3`).

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

/// Kinds that live outside any namespace.
const CLUSTER_SCOPED: &[&str] = &["node", "namespace", "persistentvolume", "host", "cluster"];

/// A topology node. Serialized as its notation string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, TS)]
#[ts(type = "string")]
pub struct Entity {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl Entity {
    /// A namespaced entity (`kind/namespace/name`).
    pub fn namespaced(kind: &str, namespace: &str, name: &str) -> Self {
        Entity {
            kind: kind.to_ascii_lowercase(),
            namespace: Some(namespace.to_string()),
            name: name.to_string(),
        }
    }

    /// A cluster-scoped entity (`kind/name`).
    pub fn cluster(kind: &str, name: &str) -> Self {
        Entity {
            kind: kind.to_ascii_lowercase(),
            namespace: None,
            name: name.to_string(),
        }
    }

    /// Builds an entity of `kind`, namespaced when a namespace is known and the
    /// kind is not cluster-scoped.
    pub fn of(kind: &str, namespace: Option<&str>, name: &str) -> Self {
        match namespace {
            Some(ns) if !ns.is_empty() && !CLUSTER_SCOPED.contains(&kind) => {
                Self::namespaced(kind, ns, name)
            }
            _ => Self::cluster(kind, name),
        }
    }

    /// Parses the notation. `pod/shop/cart-1` and `node/node-3` are valid;
    /// an empty part or more than three parts is not.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(format!("entity '{s}' has an empty part"));
        }
        match parts.as_slice() {
            [kind, name] => Ok(Self::cluster(kind, name)),
            [kind, ns, name] => Ok(Self::namespaced(kind, ns, name)),
            _ => Err(format!(
                "entity '{s}' is not kind/namespace/name or kind/name"
            )),
        }
    }

    /// The workload that owns this entity, when its name tells it.
    ///
    /// Kubernetes names a Deployment's Pods `<deployment>-<pod-template-hash>-<5 chars>`
    /// and its ReplicaSets `<deployment>-<pod-template-hash>`; a StatefulSet's Pods
    /// are `<statefulset>-<ordinal>`. So an alert naming only a Pod still tells
    /// which Deployment to group it with, even when the Pod is not in any graph.
    /// Returns `None` for kinds that are not owned (or owners themselves).
    pub fn inferred_owner(&self) -> Option<Entity> {
        let ns = self.namespace.as_deref();
        match self.kind.as_str() {
            "pod" => {
                let parts: Vec<&str> = self.name.rsplitn(3, '-').collect();
                match parts.as_slice() {
                    [suffix, hash, base]
                        if is_k8s_suffix(suffix, 5, 5) && is_k8s_suffix(hash, 6, 10) =>
                    {
                        Some(Entity::of("deployment", ns, base))
                    }
                    _ => {
                        let (base, ordinal) = self.name.rsplit_once('-')?;
                        if !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit()) {
                            Some(Entity::of("statefulset", ns, base))
                        } else {
                            None
                        }
                    }
                }
            }
            "replicaset" => {
                let (base, hash) = self.name.rsplit_once('-')?;
                is_k8s_suffix(hash, 6, 10).then(|| Entity::of("deployment", ns, base))
            }
            _ => None,
        }
    }

    /// The entity alerts about this one are grouped under: its owning workload
    /// when known, else itself.
    pub fn workload(&self) -> Entity {
        self.inferred_owner().unwrap_or_else(|| self.clone())
    }
}

/// Kubernetes' generated suffixes use this alphabet (no vowels, no 0/1/3).
fn is_k8s_suffix(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b))
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

impl Serialize for Entity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Entity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Entity::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_round_trips() {
        for s in [
            "pod/shop/cart-7d9f8b6c5-x2b4k",
            "node/node-3",
            "service/shop/cart",
        ] {
            assert_eq!(Entity::parse(s).unwrap().to_string(), s);
        }
        assert!(Entity::parse("pod//x").is_err());
        assert!(Entity::parse("a/b/c/d").is_err());
        assert!(Entity::parse("justname").is_err());
        // A node never carries a namespace, even when a label offers one.
        assert_eq!(
            Entity::of("node", Some("shop"), "n1").to_string(),
            "node/n1"
        );
    }

    #[test]
    fn owner_is_inferred_from_generated_names() {
        let pod = Entity::parse("pod/shop/cartservice-7d9f8b6c5-x2b4k").unwrap();
        assert_eq!(pod.workload().to_string(), "deployment/shop/cartservice");
        let rs = Entity::parse("replicaset/shop/redis-cart-6f4d8c7b9").unwrap();
        assert_eq!(rs.workload().to_string(), "deployment/shop/redis-cart");
        let sts = Entity::parse("pod/shop/carts-db-0").unwrap();
        assert_eq!(sts.workload().to_string(), "statefulset/shop/carts-db");
        // A hand-named pod has no inferable owner.
        let plain = Entity::parse("pod/shop/debug").unwrap();
        assert_eq!(plain.workload(), plain);
        // "aeiou" cannot be a generated suffix.
        let odd = Entity::parse("pod/shop/web-abcdef-aeiou").unwrap();
        assert_eq!(odd.inferred_owner(), None);
    }
}
