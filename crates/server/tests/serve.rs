//! `causeway serve` as a user and Alertmanager meet it: a real process, real
//! HTTP, a real SQLite file.

mod common;
use common::*;

#[tokio::test]
async fn serve_prints_the_login_url_writes_its_address_and_guards_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let addr = std::fs::read_to_string(dir.path().join("serve.addr")).unwrap();
    assert_eq!(format!("http://{addr}"), s.base);
    assert_eq!(s.token.len(), 67);

    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let h: serde_json::Value = c
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h, serde_json::json!({"status": "ok"}));

    // The printed link opened the harness's session, and is spent: the
    // token in the terminal's history opens nothing more.
    let status = |url: String| {
        let c = c.clone();
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(s.url(&format!("/?token={}", s.token))).await, 401);
    assert_eq!(status(s.url("/?token=cw_wrong")).await, 401);
    // `causeway login` makes another link: traded once for an HttpOnly
    // cookie that holds a session id, not the link's token.
    let token = s.new_login_token();
    let r = c
        .get(s.url(&format!("/?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("causeway_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains(&token),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let r = c
        .get(s.url("/api/incidents"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(status(s.url(&format!("/?token={token}"))).await, 401);
    // The token as a cookie is no session.
    let r = c
        .get(s.url("/api/incidents"))
        .header("cookie", format!("causeway_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // No session: 401 with {code, message}.
    let r = c.get(s.url("/api/incidents")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "unauthorized");
    assert!(e["message"].as_str().unwrap().len() > 10);

    // Bearer tokens: admin passes, ingest is forbidden here.
    let issue = |scope: &str| {
        let out = std::process::Command::new(BIN)
            .args(["token", "issue", "--scope", scope, "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let admin = issue("admin");
    let r = c
        .get(s.url("/api/incidents"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["incidents"].is_array());
    let r = c
        .get(s.url("/api/incidents"))
        .bearer_auth(issue("ingest"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The token itself is stored nowhere, only its hash.
    let db = std::fs::read(dir.path().join("causeway.db")).unwrap();
    let wal = std::fs::read(dir.path().join("causeway.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(admin.len()).any(|w| w == admin.as_bytes()));
    }
    let bad = std::process::Command::new(BIN)
        .args(["token", "issue", "--scope", "root", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'ingest' or 'admin'"));
}

#[tokio::test]
async fn every_alertmanager_fixture_is_accepted_and_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let mut alerts = 0;
    for (name, body, n) in alertmanager_fixtures() {
        let (status, v) = s.post_webhook(body).await;
        assert_eq!(status, 202, "{name}");
        assert_eq!(v, serde_json::json!({"accepted": n}), "{name}");
        alerts += n;
    }
    // Killed right after the last 202: whatever was accepted is on disk.
    s.kill9();
    let s = Server::start(dir.path(), &[]);
    // The alertmanager-bot firing + resolved pair is one signal.
    let want = alerts - 1;
    let v = s
        .wait_for("/api/signals", |v| {
            v["signals"].as_array().unwrap().len() == want
        })
        .await;
    let titles: Vec<&str> = v["signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"High CPU core temperature"));
    assert!(titles.contains(&"Connect fail"));
    let inc = s
        .wait_for("/api/incidents", |v| {
            !v["incidents"].as_array().unwrap().is_empty()
        })
        .await;
    let first = &inc["incidents"][0];
    for key in [
        "id",
        "title",
        "severity",
        "status",
        "pattern",
        "rootCause",
        "signalCount",
        "openedAt",
        "updatedAt",
    ] {
        assert!(
            first.get(key).is_some(),
            "incident list item lacks {key}: {first}"
        );
    }
    let detail = s
        .get_json(&format!("/api/incidents/{}", first["id"].as_str().unwrap()))
        .await;
    for key in [
        "signals",
        "timeline",
        "graph",
        "rootCause",
        "impacted",
        "insight",
    ] {
        assert!(detail.get(key).is_some(), "incident detail lacks {key}");
    }
    let link = &detail["signals"][0]["link"];
    assert!(
        link["strategy"].is_string()
            && link["confidence"].is_string()
            && link["explanation"].is_string(),
        "{link}"
    );
    let un = s.get_json("/api/signals?unassigned=true").await;
    assert_eq!(
        un["signals"].as_array().unwrap().len(),
        4,
        "the three info alerts and the lone warning"
    );
    let metrics = s.metrics().await;
    assert!(
        metrics.contains("causeway_incidents_created_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn bad_bodies_get_clear_statuses_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let raw = b"{\"alerts\": [ this is not json \xff".to_vec();
    let (status, e) = s.post_webhook(raw.clone()).await;
    assert_eq!(status, 400);
    assert_eq!(e["code"], "bad_request");
    let dl = s.get_json("/api/dead-letters").await;
    let first = &dl["deadLetters"][0];
    assert_eq!(first["connectorId"], "alertmanager");
    use base64_check::decode;
    assert_eq!(
        decode(first["rawBase64"].as_str().unwrap()),
        raw,
        "the exact bytes"
    );
    assert!(first["error"].as_str().unwrap().contains("not JSON"));
    for key in ["id", "receivedAt"] {
        assert!(first.get(key).is_some());
    }

    let c = reqwest::Client::new();
    // Without a topology, "what if" says how to give it one.
    let r = c
        .get(s.url("/api/topology/impact?entity=node/n1"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("--topology"), "{e}");
    let r = c
        .get(s.url("/api/topology/impact?entity=nonsense"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(s.url("/webhooks/alertmanager/default"))
        .header("content-type", "text/plain")
        .bearer_auth(s.receiver_secret())
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = c
        .post(s.url("/webhooks/nosuch/default"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = c
        .post(s.url("/webhooks/alertmanager/otherproject"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let big = vec![b' '; 300 * 1024];
    let r = c
        .post(s.url("/webhooks/alertmanager/default"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let e: serde_json::Value = r.json().await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("256 KB"), "{e}");
    assert!(s
        .metrics()
        .await
        .contains("causeway_events_rejected_total{connector=\"alertmanager\"} 1"));
    let dl = s.get_json("/api/dead-letters").await;
    assert_eq!(
        dl["deadLetters"].as_array().unwrap().len(),
        2,
        "the 400 and the 415"
    );
}

#[tokio::test]
async fn the_demo_and_live_updates() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &["--demo"]);
    // Done when the storm's last line (the memory alert's resolve) is in.
    let v = s
        .wait_for("/api/incidents", |v| {
            v["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["updatedAt"] == "2026-11-20T03:11:30.000Z")
        })
        .await;
    // Over Online Boutique's call graph the storm is one cascade: redis-cart
    // runs out of memory, cartservice fails, the frontend slows.
    assert_eq!(v["incidents"].as_array().unwrap().len(), 1, "{v}");
    let top = &v["incidents"][0];
    assert!(
        top["title"].as_str().unwrap().contains("redis-cart"),
        "{top}"
    );
    assert_eq!(top["rootCause"]["entity"], "deployment/boutique/redis-cart");
    assert_eq!(top["pattern"], "cascading_failure");
    let d = s
        .get_json(&format!("/api/incidents/{}", top["id"].as_str().unwrap()))
        .await;
    let impacted: Vec<&str> = d["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        impacted.contains(&"service/boutique/cartservice")
            && impacted.contains(&"service/boutique/frontend"),
        "{impacted:?}"
    );
    assert!(d["signals"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["link"]["strategy"] == "topology"));
    // "What if it fails?" works for any entity, before anything does.
    let what_if = s
        .get_json("/api/topology/impact?entity=deployment/boutique/cartservice")
        .await;
    assert_eq!(what_if["known"], true);
    let names: Vec<&str> = what_if["impacted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"service/boutique/frontend")
            && !names.contains(&"service/boutique/adservice"),
        "{names:?}"
    );
    assert!(
        what_if["paths"][0][0].as_str().unwrap().contains(" calls ")
            || what_if["paths"][0][0]
                .as_str()
                .unwrap()
                .contains(" selects ")
    );

    // The event stream tells the UI when something changes.
    let mut events = reqwest::Client::new()
        .get(s.url("/api/events"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let body = br#"{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"KubePodCrashLooping","namespace":"e2e","pod":"web-7d9f8b6c5-x2b4k","severity":"critical"},"annotations":{"summary":"Pod e2e/web is crash looping"},"startsAt":"2026-11-20T04:00:00Z","fingerprint":"e2e0000000000001"}]}"#;
    let (status, _) = s.post_webhook(body.to_vec()).await;
    assert_eq!(status, 202);
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("incidentsChanged") {
        let chunk = tokio::time::timeout_at(deadline, events.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(
        seen.contains("data: {\"type\":\"incidentsChanged\""),
        "{seen}"
    );
    // Restarting with --demo on a non-empty store does not load it twice.
    drop(events);
    s.kill9();
    let s = Server::start(dir.path(), &["--demo"]);
    let v = s.get_json("/api/incidents").await;
    assert_eq!(v["incidents"].as_array().unwrap().len(), 2);
}

/// Minimal standard base64 decoding, so the test checks the bytes itself.
mod base64_check {
    pub fn decode(s: &str) -> Vec<u8> {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut buf, mut bits) = (0u32, 0);
        for c in s.bytes().filter(|c| *c != b'=') {
            buf = (buf << 6) | A.iter().position(|a| *a == c).unwrap() as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
            }
        }
        out
    }
}

#[tokio::test]
async fn hostile_bodies_get_4xx_or_202_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let fixture = alertmanager_fixtures().remove(0).1;
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    // Truncations of a real payload, garbage bytes, deep nesting, wrong types.
    for cut in (0..fixture.len()).step_by(fixture.len() / 30 + 1) {
        bodies.push(fixture[..cut].to_vec());
    }
    bodies.push(vec![0xff, 0x00, 0xfe]);
    bodies.push(format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes());
    bodies.push(br#"{"alerts": "nope"}"#.to_vec());
    bodies.push(br#"{"alerts": [null, 1, "x", {"labels": 7}]}"#.to_vec());
    bodies.push(
        br#"{"alerts": [{"labels": {"alertname": {"deep": [1,2]}}, "startsAt": 12}]}"#.to_vec(),
    );
    let mut refused = 0;
    for b in &bodies {
        let (status, _) = s.post_webhook(b.clone()).await;
        assert!(
            [202, 400].contains(&status),
            "status {status} for {:?}",
            String::from_utf8_lossy(&b[..b.len().min(80)])
        );
        refused += usize::from(status == 400);
    }
    assert!(refused > 20);
    // Everything refused is kept; so are the two accepted bodies whose shape
    // is wrong ("alerts" not an array, an alert not an object). Odd label
    // values are dropped, not fatal, so that payload yields a signal.
    let dl = s
        .wait_for("/api/dead-letters", |v| {
            v["deadLetters"].as_array().unwrap().len() == refused + 2
        })
        .await;
    assert!(dl["deadLetters"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| !d["error"].as_str().unwrap().is_empty()));
    let h = reqwest::get(s.url("/healthz")).await.unwrap();
    assert_eq!(h.status(), 200);
}

#[tokio::test]
async fn a_dead_letter_is_replayed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    // JSON, but not Alertmanager's shape: accepted, then dead-lettered.
    let (status, _) = s
        .post_webhook(br#"{"receiver":"x","alerts":{"oops":1}}"#.to_vec())
        .await;
    assert_eq!(status, 202);
    s.wait_for("/api/dead-letters", |v| {
        v["deadLetters"].as_array().unwrap().len() == 1
    })
    .await;
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(args)
            .arg("--data-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let list = cli(&["dead-letters", "list"]);
    assert!(
        list.contains("alertmanager") && list.contains("no 'alerts' array"),
        "{list}"
    );
    let id = list.split_whitespace().next().unwrap().to_string();
    let out = cli(&["dead-letters", "replay", &id]);
    assert!(out.contains("back in the inbox"), "{out}");
    // The running server picks it up by itself, and it fails again the same
    // way: a new dead letter, the old one marked re-played.
    let v = s
        .wait_for("/api/dead-letters", |v| {
            let d = v["deadLetters"].as_array().unwrap();
            d.len() == 1 && d[0]["id"].as_i64().map(|n| n.to_string()) != Some(id.clone())
        })
        .await;
    assert!(v["deadLetters"][0]["error"]
        .as_str()
        .unwrap()
        .contains("no 'alerts' array"));
}

#[tokio::test]
async fn a_user_descriptor_in_the_data_dir_adds_a_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("descriptors")).unwrap();
    let acme = serde_json::json!({
        "id": "acme-monitor", "name": "Acme Monitor", "description": "Acme's uptime checks",
        "category": "Custom", "icon": "acme", "kind": "generic", "version": "1.0.0",
        "auth": {"type": "none"}, "ingestion": {"mode": "webhook"},
        "mapping": {"sourceType": "ACME", "title": "{{ root.check }} is {{ root.state }}",
                    "status": {"path": "$.root.state", "map": {"down": "firing", "up": "resolved"}},
                    "severity": {"path": "$.root.level", "default": "high"}},
        "configSchema": {"type": "object"}
    });
    std::fs::write(dir.path().join("descriptors/acme.json"), acme.to_string()).unwrap();
    let s = Server::start(dir.path(), &[]);
    let cat = s.get_json("/api/connectors/catalogue").await;
    assert!(cat["connectors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "acme-monitor"));
    let r = reqwest::Client::new()
        .post(s.url("/api/connectors/instances"))
        .header("cookie", s.cookie())
        .header("origin", s.base.as_str())
        .json(&serde_json::json!({"descriptorId": "acme-monitor", "name": "Acme"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = reqwest::Client::new()
        .post(s.url("/webhooks/acme-monitor/default"))
        .json(&serde_json::json!({"check": "checkout page", "state": "down"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let v = s
        .wait_for("/api/signals", |v| {
            !v["signals"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(v["signals"][0]["title"], "checkout page is down");
    assert_eq!(v["signals"][0]["sourceType"], "ACME");
}
