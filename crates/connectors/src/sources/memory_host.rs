//! An in-memory host for the consuming sources' tests (the Redis stream
//! consumer, the IMAP reader): it records commits and item versions, can
//! refuse commits (a full disk) or report a backlog, and keeps the last
//! status the source published.

use crate::runtime::{BoxFuture, Commit, Host, HostError, InstanceInfo, Report, StreamStatus};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Commits kept in memory; `refuse` makes them fail, `backlog` is what
/// the host says waits.
#[derive(Default)]
pub(crate) struct MemoryHost {
    pub(crate) commits: Mutex<Vec<Commit>>,
    pub(crate) versions: Mutex<BTreeMap<String, String>>,
    pub(crate) status: Mutex<Option<StreamStatus>>,
    pub(crate) refuse: AtomicBool,
    pub(crate) backlog: AtomicU64,
}

impl MemoryHost {
    /// Every payload committed, in order.
    pub(crate) fn payloads(&self) -> Vec<crate::runtime::Payload> {
        let c = self.commits.lock().unwrap();
        c.iter().flat_map(|c| c.payloads.clone()).collect()
    }
}

impl Host for MemoryHost {
    fn commit(&self, _: &InstanceInfo, c: Commit) -> BoxFuture<'_, Result<(), HostError>> {
        Box::pin(async move {
            if self.refuse.load(Ordering::SeqCst) {
                return Err(HostError("the disk is full".into()));
            }
            let mut v = self.versions.lock().unwrap();
            for i in &c.versions {
                v.insert(i.key.clone(), i.hash.clone());
            }
            self.commits.lock().unwrap().push(c);
            Ok(())
        })
    }
    fn checkpoint(&self, _: &str) -> BoxFuture<'_, Result<Option<serde_json::Value>, HostError>> {
        Box::pin(async { Ok(None) })
    }
    fn versions(
        &self,
        _: &str,
        _: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>> {
        Box::pin(async move {
            let v = self.versions.lock().unwrap();
            Ok(keys
                .into_iter()
                .filter_map(|k| v.get(&k).map(|h| (k, h.clone())))
                .collect())
        })
    }
    fn forget_versions(
        &self,
        _: &str,
        _: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<(), HostError>> {
        Box::pin(async move {
            let mut v = self.versions.lock().unwrap();
            for k in keys {
                v.remove(&k);
            }
            Ok(())
        })
    }
    fn backlog(&self) -> BoxFuture<'_, u64> {
        Box::pin(async { self.backlog.load(Ordering::SeqCst) })
    }
    fn report(&self, _: &str, _: Report) {}
    fn stream_status(&self, _: &str, s: Option<StreamStatus>) {
        *self.status.lock().unwrap() = s;
    }
}
