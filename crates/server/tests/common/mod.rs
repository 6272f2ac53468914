//! A real `causeway serve` process on a temp data dir, for the HTTP tests.
//! Each test binary uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_causeway");
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

/// A loopback port free right now (for a peer the test starts itself).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub token: String,
}

impl Server {
    /// Starts `causeway serve` and waits for its login-URL line.
    pub fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("CAUSEWAY_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn causeway serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let line = line.trim().to_string();
        let (base, token) = line
            .split_once("/?token=")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        Server {
            child,
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The session cookie header a browser gets after the token trade.
    pub fn cookie(&self) -> String {
        format!("causeway_session={}", self.token)
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
        .header("cookie", self.cookie());
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or_default())
    }

    pub async fn post_webhook(&self, body: Vec<u8>) -> (u16, serde_json::Value) {
        let r = reqwest::Client::new()
            .post(self.url("/webhooks/alertmanager/default"))
            .header("content-type", "application/json")
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
