//! The cluster's topology objects as the watches last saw them.
//!
//! Kept per watch scope so that a re-list (after a 410 Gone) replaces exactly
//! what that watch covers: an object deleted while the watch was away is gone
//! after the re-list, and the other scopes are untouched meanwhile.

use super::kinds::Scope;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

type Objects = BTreeMap<(String, String), Arc<Value>>;

#[derive(Debug, Default)]
pub(crate) struct Store {
    scopes: BTreeMap<Scope, Objects>,
}

impl Store {
    /// Adds or replaces an object; whether the graph's input changed.
    pub fn apply(&mut self, scope: &Scope, key: (String, String), v: Value) -> bool {
        let objects = self.scopes.entry(scope.clone()).or_default();
        if objects.get(&key).is_some_and(|old| **old == v) {
            return false;
        }
        objects.insert(key, Arc::new(v));
        true
    }

    pub fn delete(&mut self, scope: &Scope, key: &(String, String)) -> bool {
        self.scopes
            .get_mut(scope)
            .is_some_and(|o| o.remove(key).is_some())
    }

    /// Replaces a scope's objects with a fresh list; whether anything changed.
    pub fn replace(&mut self, scope: &Scope, fresh: Objects) -> bool {
        let old = self.scopes.insert(scope.clone(), fresh);
        old.as_ref() != self.scopes.get(scope)
    }

    /// Every object, in scope order then `(namespace, name)` order.
    pub fn snapshot(&self) -> Vec<Arc<Value>> {
        self.scopes
            .values()
            .flat_map(|o| o.values().cloned())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.scopes.values().map(BTreeMap::len).sum()
    }
}

/// A scope's objects, built up during a (re-)list.
pub(crate) fn fresh() -> Objects {
    BTreeMap::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope(ns: &str) -> Scope {
        Scope {
            kind: "Pod".into(),
            plural: "pods".into(),
            namespace: Some(ns.into()),
        }
    }

    #[test]
    fn a_relist_replaces_only_its_own_scope() {
        let mut s = Store::default();
        let k = |n: &str| ("shop".to_string(), n.to_string());
        assert!(s.apply(&scope("shop"), k("a"), json!({"a": 1})));
        assert!(
            !s.apply(&scope("shop"), k("a"), json!({"a": 1})),
            "same object: no change"
        );
        assert!(s.apply(&scope("shop"), k("b"), json!({"b": 1})));
        assert!(s.apply(&scope("ops"), k("c"), json!({"c": 1})));
        let mut relisted = fresh();
        relisted.insert(k("b"), Arc::new(json!({"b": 1})));
        assert!(s.replace(&scope("shop"), relisted.clone()));
        assert!(!s.replace(&scope("shop"), relisted), "same list: no change");
        assert_eq!(s.len(), 2);
        assert!(s.delete(&scope("ops"), &k("c")));
        assert!(!s.delete(&scope("ops"), &k("c")));
        assert_eq!(s.snapshot(), vec![Arc::new(json!({"b": 1}))]);
    }
}
