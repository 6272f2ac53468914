//! The member's heartbeat, at a third of the lease TTL: its clock against
//! Redis's, its entry in `members` (and the others'), its leases renewed,
//! free ones taken for the instances it can run, and — for the holder of
//! the clock lease — the engine's ticks, the log's trimming and the quiet
//! check. A lease not renewed within its TTL (Redis unreachable) is given
//! up here too, so its source stops before anyone else may take it.

use super::view::MemberView;
use super::{scripts, Lease, Team, CLOCK};
use crate::App;
use chrono::Utc;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A member not heard from for this many lease TTLs is shown as gone.
const GONE_AFTER_TTLS: u32 = 3;
/// A gone member's entry is removed after this long.
const FORGET_AFTER: Duration = Duration::from_secs(86_400);
/// How often the clock holder trims the log and checks for quiet connectors.
const TRIM_EVERY: Duration = Duration::from_secs(60);

pub(super) async fn run(app: App, team: Arc<Team>) {
    let every = (team.config.lease_ttl / 3).max(Duration::from_millis(200));
    let mut trimmed: Option<Instant> = None;
    let mut quiet_checked = Instant::now();
    let mut candidates = Candidates::default();
    loop {
        let wanted = candidates.get(&app).await;
        let changed = match beat(&app, &team, &wanted).await {
            Ok(changed) => {
                team.ok();
                changed
            }
            Err(e) => {
                team.failed(e).await;
                expire(&team)
            }
        };
        if changed {
            app.sync_sources().await;
        }
        if team.holds(CLOCK).is_some() {
            if let Err(e) = tick(&app, &team).await {
                tracing::debug!(error = %e, "no tick this time");
            }
            if trimmed.is_none_or(|t| t.elapsed() >= TRIM_EVERY) {
                trim(&team).await;
                trimmed = Some(Instant::now());
            }
            if quiet_checked.elapsed() >= crate::connectors::health::QUIET_CHECK {
                app.check_quiet().await;
                quiet_checked = Instant::now();
            }
        }
        tokio::time::sleep(every).await;
    }
}

/// Leases whose renewal has not succeeded for a whole TTL are lost.
fn expire(team: &Team) -> bool {
    let ttl = team.config.lease_ttl;
    let mut s = team.lock();
    let before = s.leases.len();
    s.leases.retain(|name, l| {
        let keep = l.renewed.elapsed() < ttl;
        if !keep {
            tracing::warn!(lease = %name, "lease lost: Redis did not answer within its TTL");
        }
        keep
    });
    before != s.leases.len()
}

/// One heartbeat; whether this member's leases changed.
async fn beat(app: &App, team: &Team, wanted: &BTreeSet<String>) -> Result<bool, String> {
    let mut c = team.conn().await?;
    let err = |e: redis::RedisError| causeway_connectors::sources::redis_streams::describe(&e);
    let asked = Utc::now();
    let (secs, micros): (i64, i64) = redis::cmd("TIME").query_async(&mut c).await.map_err(err)?;
    let answered = Utc::now();
    let redis_ms = secs * 1000 + micros / 1000;
    let local_ms = asked.timestamp_millis() + (answered - asked).num_milliseconds() / 2;
    let offset = redis_ms - local_ms;
    let ttl_ms = team.config.lease_ttl.as_millis() as i64;
    // Leases: renew ours, give back what we no longer run, take free ones.
    let held: Vec<(String, Lease)> = team
        .lock()
        .leases
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut changed = false;
    for (name, lease) in held {
        let key = team.key(&format!("lease:{name}"));
        if !wanted.contains(&name) {
            let _: Result<i64, _> = scripts::release()
                .key(&key)
                .arg(&lease.value)
                .invoke_async(&mut c)
                .await;
            team.lock().leases.remove(&name);
            changed = true;
            continue;
        }
        let kept: i64 = scripts::renew()
            .key(&key)
            .arg(&lease.value)
            .arg(ttl_ms)
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        let mut s = team.lock();
        if kept == 1 {
            if let Some(l) = s.leases.get_mut(&name) {
                l.renewed = Instant::now();
            }
        } else {
            tracing::warn!(lease = %name, "lease lost: another member holds it now");
            s.leases.remove(&name);
            changed = true;
        }
    }
    for name in wanted {
        if team.lock().leases.contains_key(name) {
            continue;
        }
        let got: Option<i64> = scripts::acquire()
            .key(team.key(&format!("lease:{name}")))
            .key(team.key(&format!("fence:{name}")))
            .arg(&team.member_id)
            .arg(ttl_ms)
            .invoke_async(&mut c)
            .await
            .map_err(err)?;
        if let Some(token) = got {
            tracing::info!(lease = %name, token, "lease taken");
            team.lock().leases.insert(
                name.clone(),
                Lease {
                    value: format!("{} {token}", team.member_id),
                    token,
                    renewed: Instant::now(),
                },
            );
            changed = true;
        }
    }
    // Who holds what, for the view (every instance any member might run).
    let names: Vec<String> = wanted
        .iter()
        .cloned()
        .chain(all_instances(app).await)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut holders = BTreeMap::new();
    if !names.is_empty() {
        let keys: Vec<String> = names
            .iter()
            .map(|n| team.key(&format!("lease:{n}")))
            .collect();
        let values: Vec<Option<String>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut c)
            .await
            .map_err(err)?;
        for (n, v) in names.into_iter().zip(values) {
            if let Some(member) = v.and_then(|v| v.split_once(' ').map(|(m, _)| m.to_string())) {
                holders.insert(n, member);
            }
        }
    }
    // Lag: entries after this member's position (counted up to a cap).
    let cursor = team.lock().cursor.clone();
    let after: Vec<redis::Value> = redis::cmd("XRANGE")
        .arg(team.key("log"))
        .arg(format!("({cursor}"))
        .arg("+")
        .arg("COUNT")
        .arg(LAG_CAP)
        .query_async(&mut c)
        .await
        .unwrap_or_default();
    let newest: Option<String> = {
        let r: Result<redis::streams::StreamRangeReply, _> = redis::cmd("XREVRANGE")
            .arg(team.key("log"))
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut c)
            .await;
        r.ok().and_then(|r| r.ids.into_iter().next()).map(|e| e.id)
    };
    let me = {
        let mut s = team.lock();
        s.offset_ms = offset;
        s.lag = after.len() as u64;
        s.newest = newest;
        s.holders = holders;
        MemberView {
            id: team.member_id.clone(),
            name: team.config.member_name.clone(),
            host: super::host_name(),
            version: env!("CARGO_PKG_VERSION").into(),
            seen_at: redis_ms,
            cursor: s.cursor.clone(),
            lag: s.lag as i64,
            outbox: s.outbox as i64,
            clock_offset_ms: offset,
            leases: s.leases.keys().cloned().collect(),
            gone: false,
            me: true,
        }
    };
    let json = serde_json::to_string(&me).map_err(|e| e.to_string())?;
    let _: () = redis::cmd("HSET")
        .arg(team.key("members"))
        .arg(&team.member_id)
        .arg(json)
        .query_async(&mut c)
        .await
        .map_err(err)?;
    let all: HashMap<String, String> = redis::cmd("HGETALL")
        .arg(team.key("members"))
        .query_async(&mut c)
        .await
        .map_err(err)?;
    let gone_after = (team.config.lease_ttl * GONE_AFTER_TTLS).as_millis() as i64;
    let mut members = Vec::new();
    for (id, v) in all {
        let Ok(mut m) = serde_json::from_str::<MemberView>(&v) else {
            continue;
        };
        let age = redis_ms - m.seen_at;
        if age > FORGET_AFTER.as_millis() as i64 {
            let _: Result<i64, _> = redis::cmd("HDEL")
                .arg(team.key("members"))
                .arg(&id)
                .query_async(&mut c)
                .await;
            continue;
        }
        m.gone = age > gone_after;
        m.me = id == team.member_id;
        members.push(m);
    }
    members.sort_by(|a, b| (a.gone, &a.name, &a.id).cmp(&(b.gone, &b.name, &b.id)));
    let mut s = team.lock();
    let clash: Vec<&MemberView> = members
        .iter()
        .filter(|m| !m.gone && !m.me && m.name == team.config.member_name)
        .collect();
    if let Some(other) = clash.first() {
        s.warnings.insert(
            "name",
            format!(
                "another member (id {}, on {}) also goes by '{}': both work (members are told apart by id), but rename one (--member-name, or Settings → Team) so people can tell them apart",
                other.id, other.host, team.config.member_name
            ),
        );
    } else {
        s.warnings.remove("name");
    }
    if offset.abs() > 2000 {
        s.warnings.insert(
            "clock",
            format!(
                "this machine's clock is {} {} Redis's: Causeway stamps what it takes in with the team's (Redis's) time, but check the clock (NTP)",
                human_ms(offset.abs()),
                if offset < 0 { "ahead of" } else { "behind" }
            ),
        );
    } else {
        s.warnings.remove("clock");
    }
    s.members = members;
    Ok(changed)
}

/// The lag is counted up to this many entries ("1000 or more").
pub(super) const LAG_CAP: usize = 1000;

fn human_ms(ms: i64) -> String {
    match ms {
        m if m < 120_000 => format!("{} s", m / 1000),
        m if m < 7_200_000 => format!("{} min", m / 60_000),
        m => format!("{} h", m / 3_600_000),
    }
}

/// The clock holder puts a tick on the log when the engine has time-driven
/// work due at the team's time (every member then does it at that place).
async fn tick(app: &App, team: &Team) -> Result<(), String> {
    let now = team.now();
    let due = app
        .engine
        .lock()
        .map_err(|_| "the engine lock is poisoned".to_string())?
        .next_due()
        .is_some_and(|d| d <= now);
    if !due {
        return Ok(());
    }
    let mut c = team.conn().await?;
    let _: String = redis::cmd("XADD")
        .arg(team.key("log"))
        .arg("*")
        .arg("k")
        .arg("tick")
        .arg("m")
        .arg(&team.member_id)
        .arg("t")
        .arg(causeway_store::ts(now))
        .query_async(&mut c)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Drops log entries older than the retention (`XTRIM MINID`).
async fn trim(team: &Team) {
    let Ok(mut c) = team.conn().await else { return };
    let keep = chrono::Duration::from_std(team.config.retention).unwrap_or_default();
    let min = (team.now() - keep).timestamp_millis().max(0);
    let r: Result<i64, _> = redis::cmd("XTRIM")
        .arg(team.key("log"))
        .arg("MINID")
        .arg("~")
        .arg(min)
        .query_async(&mut c)
        .await;
    match r {
        Ok(n) if n > 0 => tracing::info!(entries = n, "old team log entries trimmed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot trim the team log"),
    }
}

/// Every instance id, for the holders view.
async fn all_instances(app: &App) -> Vec<String> {
    app.store()
        .read(causeway_store::instances::list)
        .await
        .map(|l| l.into_iter().map(|i| i.id).collect())
        .unwrap_or_default()
}

/// The leases this member competes for: the clock, and every enabled
/// instance with a source whose secrets its keychain holds. Keychain
/// answers are kept a minute per instance settings.
#[derive(Default)]
struct Candidates {
    secrets: HashMap<String, (String, bool, Instant)>,
}

impl Candidates {
    async fn get(&mut self, app: &App) -> BTreeSet<String> {
        let mut out = BTreeSet::from([CLOCK.to_string()]);
        let Ok(rows) = app.store().read(causeway_store::instances::list).await else {
            return out;
        };
        for i in rows.into_iter().filter(|i| i.enabled) {
            let config: serde_json::Value = serde_json::from_str(&i.config).unwrap_or_default();
            if causeway_connectors::registry::source_for(&i.descriptor_id, &config).is_none() {
                continue;
            }
            let fields = crate::connectors::instances::secret_fields(&config);
            let fresh = self
                .secrets
                .get(&i.id)
                .filter(|(c, _, at)| *c == i.config && at.elapsed() < Duration::from_secs(60))
                .map(|(_, ok, _)| *ok);
            let ok = match fresh {
                Some(ok) => ok,
                None => {
                    let (k, id) = (app.keychain().clone(), i.id.clone());
                    let ok = tokio::task::spawn_blocking(move || {
                        fields.iter().all(|f| {
                            k.get(&causeway_connectors::secrets::handle_for(&id, f))
                                .is_ok()
                        })
                    })
                    .await
                    .unwrap_or(false);
                    self.secrets
                        .insert(i.id.clone(), (i.config.clone(), ok, Instant::now()));
                    ok
                }
            };
            if ok {
                out.insert(i.id);
            }
        }
        out
    }
}
