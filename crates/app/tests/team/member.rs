//! A team member for the tests: an app over its own data folder, joined to
//! the test Redis, running on a tokio runtime of its own (so it can die
//! like a killed process), and what the tests ask of it.

use causeway_app::team::TeamConfig;
use causeway_app::{dispatch, App, Command};
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

/// Short leases, so a dead member's connectors move within seconds.
pub const LEASE_MS: u64 = 1500;

pub struct Member {
    pub name: String,
    app: App,
    rt: Option<tokio::runtime::Runtime>,
    _dir: tempfile::TempDir,
}

impl causeway_testkit::team::Member for Member {
    fn name(&self) -> &str {
        &self.name
    }

    async fn rpc(&self, command: Value) -> Value {
        Member::rpc(self, command).await.unwrap()
    }
}

impl Member {
    /// Opens an app in a new folder, joins team `t` on `url`, starts it.
    pub async fn start(url: &str, name: &str) -> Member {
        causeway_testkit::keyring::ensure();
        std::env::set_var(
            "CAUSEWAY_KEYCHAIN_SERVICE",
            format!("causeway-team-{}", std::process::id()),
        );
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        // The built-in Alertmanager receiver takes unsigned deliveries here:
        // these tests are about the team, not about who may post.
        app.store()
            .write_blocking(|c| {
                c.execute(
                    "UPDATE connector_instances SET config = json_set(config, '$.verify', json('{\"type\":\"none\"}'))
                     WHERE id = 'default-alertmanager'",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        let mut config = TeamConfig::new(url);
        config.name = "t".into();
        config.member_name = name.into();
        config.lease_ttl = Duration::from_millis(LEASE_MS);
        app.join_team(config).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let started = app.clone();
        rt.spawn(async move { started.start() }).await.unwrap();
        Member {
            name: name.into(),
            app,
            rt: Some(rt),
            _dir: dir,
        }
    }

    /// Runs `f` on this member's runtime (what it spawns dies with it).
    pub async fn run<T, F>(&self, f: impl FnOnce(App) -> F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let rt = self.rt.as_ref().expect("a live member");
        rt.spawn(f(self.app.clone())).await.unwrap()
    }

    /// Dies at once: no lease is given back, nothing is said to the others.
    pub fn kill(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }

    pub fn alive(&self) -> bool {
        self.rt.is_some()
    }

    pub async fn rpc(&self, command: Value) -> Result<Value, String> {
        let c: Command = causeway_app::api::commands::parse(command).unwrap();
        self.run(move |app| async move { dispatch(&app, c).await.map_err(|e| e.message) })
            .await
    }

    /// An Alertmanager notification, as the webhook gateway takes it.
    pub async fn post(&self, body: Vec<u8>) {
        let a = self
            .run(move |app| async move {
                app.accept_webhook("alertmanager", "default", Default::default(), body)
                    .await
            })
            .await;
        assert!(a.is_ok(), "{} refused a webhook: {a:?}", self.name);
    }

    pub async fn team(&self) -> Value {
        self.rpc(json!({"command": "getTeam"})).await.unwrap()
    }

    pub async fn state(&self) -> String {
        self.team().await["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub async fn connected(&self) -> bool {
        self.state().await == "connected"
    }

    pub async fn add(&self, descriptor: &str, name: &str, config: Value) -> String {
        let v = self
            .rpc(json!({"command": "createInstance", "args": {
                "descriptorId": descriptor, "projectId": "default", "name": name,
                "config": config, "secrets": {}}}))
            .await
            .unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    pub async fn instance(&self, id: &str) -> Option<Value> {
        self.rpc(json!({"command": "getInstance", "args": {"id": id}}))
            .await
            .ok()
    }

    pub async fn dead_letters(&self) -> Vec<Value> {
        let v = self
            .rpc(json!({"command": "listDeadLetters"}))
            .await
            .unwrap();
        v["deadLetters"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits (30 s at most) until `f` holds.
pub async fn until<F, Fut>(what: &str, f: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
