//! The [`Host`] a leased source runs with in team mode: what it fetches
//! goes straight onto the team log, and its state (checkpoint, item
//! versions) lives in Redis, so whichever member holds the lease next
//! resumes where this one stopped. Every write is one script that first
//! checks the lease is still this member's and that no later holder has
//! written (the fencing token): a holder that was paused past its TTL
//! cannot add items or move a checkpoint back. Health stays local.

use super::{log, scripts, Team};
use crate::App;
use causeway_connectors::runtime::{
    BoxFuture, Commit, Host, HostError, InstanceInfo, Report, StreamStatus,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) struct TeamHost {
    pub app: App,
    pub team: Arc<Team>,
    /// The local host, for health and what stays on this machine.
    pub local: Arc<dyn Host>,
}

fn redis_err(e: redis::RedisError) -> HostError {
    HostError(format!(
        "the team's Redis: {}",
        causeway_connectors::sources::redis_streams::describe(&e)
    ))
}

impl TeamHost {
    fn lease(&self, instance: &str) -> Result<super::Lease, HostError> {
        self.team.holds(instance).ok_or_else(|| {
            HostError(
                "this member no longer holds the instance's lease; another one runs it".into(),
            )
        })
    }

    fn versions_key(&self, instance: &str, stream: &str) -> String {
        self.team
            .key(&format!("connector:versions:{instance}:{stream}"))
    }
}

impl Host for TeamHost {
    fn commit(&self, instance: &InstanceInfo, c: Commit) -> BoxFuture<'_, Result<(), HostError>> {
        let inst = instance.clone();
        Box::pin(async move {
            let lease = self.lease(&inst.id)?;
            let mut conn = self.team.conn().await.map_err(HostError)?;
            let now = causeway_store::ts(self.team.now());
            let now_ms = self.team.now().timestamp_millis();
            let mut inv = scripts::commit().prepare_invoke();
            inv.key(self.team.key(&format!("lease:{}", inst.id)))
                .key(self.team.key("log"))
                .key(self.team.key(&format!("connector:state:{}", inst.id)))
                .key(self.team.key(&format!("connector:versions:{}:", inst.id)))
                .arg(&lease.value)
                .arg(lease.token)
                .arg(&self.team.member_id)
                .arg(&inst.id)
                .arg(&inst.project_id)
                .arg(&now)
                .arg(c.payloads.len());
            for p in &c.payloads {
                inv.arg(p.connector_id.as_deref().unwrap_or(&inst.descriptor_id))
                    .arg(serde_json::to_string(&p.headers).unwrap_or_else(|_| "{}".into()))
                    .arg(&p.body[..]);
            }
            inv.arg(c.versions.len());
            for v in &c.versions {
                inv.arg(&v.stream)
                    .arg(&v.key)
                    .arg(format!("{} {now_ms}", v.hash));
            }
            inv.arg(
                c.checkpoint
                    .as_ref()
                    .map(Value::to_string)
                    .unwrap_or_default(),
            );
            let answer: String = inv.invoke_async(&mut conn).await.map_err(redis_err)?;
            match answer.as_str() {
                "ok" => {
                    let n = c.payloads.len() as u64;
                    if n > 0 {
                        crate::telemetry::events::PayloadsReceived {
                            connector: &inst.descriptor_id,
                            count: n,
                        }
                        .emit(self.app.metrics());
                    }
                    Ok(())
                }
                "fence" => Err(HostError(
                    "a later holder of this instance's lease has written its state: this member stops it".into(),
                )),
                _ => {
                    self.team.lock().leases.remove(&inst.id);
                    Err(HostError(
                        "this member lost the instance's lease: another member runs it now".into(),
                    ))
                }
            }
        })
    }

    fn checkpoint(&self, instance_id: &str) -> BoxFuture<'_, Result<Option<Value>, HostError>> {
        let key = self.team.key(&format!("connector:state:{instance_id}"));
        Box::pin(async move {
            let mut conn = self.team.conn().await.map_err(HostError)?;
            let raw: Option<String> = redis::cmd("HGET")
                .arg(key)
                .arg("checkpoint")
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
        })
    }

    fn versions(
        &self,
        instance_id: &str,
        stream: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>> {
        let key = self.versions_key(instance_id, stream);
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(BTreeMap::new());
            }
            let mut conn = self.team.conn().await.map_err(HostError)?;
            let values: Vec<Option<String>> = redis::cmd("HMGET")
                .arg(key)
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            Ok(keys
                .into_iter()
                .zip(values)
                .filter_map(|(k, v)| {
                    let v = v?;
                    let hash = v.rsplit_once(' ').map_or(v.as_str(), |(h, _)| h);
                    Some((k, hash.to_string()))
                })
                .collect())
        })
    }

    fn forget_versions(
        &self,
        instance_id: &str,
        stream: &str,
        keys: Vec<String>,
    ) -> BoxFuture<'_, Result<(), HostError>> {
        let key = self.versions_key(instance_id, stream);
        Box::pin(async move {
            if keys.is_empty() {
                return Ok(());
            }
            let mut conn = self.team.conn().await.map_err(HostError)?;
            let _: i64 = redis::cmd("HDEL")
                .arg(key)
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            Ok(())
        })
    }

    fn prune_versions(
        &self,
        instance_id: &str,
        stream: &str,
        older_than: std::time::Duration,
    ) -> BoxFuture<'_, Result<u64, HostError>> {
        let key = self.versions_key(instance_id, stream);
        Box::pin(async move {
            let mut conn = self.team.conn().await.map_err(HostError)?;
            let all: BTreeMap<String, String> = redis::cmd("HGETALL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            let before = self.team.now().timestamp_millis() - older_than.as_millis() as i64;
            let old: Vec<String> = all
                .into_iter()
                .filter(|(_, v)| {
                    v.rsplit_once(' ')
                        .and_then(|(_, t)| t.parse::<i64>().ok())
                        .is_some_and(|t| t < before)
                })
                .map(|(k, _)| k)
                .collect();
            if old.is_empty() {
                return Ok(0);
            }
            let n: u64 = redis::cmd("HDEL")
                .arg(&key)
                .arg(&old)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            Ok(n)
        })
    }

    fn report(&self, instance_id: &str, report: Report) {
        self.local.report(instance_id, report);
    }

    fn connection(
        &self,
        instance_id: &str,
        health: Option<causeway_connectors::sources::kubernetes::Health>,
    ) {
        self.local.connection(instance_id, health);
    }

    fn stream_status(&self, instance_id: &str, status: Option<StreamStatus>) {
        self.local.stream_status(instance_id, status);
    }

    fn backlog(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move {
            let lag = self.team.lock().lag;
            self.app.backlog().await + lag
        })
    }

    fn member_name(&self) -> Option<String> {
        Some(self.team.config.member_name.clone())
    }

    /// A watched cluster's objects go on the log, so every member's engine
    /// gets the same graph at the same place in its input.
    fn topology(&self, instance_id: &str, objects: Option<Vec<Arc<Value>>>) -> BoxFuture<'_, ()> {
        let id = instance_id.to_string();
        Box::pin(async move {
            let Ok(lease) = self.lease(&id) else { return };
            let packed = log::pack_topology(objects.as_deref());
            let sent = async {
                let mut conn = self.team.conn().await.map_err(HostError)?;
                let answer: String = scripts::topology()
                    .key(self.team.key(&format!("lease:{id}")))
                    .key(self.team.key("log"))
                    .arg(&lease.value)
                    .arg(&self.team.member_id)
                    .arg(&id)
                    .arg(packed)
                    .invoke_async(&mut conn)
                    .await
                    .map_err(redis_err)?;
                Ok::<_, HostError>(answer)
            };
            if let Err(e) = sent.await {
                tracing::warn!(instance = %id, error = %e, "cannot put the cluster's topology on the team log");
            }
        })
    }
}
