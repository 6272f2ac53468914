//! What senders on the network, another data folder and slow or flooding
//! clients can do to a running `causeway serve`: each test plays that part
//! against the real process (docs/security.md).

mod common;
use causeway_connectors::secrets::handle_for;
use common::*;
use hmac::{Hmac, Mac};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn github_sig(secret: &str, body: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    m.update(body);
    let hex: String = m
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

const PUSH: &[u8] = br#"{"ref":"refs/heads/main","after":"abc","repository":{"full_name":"shop/cart"},"pusher":{"name":"dev"},"head_commit":{"id":"abc","message":"fix","timestamp":"2026-11-20T03:00:00Z"}}"#;

/// A GitHub delivery, signed with `secret`.
async fn github(s: &Server, secret: &str, delivery: &str) -> u16 {
    reqwest::Client::new()
        .post(s.url("/webhooks/github/default"))
        .header("content-type", "application/json")
        .header("x-github-event", "push")
        .header("x-github-delivery", delivery)
        .header("x-hub-signature-256", github_sig(secret, PUSH))
        .body(PUSH)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `causeway connectors …` on a data folder, the secret from the environment.
fn connectors(dir: &std::path::Path, args: &[&str], secret: Option<&str>) -> String {
    keychain_service();
    let mut c = std::process::Command::new(BIN);
    c.arg("connectors").args(args).arg("--data-dir").arg(dir);
    if let Some(v) = secret {
        c.env("CW_SECRET", v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Two data folders both add `github` named `gh` (the same instance id):
/// each keeps its own secret, and removing it in one leaves the other.
#[tokio::test]
async fn two_data_dirs_keep_their_own_secrets() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let add = [
        "add",
        "--type",
        "github",
        "--name",
        "gh",
        "--secret-env",
        "webhookSecret=CW_SECRET",
    ];
    let id = connectors(a.path(), &add, Some("first-folder-secret"));
    assert_eq!(connectors(b.path(), &add, Some("second-folder-secret")), id);
    let s = Server::start(a.path(), &[]);
    assert_eq!(github(&s, "first-folder-secret", "d-1").await, 202);
    assert_eq!(github(&s, "second-folder-secret", "d-2").await, 401);
    connectors(b.path(), &["remove", &id], None);
    assert_eq!(github(&s, "first-folder-secret", "d-3").await, 202);
    assert_eq!(
        keychain(a.path())
            .get(&handle_for(&id, "webhookSecret"))
            .unwrap()
            .expose(),
        "first-folder-secret"
    );
    assert!(keychain(b.path())
        .get(&handle_for(&id, "webhookSecret"))
        .is_err());
}

/// Forged deliveries spend a budget of their own: after a flood of them the
/// real sender still gets in, and the forger gets 429.
#[tokio::test]
async fn forged_floods_do_not_starve_a_real_sender() {
    let dir = tempfile::tempdir().unwrap();
    let id = connectors(
        dir.path(),
        &[
            "add",
            "--type",
            "github",
            "--name",
            "gh",
            "--secret-env",
            "webhookSecret=CW_SECRET",
        ],
        Some("the-real-secret"),
    );
    assert_eq!(id, "github-gh");
    let s = Server::start(dir.path(), &[]);
    let mut forged = std::collections::BTreeMap::new();
    for i in 0..200 {
        *forged
            .entry(github(&s, "a-forgers-guess", &format!("f-{i}")).await)
            .or_insert(0) += 1;
    }
    assert!(forged[&401] >= 30 && forged[&429] >= 100, "{forged:?}");
    assert_eq!(github(&s, "the-real-secret", "real-1").await, 202);
    // Retry-After tells the forger when to come back.
    let r = reqwest::Client::new()
        .post(s.url("/webhooks/github/default"))
        .header("x-hub-signature-256", "sha256=00")
        .body(PUSH)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
}

/// A storm: Alertmanager posts thousands of alert groups at once to the
/// default receiver, and every one is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_sized_burst_to_the_default_receiver_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let (url, secret) = (s.url("/webhooks/alertmanager/default"), s.receiver_secret());
    let c = reqwest::Client::new();
    let n = 3000;
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let (c, url, secret) = (c.clone(), url.clone(), secret.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            for i in (worker..n).step_by(16) {
                let body = format!(
                    r#"{{"version":"4","status":"firing","groupKey":"g{i}","alerts":[{{"status":"firing","fingerprint":"fp{i}","labels":{{"alertname":"Storm{i}","severity":"warning","pod":"web-{i}"}},"startsAt":"2026-11-20T03:00:00Z"}}]}}"#
                );
                let r = c
                    .post(&url)
                    .header("content-type", "application/json")
                    .bearer_auth(&secret)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.unwrap());
    }
    assert_eq!(all.len(), n);
    let refused: Vec<_> = all.iter().filter(|s| **s != 202).collect();
    assert!(
        refused.is_empty(),
        "{} of {n} refused: {:?}",
        refused.len(),
        &refused[..refused.len().min(5)]
    );
}

/// Raw TCP to the server's port.
fn connect(s: &Server) -> std::net::TcpStream {
    let c = std::net::TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c
}

/// Waits until the server closes `c` (reads to EOF, or a reset); how long.
fn closed_after(mut c: std::net::TcpStream, started: Instant) -> Duration {
    let mut buf = [0u8; 1024];
    loop {
        match c.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

/// Clients that send headers or a body a byte at a time, or announce a body
/// and never send it, are cut within seconds; others are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let started = Instant::now();
    let mut trickling = Vec::new();
    for _ in 0..8 {
        let mut c = connect(&s);
        c.write_all(b"POST /webhooks/alertmanager/default HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .unwrap();
        trickling.push(c);
    }
    // A body announced and never sent (within the size limit: over it is
    // refused at once).
    let mut stalled = connect(&s);
    stalled
        .write_all(
            format!(
                "POST /webhooks/alertmanager/default HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{",
                s.receiver_secret()
            )
            .as_bytes(),
        )
        .unwrap();
    let mut huge = connect(&s);
    huge.write_all(
        b"POST /webhooks/alertmanager/default HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    huge.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3));
    // Others are served while the slow ones hang on.
    let h = reqwest::get(s.url("/healthz")).await.unwrap();
    assert_eq!(h.status(), 200);
    let trickler = std::thread::spawn(move || {
        // One more header byte a second on each: never a whole head.
        let mut left = trickling;
        let mut times = Vec::new();
        while !left.is_empty() {
            std::thread::sleep(Duration::from_secs(1));
            left.retain_mut(|c| {
                if c.write_all(b"X").is_ok() && started.elapsed() < Duration::from_secs(40) {
                    true
                } else {
                    times.push(started.elapsed());
                    false
                }
            });
        }
        times
    });
    let stalled_answer = std::thread::spawn(move || {
        let mut a = String::new();
        let _ = stalled.read_to_string(&mut a);
        (a, started.elapsed())
    });
    let (a, at) = stalled_answer.join().unwrap();
    assert!(a.starts_with("HTTP/1.1 408"), "{a}");
    assert!(at < Duration::from_secs(15), "{at:?}");
    for t in trickler.join().unwrap() {
        assert!(
            t < Duration::from_secs(15),
            "a trickling client was held {t:?}"
        );
    }
    // An idle connection (nothing sent) is closed too.
    let idle = connect(&s);
    let held = closed_after(idle, Instant::now());
    assert!(held < Duration::from_secs(15), "{held:?}");
}

/// Listening beyond loopback takes `--allow-remote`; then `/metrics` wants a
/// token like the API.
#[tokio::test]
async fn listening_on_every_interface_takes_allow_remote() {
    let dir = tempfile::tempdir().unwrap();
    let refused = Server::spawn(dir.path(), &["--listen", "0.0.0.0:0"]);
    let e = refused.err().expect("refused without --allow-remote");
    assert!(e.contains("--allow-remote") && e.contains("TLS"), "{e}");
    let s = Server::spawn(dir.path(), &["--listen", "0.0.0.0:0", "--allow-remote"]).unwrap();
    assert!(s.base.starts_with("http://127.0.0.1:"), "{}", s.base);
    let r = reqwest::get(s.url("/metrics")).await.unwrap();
    assert_eq!(r.status(), 401);
    let out = std::process::Command::new(BIN)
        .args(["token", "issue", "--scope", "admin", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let admin = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let r = reqwest::Client::new()
        .get(s.url("/metrics"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("causeway_events_received_total"));
    // On loopback /metrics stays open (Prometheus on the same machine).
    let local = tempfile::tempdir().unwrap();
    let l = Server::start(local.path(), &[]);
    assert_eq!(reqwest::get(l.url("/metrics")).await.unwrap().status(), 200);
}

/// Other users of the machine read nothing of the data folder.
#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_is_the_owners_alone() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let s = Server::start(&dir, &[]);
    s.post_webhook(br#"{"version":"4","alerts":[]}"#.to_vec())
        .await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for f in ["causeway.db", "causeway.db-wal", "causeway.db-shm"] {
        assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
    }
}

/// Random URLs grow neither `/metrics` nor the log.
#[tokio::test]
async fn random_urls_do_not_grow_metrics_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let c = reqwest::Client::new();
    for i in 0..300 {
        let name = format!("{i:04}{}", "z".repeat(2000));
        // Half too big (413 before anything else), half to no instance (404).
        let body = if i % 2 == 0 {
            vec![b' '; 300 * 1024]
        } else {
            b"{}".to_vec()
        };
        let r = c
            .post(s.url(&format!("/webhooks/{name}/p")))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), if i % 2 == 0 { 413 } else { 404 });
    }
    let m = s.metrics().await;
    assert!(!m.contains("zzzz"), "URL text in /metrics");
    assert!(m.len() < 20_000, "{} bytes", m.len());
    assert!(
        m.contains("causeway_events_rejected_total{connector=\"unknown\"} 150"),
        "{m}"
    );
    let log = s.log.lock().unwrap().clone();
    let lines = log
        .lines()
        .filter(|l| l.contains("webhook refused"))
        .count();
    assert!(lines <= 25, "{lines} log lines for 300 refusals");
    assert!(!log.contains(&"z".repeat(100)), "URL text in the log");
}
