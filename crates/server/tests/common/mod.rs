//! A real `causeway serve` process on a temp data dir, for the HTTP tests.
//! Each test binary uses a part of it.
#![allow(dead_code)]

use causeway_connectors::secrets::{handle_for, Keychain};
use causeway_testkit::keyring as test_keyring;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_causeway");
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// `causeway SUBCOMMAND ARGS --data-dir DIR`: whether it succeeded, its
/// output and its errors.
pub fn cli(sub: &str, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(BIN)
        .arg(sub)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A loopback port free right now (for a peer the test starts itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The private keychain every server of this test binary files its secrets
/// in (a gnome-keyring on a private bus, under a service of this process's
/// own unless the test chose one); its name.
pub fn keychain_service() -> String {
    static SERVICE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SERVICE
        .get_or_init(|| {
            test_keyring::ensure();
            let chosen = std::env::var("CAUSEWAY_KEYCHAIN_SERVICE").ok();
            chosen.filter(|s| !s.is_empty()).unwrap_or_else(|| {
                let s = format!("causeway-test-{}", std::process::id());
                std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &s);
                s
            })
        })
        .clone()
}

/// The part of the test keychain that belongs to the data folder `dir`.
pub fn keychain(dir: &Path) -> Keychain {
    let store = causeway_store::Store::open(dir).unwrap();
    let scope = store
        .read_blocking(causeway_store::meta::keychain_scope)
        .unwrap();
    Keychain::new(
        &std::env::var("CAUSEWAY_KEYCHAIN_SERVICE").unwrap_or_else(|_| keychain_service()),
    )
    .scoped(&scope)
}

pub struct Server {
    pub child: Child,
    pub base: String,
    /// The printed login link's token (spent: the harness signed in with it).
    pub token: String,
    /// This harness's browser session (`causeway_session=…`).
    pub session: String,
    /// The default Alertmanager receiver's secret, when this start made it
    /// (the first start on a data folder prints it once).
    pub receiver_secret: Option<String>,
    pub dir: std::path::PathBuf,
    /// What it wrote to stderr so far.
    pub log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Server {
    /// Starts `causeway serve` and waits for its login-URL line.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_env(&[], dir, extra)
    }

    /// [`Server::start`] with more environment variables (libfaketime's,
    /// say: the process itself is started, so killing it kills the server).
    pub fn start_env(envs: &[(&str, &str)], dir: &Path, extra: &[&str]) -> Server {
        let args = [&["--listen", "127.0.0.1:0"], extra].concat();
        let mut s =
            Server::spawn_with(envs, Path::new(BIN), dir, &args).unwrap_or_else(|e| panic!("{e}"));
        s.session = s
            .trade(&s.token.clone())
            .expect("the printed login link opens a session");
        s
    }

    /// Starts `causeway serve` with exactly `args` (after the data folder);
    /// `Err` with what it said when it exits instead of printing a link.
    pub fn spawn(dir: &Path, args: &[&str]) -> Result<Server, String> {
        Server::spawn_bin(Path::new(BIN), dir, args)
    }

    /// [`Server::spawn`] of the `causeway` binary at `bin` (a copy), run
    /// from the folder it is in, without `CAUSEWAY_UI_DIR`.
    pub fn spawn_bin(bin: &Path, dir: &Path, args: &[&str]) -> Result<Server, String> {
        Server::spawn_with(&[], bin, dir, args)
    }

    fn spawn_with(
        envs: &[(&str, &str)],
        bin: &Path,
        dir: &Path,
        args: &[&str],
    ) -> Result<Server, String> {
        keychain_service();
        let mut command = Command::new(bin);
        command.envs(envs.iter().copied());
        if bin != Path::new(BIN) {
            command
                .current_dir(bin.parent().unwrap())
                .env_remove("CAUSEWAY_UI_DIR");
        }
        let child = command
            .args(["serve", "--data-dir"])
            .arg(dir)
            .args(args)
            .env("CAUSEWAY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn causeway serve");
        Server::from_child(child, dir)
    }

    /// A started `causeway serve` (stdout and stderr piped) on `dir`: reads
    /// what it prints up to its login link.
    pub fn from_child(mut child: Child, dir: &Path) -> Result<Server, String> {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut secret = None;
        let login = loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
                let _ = child.wait();
                return Err(format!("causeway serve printed no login link: {err}"));
            }
            let line = line.trim();
            if let Some(v) = line.strip_prefix("credentials: ") {
                secret = Some(v.to_string());
            }
            if line.contains("/?token=") {
                break line.to_string();
            }
        };
        // Its stderr goes on to ours, for the test's report, and is kept.
        let err = child.stderr.take().unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                eprintln!("{line}");
                kept.lock().unwrap().push_str(&line);
                kept.lock().unwrap().push('\n');
            }
        });
        let (base, token) = login
            .split_once("/?token=")
            .unwrap_or_else(|| panic!("unexpected login line: {login:?}"));
        Ok(Server {
            child,
            base: base.to_string(),
            token: token.to_string(),
            session: String::new(),
            receiver_secret: secret,
            dir: dir.to_path_buf(),
            log,
        })
    }

    /// Opens a login link's token as a browser would: the session cookie
    /// it sets, or `None` when the server refused it.
    pub fn trade(&self, token: &str) -> Option<String> {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(host).unwrap();
        write!(
            conn,
            "GET /?token={token} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        if !answer.starts_with("HTTP/1.1 303") {
            return None;
        }
        answer.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if !k.eq_ignore_ascii_case("set-cookie") {
                return None;
            }
            let pair = v.trim().split(';').next()?;
            pair.strip_prefix("causeway_session=").map(str::to_string)
        })
    }

    /// A new login link's token from `causeway login`.
    pub fn new_login_token(&self) -> String {
        let out = Command::new(BIN)
            .args(["login", "--data-dir"])
            .arg(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8(out.stdout).unwrap();
        line.trim()
            .split_once("/?token=")
            .expect("a login link")
            .1
            .to_string()
    }

    /// The default receiver's bearer secret (from the keychain when this
    /// start did not print it).
    pub fn receiver_secret(&self) -> String {
        if let Some(s) = &self.receiver_secret {
            return s.clone();
        }
        let dir = self.dir.clone();
        std::thread::spawn(move || {
            keychain(&dir)
                .get(&handle_for("default-alertmanager", "webhookSecret"))
                .expect("the default receiver's secret in the keychain")
                .expose()
                .clone()
        })
        .join()
        .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie header a browser gets after the token trade.
    pub fn cookie(&self) -> String {
        format!("causeway_session={}", self.session)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let r = reqwest::Client::new()
            .get(self.url(path))
            .header("cookie", self.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// Any API call with the session cookie: its status and JSON answer
    /// (`null` when it has none).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let c = reqwest::Client::new();
        let mut r = match method {
            "POST" => c.post(self.url(path)),
            "PATCH" => c.patch(self.url(path)),
            "DELETE" => c.delete(self.url(path)),
            _ => c.get(self.url(path)),
        }
        .header("cookie", self.cookie())
        // The UI's own requests name their origin.
        .header("origin", &self.base);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or_default())
    }

    /// A delivery to the default Alertmanager receiver, with its secret.
    pub async fn post_webhook(&self, body: Vec<u8>) -> (u16, serde_json::Value) {
        let r = reqwest::Client::new()
            .post(self.url("/webhooks/alertmanager/default"))
            .header("content-type", "application/json")
            .bearer_auth(self.receiver_secret())
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or_default())
    }

    /// Polls `path` until `done` holds (the pipeline is asynchronous after 202).
    pub async fn wait_for(
        &self,
        path: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.get_json(path).await;
            if done(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {path}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// SIGKILL: no shutdown hook runs.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every Alertmanager fixture with its alert count.
pub fn alertmanager_fixtures() -> Vec<(String, Vec<u8>, usize)> {
    let dir = format!("{FIXTURES}/webhooks/alertmanager");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let body = std::fs::read(&p).unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let n = v["alerts"].as_array().unwrap().len();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                body,
                n,
            )
        })
        .collect();
    out.sort();
    out
}
