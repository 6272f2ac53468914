//! Pull connectors against a real Prometheus and Alertmanager (Debian's
//! `prometheus` and `prometheus-alertmanager`) on loopback ports: a rule
//! fires against a scrape target the test stops, then resolves when the
//! target is back. Everything is set up through the HTTP API alone, the way
//! a user would, against a real `causeway serve`.

mod common;
use causeway_connectors::secrets::handle_for;
use causeway_testkit::keyring as test_keyring;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A daemon killed when the test ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon(bin: &str, args: &[String], log: &Path) -> Daemon {
    let out = std::fs::File::create(log).unwrap();
    Daemon(
        Command::new(bin)
            .args(args)
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin}: {e} (Debian: apt-get install prometheus prometheus-alertmanager)")
            }),
    )
}

/// A scrape target on `port` serving a tiny exposition until aborted.
fn target(port: u16) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::spawn(async move {
        let l = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let body = "# TYPE web_ok gauge\nweb_ok 1\n";
                let _ = s
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .await;
            });
        }
    })
}

async fn wait_ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(url).await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < deadline, "{url} did not come up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The timeline's evidence lines of an incident detail.
fn evidence_lines(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["kind"] == "evidence")
        .filter_map(|e| e["text"].as_str().map(str::to_string))
        .collect()
}

/// The end of the window an evidence line names ("… (START to END)").
fn window_end(line: &str) -> Option<String> {
    let inside = line.rsplit_once('(')?.1.strip_suffix(')')?;
    Some(inside.split_once(" to ")?.1.to_string())
}

/// How many range queries Prometheus answered, from its own metrics.
async fn query_ranges(prom: &str) -> u64 {
    let text = reqwest::get(format!("{prom}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("prometheus_http_requests_total{")
                && l.contains("handler=\"/api/v1/query_range\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

fn signal<'a>(v: &'a Value, source: &str, alert: &str) -> Option<&'a Value> {
    v["signals"]
        .as_array()?
        .iter()
        .find(|s| s["sourceType"] == source && s["tags"]["alertname"] == alert)
}

#[tokio::test]
async fn a_prometheus_alert_fires_and_resolves_through_the_pull_connectors() {
    test_keyring::ensure();
    let service = format!("causeway-pull-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (tport, pport, aport) = (free_port(), free_port(), free_port());
    std::fs::write(
        w.join("am.yml"),
        "route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: blackhole\n",
    )
    .unwrap();
    std::fs::write(
        w.join("rules.yml"),
        "groups:\n  - name: web\n    interval: 1s\n    rules:\n      - alert: TargetDown\n        expr: up{job=\"web\"} == 0\n        labels:\n          severity: critical\n          namespace: shop\n          deployment: web\n        annotations:\n          summary: Target {{ $labels.instance }} is down\n",
    )
    .unwrap();
    std::fs::write(
        w.join("prom.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [\"{}\"]\nalerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:{aport}\"]\nscrape_configs:\n  - job_name: web\n    scrape_timeout: 500ms\n    static_configs:\n      - targets: [\"127.0.0.1:{tport}\"]\n",
            w.join("rules.yml").display()
        ),
    )
    .unwrap();
    let up = target(tport);
    let _am = daemon(
        "prometheus-alertmanager",
        &[
            format!("--config.file={}", w.join("am.yml").display()),
            format!("--storage.path={}", w.join("am-data").display()),
            format!("--web.listen-address=127.0.0.1:{aport}"),
            "--cluster.listen-address=".into(),
        ],
        &w.join("am.log"),
    );
    let _prom = daemon(
        "prometheus",
        &[
            format!("--config.file={}", w.join("prom.yml").display()),
            format!("--storage.tsdb.path={}", w.join("prom-data").display()),
            format!("--web.listen-address=127.0.0.1:{pport}"),
        ],
        &w.join("prom.log"),
    );
    let prom_url = format!("http://127.0.0.1:{pport}");
    let am_url = format!("http://127.0.0.1:{aport}");
    wait_ready(&format!("{prom_url}/-/ready")).await;
    wait_ready(&format!("{am_url}/-/ready")).await;

    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let token = "prom-bearer-7f3a9c0d2e4b6a8c";

    // Test before creating: the setup form's "Test connection".
    let (st, t) = s
        .api(
            "POST",
            "/api/connectors/test",
            Some(json!({
        "descriptorId": "prometheus", "name": "Local",
        "config": {"baseUrl": prom_url, "auth": "bearer"}, "secrets": {"token": token}})),
        )
        .await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(t["ok"], true, "{t}");
    assert!(t["latencyMs"].is_u64());
    let sent = t["requests"][0].to_string();
    assert!(
        sent.contains("/api/v1/alerts") && sent.contains("Bearer ***"),
        "{sent}"
    );
    assert!(
        !t.to_string().contains(token),
        "the test shows no secret: {t}"
    );

    let (st, inst) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({
        "descriptorId": "prometheus", "projectId": "default", "name": "Local",
        "config": {"baseUrl": prom_url, "auth": "bearer", "pollIntervalMs": 1000},
        "secrets": {"token": token}})),
        )
        .await;
    assert_eq!(st, 201, "{inst}");
    let id = inst["id"].as_str().unwrap().to_string();
    let (st, am) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({
        "descriptorId": "alertmanager", "projectId": "default", "name": "Pull",
        "config": {"baseUrl": am_url, "pollIntervalMs": 1000}})),
        )
        .await;
    assert_eq!(st, 201, "{am}");
    // A broken upstream beside them: nothing listens there.
    let dead = free_port();
    let (st, broken) = s.api("POST", "/api/connectors/instances", Some(json!({
        "descriptorId": "prometheus", "projectId": "default", "name": "Gone",
        "config": {"baseUrl": format!("http://127.0.0.1:{dead}"), "pollIntervalMs": 1000,
                   "maxRetries": 0, "retryConfig": {"baseDelayMs": 200, "maxDelayMs": 400, "jitterRatio": 0}}}))).await;
    assert_eq!(st, 201, "{broken}");
    let (st, t) = s
        .api(
            "POST",
            &format!("/api/connectors/instances/{id}/test"),
            None,
        )
        .await;
    assert_eq!((st, &t["ok"]), (200, &json!(true)), "{t}");

    // The secret is in the keychain and in no file of the data dir.
    let kept = keychain(data.path())
        .get(&handle_for(&id, "token"))
        .unwrap();
    assert_eq!(kept.expose(), token);
    for e in std::fs::read_dir(data.path()).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let bytes = std::fs::read(&p).unwrap();
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{} holds the secret",
                p.display()
            );
        }
    }

    // The target goes away: TargetDown fires, and is pulled from both.
    up.abort();
    let v = s
        .wait_for("/api/signals", |v| {
            signal(v, "PROMETHEUS", "TargetDown").is_some_and(|s| s["status"] == "firing")
                && signal(v, "ALERTMANAGER", "TargetDown").is_some_and(|s| s["status"] == "firing")
        })
        .await;
    let p = signal(&v, "PROMETHEUS", "TargetDown").unwrap().clone();
    assert_eq!(p["severity"], "critical");
    assert_eq!(p["entity"], "deployment/shop/web");
    assert_eq!(p["title"], format!("Target 127.0.0.1:{tport} is down"));
    let a = signal(&v, "ALERTMANAGER", "TargetDown").unwrap().clone();
    assert_eq!(
        p["fingerprint"], a["fingerprint"],
        "one alert, one fingerprint, whichever way it came"
    );

    // The broken one says so, while the others kept polling.
    let b = s
        .wait_for(
            &format!(
                "/api/connectors/instances/{}",
                broken["id"].as_str().unwrap()
            ),
            |v| v["health"]["state"] == "error",
        )
        .await;
    let msg = b["health"]["lastError"].as_str().unwrap();
    assert!(msg.contains("refused the connection"), "{msg}");
    assert_eq!(b["health"]["lastErrorClass"], "retry");
    assert!(
        b["health"]["nextAttemptAt"].is_string(),
        "a retry plan: {b}"
    );
    let (_, good) = s
        .api("GET", &format!("/api/connectors/instances/{id}"), None)
        .await;
    assert_eq!(good["health"]["state"], "healthy", "{good}");
    assert!(good["health"]["polls"].as_i64().unwrap() >= 2);

    // Evidence over the incident's window, collected on its own once the
    // incident is active: the rule's own expression as a range query.
    let incidents = s
        .wait_for("/api/incidents", |v| {
            !v["incidents"].as_array().unwrap().is_empty()
        })
        .await;
    let inc = incidents["incidents"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = s
        .wait_for(&format!("/api/incidents/{inc}"), |v| {
            evidence_lines(v)
                .iter()
                .any(|l| l.contains("evidence TargetDown"))
        })
        .await;
    assert_eq!(detail["status"], "active", "{detail}");
    let auto = evidence_lines(&detail);
    assert!(
        auto[0].contains("up{job=\"web\"} == 0") && auto[0].contains("1 series"),
        "{auto:?}"
    );
    // And on request, with a window of the caller's choosing.
    let (st, ev) = s
        .api(
            "POST",
            &format!("/api/incidents/{inc}/evidence"),
            Some(json!({"windowMinutesBefore": 5})),
        )
        .await;
    assert_eq!(st, 200, "{ev}");
    assert!(ev["collected"].as_u64().unwrap() >= 1, "{ev}");
    let detail = s.get_json(&format!("/api/incidents/{inc}")).await;
    let lines = detail["timeline"].to_string();
    assert!(
        lines.contains("evidence TargetDown") && lines.contains("up{job=\\\"web\\\"} == 0"),
        "{lines}"
    );

    // An incident resolves once its alerts have ended and a quiet period
    // passed (5 min by default); a second is enough here.
    let (_, mut config) = s
        .api(
            "POST",
            "/api/rpc",
            Some(json!({"command": "getCorrelationSettings"})),
        )
        .await;
    config["resolveQuietSecs"] = json!(1);
    let (st, applied) = s
        .api(
            "POST",
            "/api/rpc",
            Some(json!({"command": "applyCorrelationSettings", "args": {"config": config}})),
        )
        .await;
    assert_eq!(st, 200, "{applied}");

    // The target is back: the same signals resolve.
    let _up = target(tport);
    let v = s
        .wait_for("/api/signals", |v| {
            signal(v, "PROMETHEUS", "TargetDown").is_some_and(|s| s["status"] == "resolved")
                && signal(v, "ALERTMANAGER", "TargetDown")
                    .is_some_and(|s| s["status"] == "resolved")
        })
        .await;
    assert_eq!(
        signal(&v, "PROMETHEUS", "TargetDown").unwrap()["id"],
        p["id"]
    );

    // The incident resolves: the evidence is collected once more, its
    // window now reaching past the resolution.
    let detail = s
        .wait_for(&format!("/api/incidents/{inc}"), |v| {
            let Some(resolved) = v["resolvedAt"].as_str() else {
                return false;
            };
            evidence_lines(v)
                .iter()
                .any(|l| window_end(l).is_some_and(|end| end.as_str() >= resolved))
        })
        .await;
    assert_eq!(detail["status"], "resolved");
    // Bounded: the automatic collections (active, resolved) and the one
    // asked for are the only range queries Prometheus saw, and none follow.
    let ranges = query_ranges(&prom_url).await;
    assert!((2..=3).contains(&ranges), "{ranges} range queries");
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(query_ranges(&prom_url).await, ranges, "no further queries");

    let m = s.metrics().await;
    assert!(
        m.contains(&format!(
            "causeway_polls_total{{instance=\"{id}\",outcome=\"ok\"}}"
        )),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "causeway_connector_health{{instance=\"{id}\",state=\"healthy\"}} 1"
        )),
        "{m}"
    );
    // Its signal counts and its last poll are there too.
    for metric in [
        format!("causeway_connector_signals_24h{{instance=\"{id}\"}} 1"),
        format!("causeway_connector_signals_7d{{instance=\"{id}\"}} 1"),
        format!("causeway_connector_last_poll_timestamp_seconds{{instance=\"{id}\"}} "),
        format!("causeway_poll_items_total{{instance=\"{id}\",what=\"published\"}} "),
    ] {
        assert!(m.contains(&metric), "{metric} in {m}");
    }

    // Removing the instance removes its secret.
    let (st, _) = s
        .api("DELETE", &format!("/api/connectors/instances/{id}"), None)
        .await;
    assert_eq!(st, 200);
    assert!(keychain(data.path())
        .get(&handle_for(&id, "token"))
        .is_err());
}
