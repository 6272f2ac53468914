//! Team mode: several Causeways sharing connectors and incidents through
//! Redis Streams (`causeway serve --team redis://…`).
//!
//! - **One log.** What a member accepts — webhook bodies, ingest requests,
//!   polled and streamed items — and people's decisions, correlation
//!   settings and connector definitions (never secrets) are appended to one
//!   Redis stream. Every member reads the whole log, its own entries
//!   included, into its own SQLite in the log's order, and the engine is
//!   deterministic over its input: every member computes the same incidents
//!   with the same ids. The engine's clock moves by `tick` entries too, so
//!   a quiet incident resolves at the same place in everyone's input.
//! - **The outbox.** A webhook is answered once its body is in the local
//!   outbox (SQLite); the forwarder moves it to the log when Redis answers
//!   (exactly once: Redis remembers how far each member forwarded). An
//!   outage delays the team's view and loses nothing.
//! - **Leases.** Each pull, stream or watch instance runs on one member:
//!   `SET NX PX` leases renewed at a third of their TTL, each with a fencing
//!   token; connector state (checkpoints, item versions) lives in Redis and
//!   is written only together with the holder's token, so a paused former
//!   holder cannot move it back. A member competes only for instances whose
//!   secrets its own keychain holds.
//!
//! Keys live under `causeway:<team>:`: `log`, `forwarded`, `members`,
//! `instances`, `correlation`, `lease:<instance>`, `fence:<instance>`,
//! `connector:state:<instance>`, `connector:versions:<instance>:<stream>`.

mod apply;
mod consume;
mod forward;
mod host;
mod leases;
pub mod log;
mod scripts;
pub mod view;

pub(crate) use host::TeamHost;

use crate::api::error::{ApiError, Code};
use crate::incidents::decision::Decision;
use crate::App;
use causeway_connectors::sources::redis_streams::{connect, redacted_url, Connection, Target};
use causeway_core::Sensitive;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// How to join a team.
#[derive(Clone)]
pub struct TeamConfig {
    /// `redis://host:port/db` or `rediss://…`. A password in it stays in
    /// memory: it is never stored or shown.
    pub url: String,
    /// A password kept apart from the URL (from the keychain).
    pub password: Option<Sensitive<String>>,
    /// The team's name: its keys' prefix (several teams may share a Redis).
    pub name: String,
    /// This member's name, as others see it.
    pub member_name: String,
    /// How long a lease lives without renewal; renewed at a third of it.
    pub lease_ttl: Duration,
    /// How long the log keeps entries (a member joining later catches up
    /// from what is kept).
    pub retention: Duration,
}

impl TeamConfig {
    /// Defaults: team `causeway`, this host's name, 15 s leases, 7 days.
    pub fn new(url: &str) -> TeamConfig {
        TeamConfig {
            url: url.to_string(),
            password: None,
            name: "causeway".into(),
            member_name: host_name(),
            lease_ttl: Duration::from_secs(15),
            retention: Duration::from_secs(7 * 86_400),
        }
    }
}

impl std::fmt::Debug for TeamConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamConfig")
            .field("url", &redacted_url(&self.url))
            .field("name", &self.name)
            .field("member_name", &self.member_name)
            .finish_non_exhaustive()
    }
}

/// This machine's name (for a member's default name).
pub fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "causeway".into())
}

/// A lease this member holds.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    /// The lease key's value: `<member id> <token>`.
    pub value: String,
    pub token: i64,
    pub renewed: Instant,
}

/// What the team's tasks know, for the view and for each other.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// `None` before the first answer.
    pub reachable: Option<bool>,
    pub error: Option<String>,
    /// Redis's clock minus this machine's, in ms.
    pub offset_ms: i64,
    /// The last log entry applied here, and the newest one on the log.
    pub cursor: String,
    pub newest: Option<String>,
    /// Entries on the log not applied here yet (at most what one look counts).
    pub lag: u64,
    /// Rows waiting in the local outbox.
    pub outbox: u64,
    pub applied: u64,
    pub leases: BTreeMap<String, Lease>,
    pub members: Vec<view::MemberView>,
    /// Who holds each instance's lease (instance → member id).
    pub holders: BTreeMap<String, String>,
    pub malformed: u64,
    pub last_malformed: Option<String>,
    /// Warnings a person should read (a name used twice, a gap in the log).
    pub warnings: BTreeMap<&'static str, String>,
}

/// A joined team: configuration, identity, the shared connection and state.
pub(crate) struct Team {
    pub config: TeamConfig,
    pub prefix: String,
    pub member_id: String,
    conn: tokio::sync::Mutex<Option<Connection>>,
    pub state: Mutex<State>,
    /// Wakes the forwarder (something entered the outbox).
    pub forward: Notify,
    /// Callers waiting for their decision to come back from the log.
    waiters: Mutex<HashMap<i64, oneshot::Sender<Result<serde_json::Value, ApiError>>>>,
}

/// The lease every member competes for whose holder keeps the engine's
/// clock (ticks), trims the log and watches for quiet connectors.
pub(crate) const CLOCK: &str = "@clock";

impl Team {
    pub fn key(&self, k: &str) -> String {
        format!("{}{k}", self.prefix)
    }

    /// The shared connection, opened when needed.
    pub async fn conn(&self) -> Result<Connection, String> {
        let mut g = self.conn.lock().await;
        if let Some(c) = g.as_ref() {
            return Ok(c.clone());
        }
        let c = self.open(Duration::from_secs(10)).await?;
        *g = Some(c.clone());
        Ok(c)
    }

    /// A connection of its own (the log reader blocks on it).
    pub async fn open(&self, response: Duration) -> Result<Connection, String> {
        let target = Target {
            url: &self.config.url,
            username: None,
            password: self.config.password.clone(),
            ca_file: None,
        };
        connect(&target, response).await
    }

    /// Redis failed: the next call reconnects, and the view says why.
    pub async fn failed(&self, error: String) {
        *self.conn.lock().await = None;
        let mut s = self.lock();
        if s.reachable != Some(false) {
            tracing::warn!(team = %self.config.name, %error, "team log unreachable; accepted items wait in the outbox");
        }
        s.reachable = Some(false);
        s.error = Some(error);
    }

    /// Redis answered.
    pub fn ok(&self) {
        let mut s = self.lock();
        if s.reachable == Some(false) {
            tracing::info!(team = %self.config.name, "team log reachable again");
        }
        s.reachable = Some(true);
        s.error = None;
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The team's time: this machine's clock corrected to Redis's.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.lock().offset_ms)
    }

    /// The lease this member holds on `instance`, if any (and still fresh:
    /// one not renewed for a whole TTL counts as lost).
    pub fn holds(&self, instance: &str) -> Option<Lease> {
        let s = self.lock();
        s.leases
            .get(instance)
            .filter(|l| l.renewed.elapsed() < self.config.lease_ttl)
            .cloned()
    }

    fn wait_for(&self, outbox: i64) -> oneshot::Receiver<Result<serde_json::Value, ApiError>> {
        let (tx, rx) = oneshot::channel();
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(outbox, tx);
        rx
    }

    /// Tells whoever waits for outbox row `outbox` what came of it.
    pub fn answer(&self, outbox: i64, result: Result<serde_json::Value, ApiError>) {
        let tx = self
            .waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&outbox);
        if let Some(tx) = tx {
            let _ = tx.send(result);
        }
    }
}

impl App {
    /// Joins a team before [`App::start`]: intake goes to the outbox from
    /// now on, and `start` runs the team's tasks. A Redis that cannot be
    /// reached is no error here: the member runs, keeps what it accepts,
    /// and says so in its team view until Redis answers.
    pub fn join_team(&self, config: TeamConfig) -> Result<(), ApiError> {
        let member_id = self
            .store()
            .read_blocking(|c| causeway_store::meta::get(c, "team_member_id"))?
            .ok_or_else(|| ApiError::new(Code::Storage, "the data folder has no team member id"))?;
        if config.name.is_empty()
            || !config
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(ApiError::bad_request(
                "a team name is letters, digits, '-', '_' and '.'",
            ));
        }
        let team = Team {
            prefix: format!("causeway:{}:", config.name),
            config,
            member_id,
            conn: tokio::sync::Mutex::new(None),
            state: Mutex::default(),
            forward: Notify::new(),
            waiters: Mutex::default(),
        };
        self.team
            .set(Arc::new(team))
            .map_err(|_| ApiError::bad_request("already in a team"))?;
        self.store().set_outbox(true);
        Ok(())
    }

    /// The team this app is in.
    pub(crate) fn team(&self) -> Option<Arc<Team>> {
        self.team.get().cloned()
    }

    /// Whether this app is in a team.
    pub fn in_team(&self) -> bool {
        self.team.get().is_some()
    }

    /// Starts the team's tasks (from [`App::start`]).
    pub(crate) fn start_team(&self) {
        let Some(team) = self.team() else { return };
        tracing::info!(team = %team.config.name, member = %team.config.member_name, id = %team.member_id, redis = %redacted_url(&team.config.url), "joining the team");
        tokio::spawn(forward::run(self.clone(), team.clone()));
        tokio::spawn(consume::run(self.clone(), team.clone()));
        tokio::spawn(leases::run(self.clone(), team));
    }

    /// Puts a row on the outbox (and wakes the forwarder); its id.
    pub(crate) async fn to_outbox(
        &self,
        row: causeway_store::team_outbox::NewOutbox,
    ) -> Result<i64, ApiError> {
        let id = self
            .store()
            .write(move |c| causeway_store::team_outbox::insert(c, &row))
            .await?;
        if let Some(t) = self.team() {
            t.forward.notify_one();
        }
        Ok(id)
    }

    /// A person's decision in team mode: it goes on the log, and every
    /// member (this one too) applies it where it lands. Waits for this
    /// member to apply it, so the caller gets its answer.
    pub(crate) async fn decide(&self, d: Decision) -> Result<serde_json::Value, ApiError> {
        let team = self
            .team()
            .ok_or_else(|| ApiError::new(Code::Internal, "not in a team"))?;
        let (kind, project, body) = match &d {
            Decision::Settings { config, project } => (
                "settings",
                Some(project.clone()),
                serde_json::to_vec(config),
            ),
            other => ("decision", None, serde_json::to_vec(other)),
        };
        let body = body.map_err(|e| ApiError::new(Code::Internal, e.to_string()))?;
        self.publish(causeway_store::team_outbox::NewOutbox {
            kind: kind.into(),
            project_id: project,
            received_at: causeway_store::ts(team.now()),
            headers: "{}".into(),
            body,
            ..Default::default()
        })
        .await
    }
}
