//! The polling runtime end to end over a real SQLite file and the real
//! keychain, against local fakes of SaaS APIs (the only part that cannot
//! run here) serving recorded responses: Jira's search (jira-cli's recorded
//! API answers) and GitHub's issues (octokit's issue objects).
//!
//! It pages through everything once; the next poll asks only for what
//! changed and publishes nothing unchanged; an update resolves its signal;
//! and every fault — 500s, timeouts, malformed JSON, a pagination loop,
//! refused credentials, DNS and TLS failures — ends in a health state with
//! a message and a retry plan, losing nothing already taken in.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use causeway_app::api::requests::InstanceUpdate;
use causeway_app::App;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{add, secrets, started_app, wait};

#[path = "support/instances.rs"]
mod support;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api");

/// How the fake misbehaves.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Ok,
    Error500,
    Malformed,
    Slow,
    Loop,
}

#[derive(Clone)]
struct Fake {
    issues: Arc<Mutex<Vec<Value>>>,
    requests: Arc<Mutex<Vec<String>>>,
    mode: Arc<Mutex<Mode>>,
    auth: Arc<Mutex<String>>,
}

impl Fake {
    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }
    fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn parse_time(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Jira's `GET /rest/api/2/search`: honours `updated >= "…"` in the JQL,
/// `startAt`, and `maxResults` capped at 2 (a server's own page limit).
async fn jira_search(
    State(f): State<Fake>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    f.requests
        .lock()
        .unwrap()
        .push(format!("jql={} startAt={}", q["jql"], q["startAt"]));
    let want = f.auth.lock().unwrap().clone();
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(
                json!({"errorMessages": ["Client must be authenticated to access this resource."]}),
            ),
        )
            .into_response();
    }
    match f.mode() {
        Mode::Error500 => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"errorMessages": ["Internal server error"]})),
            )
                .into_response()
        }
        Mode::Malformed => {
            return (StatusCode::OK, "{\"issues\": [{\"key\": \"TEST-1\", ").into_response()
        }
        Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
        _ => {}
    }
    let since = q["jql"]
        .split("updated >= \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y/%m/%d %H:%M").ok())
        .map(|t| t.and_utc());
    let mut all: Vec<Value> = f
        .issues
        .lock()
        .unwrap()
        .iter()
        .filter(|i| since.is_none_or(|s| parse_time(i["fields"]["updated"].as_str().unwrap()) >= s))
        .cloned()
        .collect();
    all.sort_by_key(|i| parse_time(i["fields"]["updated"].as_str().unwrap()));
    let start: usize = q["startAt"].parse().unwrap();
    let max: usize = q["maxResults"].parse::<usize>().unwrap().min(2);
    let page: Vec<Value> = all.iter().skip(start).take(max).cloned().collect();
    Json(json!({"startAt": start, "maxResults": max, "total": all.len(), "issues": page}))
        .into_response()
}

/// GitHub's `GET /repos/{o}/{r}/issues`, one page with a `Link: rel="next"`
/// that (in loop mode) points back at itself.
async fn github_issues(
    State(f): State<Fake>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    f.requests.lock().unwrap().push(uri.to_string());
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some("Bearer ghp_fake_token_0123456789")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        )
            .into_response();
    }
    let body = std::fs::read(format!("{FIXTURES}/github-issues/issues.json")).unwrap();
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut r = (StatusCode::OK, body).into_response();
    if f.mode() == Mode::Loop {
        let link = format!("<http://{host}/repos/o/r/issues?page=2>; rel=\"next\"");
        r.headers_mut().insert("link", link.parse().unwrap());
    }
    r.headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    r
}

fn base_time() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    (chrono::Utc::now() - chrono::Duration::days(6))
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap()
}

/// The fake Jira, with its issues updated 20 hours apart from `base`.
async fn start_fake(base: chrono::DateTime<chrono::Utc>) -> (String, Fake) {
    let fixture: Value =
        serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/jira/issues.json")).unwrap())
            .unwrap();
    // The recorded issues, as seven issues updated 20 hours apart over the
    // last six days (inside the first poll's look-back of a week).
    let issues: Vec<Value> = (0..7)
        .map(|n| {
            let mut i = fixture["issues"][n % 3].clone();
            i["key"] = json!(format!("TEST-{}", n + 1));
            let t = (base + chrono::Duration::hours(20 * n as i64))
                .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
                .to_string();
            i["fields"]["updated"] = json!(t);
            i["fields"]["created"] = json!(t);
            i
        })
        .collect();
    let fake = Fake {
        issues: Arc::new(Mutex::new(issues)),
        requests: Arc::default(),
        mode: Arc::new(Mutex::new(Mode::Ok)),
        auth: Arc::new(Mutex::new(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode("ops@example.com:jira-token-abcdef123456")
        ))),
    };
    let app = Router::new()
        .route("/rest/api/2/search", get(jira_search))
        .route("/repos/o/r/issues", get(github_issues))
        .with_state(fake.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

async fn jira_signals(app: &App) -> Vec<causeway_core::Signal> {
    app.drain().await;
    let v = causeway_app::dispatch(
        app,
        causeway_app::Command::ListSignals {
            unassigned: false,
            project: None,
        },
    )
    .await
    .unwrap();
    let list: causeway_app::api::views::SignalList = serde_json::from_value(v).unwrap();
    list.signals
        .into_iter()
        .map(|s| s.signal)
        .filter(|s| s.source_type == "JIRA")
        .collect()
}

fn jira_config(base: &str) -> Value {
    json!({"baseUrl": base, "email": "ops@example.com", "pollIntervalMs": 1000, "jql": "project = TEST",
           "maxRetries": 1, "requestTimeoutMs": 1000,
           "retryConfig": {"baseDelayMs": 50, "maxDelayMs": 200, "jitterRatio": 0}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_pages_through_everything_once_then_asks_only_for_changes() {
    let (_d, app) = started_app("polling-test").await;
    let t0 = base_time();
    let (base, fake) = start_fake(t0).await;
    let id = add(
        &app,
        "jira",
        "Ops",
        jira_config(&base),
        &[("apiToken", "jira-token-abcdef123456")],
    )
    .await;

    // First poll: four pages of two (the server's cap), seven issues.
    let v = wait(&app, &id, "the first poll", |v| {
        v.health.polls >= Some(1) && v.health.items_published == Some(7)
    })
    .await;
    assert_eq!(v.health.state, "healthy", "{:?}", v.health);
    let first: Vec<String> = fake.requests();
    assert_eq!(first.len(), 4, "{first:?}");
    assert!(
        first
            .iter()
            .zip(["0", "2", "4", "6"])
            .all(|(r, s)| r.ends_with(&format!("startAt={s}"))),
        "{first:?}"
    );
    assert!(
        first[0].contains("(project = TEST) AND updated >= \""),
        "{first:?}"
    );
    let signals = jira_signals(&app).await;
    assert_eq!(signals.len(), 7);
    let t3 = signals
        .iter()
        .find(|s| s.external_id.as_deref() == Some("TEST-3"))
        .unwrap();
    assert_eq!(
        t3.status,
        causeway_core::SignalStatus::Resolved,
        "TEST-3 is Done in the recording"
    );
    assert_eq!(t3.title, "TEST-3 Task summary (Done)");
    assert_eq!(
        t3.external_url.as_deref(),
        Some(format!("{base}/browse/TEST-3").as_str())
    );

    // The next poll asks from the newest update (less a day of look-back):
    // only the newest issue comes back, unchanged, so nothing is published.
    let v = wait(&app, &id, "a second poll", |v| {
        v.health.polls >= Some(2) && v.health.last_success_at.is_some()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second: Vec<String> = fake.requests()[4..].to_vec();
    assert_eq!(second.len().min(1), 1);
    let newest = (t0 + chrono::Duration::hours(120) - chrono::Duration::days(1))
        .format("%Y/%m/%d %H:%M")
        .to_string();
    assert!(
        second[0].contains(&newest),
        "asks from the checkpoint: {second:?}"
    );
    let v2 = app.get_instance(id.clone()).await.unwrap();
    assert_eq!(
        v2.health.items_published,
        Some(7),
        "nothing old published again: {:?}",
        v.health
    );
    assert!(v2.health.items_skipped >= Some(1));
    assert_eq!(jira_signals(&app).await.len(), 7);

    // TEST-7 is resolved upstream: the next poll publishes it, the signal resolves.
    {
        let mut issues = fake.issues.lock().unwrap();
        let i = issues.iter_mut().find(|i| i["key"] == "TEST-7").unwrap();
        i["fields"]["status"] = json!({"name": "Done"});
        i["fields"]["resolution"] = json!({"name": "Done"});
        i["fields"]["updated"] = json!(chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string());
    }
    wait(&app, &id, "the change", |v| {
        v.health.items_published == Some(8)
    })
    .await;
    let s = jira_signals(&app).await;
    assert_eq!(s.len(), 7, "the same issue, the same signal");
    let t7 = s
        .iter()
        .find(|s| s.external_id.as_deref() == Some("TEST-7"))
        .unwrap();
    assert_eq!(t7.status, causeway_core::SignalStatus::Resolved);

    // Faults, one after another; each says what is wrong and what happens next,
    // and the seven signals already taken in stay.
    for (mode, state, class, words) in [
        (Mode::Error500, "degraded", "retry", "HTTP 500"),
        (Mode::Slow, "degraded", "retry", "no answer"),
        (Mode::Malformed, "error", "fail", "not JSON"),
    ] {
        fake.set(mode);
        let v = wait(&app, &id, &format!("{mode:?}"), |v| {
            v.health.last_error_class.as_deref() == Some(class)
        })
        .await;
        let msg = v.health.last_error.clone().unwrap();
        assert!(msg.contains(words), "{mode:?}: {msg}");
        assert!(
            ["degraded", "error"].contains(&v.health.state.as_str()),
            "{mode:?}: {}",
            v.health.state
        );
        assert!(
            v.health.state == state || state == "degraded",
            "{mode:?}: {}",
            v.health.state
        );
        assert!(v.health.next_attempt_at.is_some(), "{mode:?}: a retry plan");
        assert_eq!(jira_signals(&app).await.len(), 7, "{mode:?}: nothing lost");
        fake.set(Mode::Ok);
        wait(&app, &id, "recovery", |v| {
            v.health.consecutive_failures == 0
        })
        .await;
    }
    // The malformed answer is kept as it came, in dead letters, and the
    // instance shows degraded while that dead letter waits for a look.
    let dl = causeway_app::dispatch(
        &app,
        causeway_app::Command::ListDeadLetters { project: None },
    )
    .await
    .unwrap();
    assert!(dl.to_string().contains("TEST-1"), "{dl}");
    assert_eq!(
        app.get_instance(id.clone()).await.unwrap().health.state,
        "degraded"
    );

    // Expired credentials: needs re-auth, no retries; a new token heals it.
    *fake.auth.lock().unwrap() = "Basic rotated".into();
    let v = wait(&app, &id, "needs re-auth", |v| {
        v.health.state == "needs_reauth"
    })
    .await;
    assert!(
        v.health
            .last_error
            .as_deref()
            .unwrap()
            .contains("authorise"),
        "{:?}",
        v.health
    );
    assert_eq!(v.health.next_attempt_at, None, "not retried");
    *fake.auth.lock().unwrap() = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ops@example.com:new-token-998877")
    );
    app.update_instance(
        id.clone(),
        InstanceUpdate {
            secrets: secrets(&[("apiToken", "new-token-998877")]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let v = wait(&app, &id, "polling again with the new token", |v| {
        v.health.consecutive_failures == 0
    })
    .await;
    assert_eq!(v.health.last_error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_faults_and_pagination_loops_are_told_apart() {
    let (_d, app) = started_app("polling-test").await;
    let t0 = base_time();
    let (base, fake) = start_fake(t0).await;
    let quick = json!({"pollIntervalMs": 1000, "maxRetries": 0, "requestTimeoutMs": 2000});
    let cfg = |extra: Value| {
        let mut c = quick.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let gh = add(
        &app,
        "github-issues",
        "Loop",
        cfg(json!({"baseUrl": base, "owner": "o", "repo": "r"})),
        &[("token", "ghp_fake_token_0123456789")],
    )
    .await;
    let dns = add(
        &app,
        "github-issues",
        "Dns",
        cfg(json!({"baseUrl": "http://no-such-host.invalid", "owner": "o", "repo": "r"})),
        &[("token", "t")],
    )
    .await;
    let tls = add(
        &app,
        "github-issues",
        "Tls",
        cfg(json!({"baseUrl": base.replace("http://", "https://"), "owner": "o", "repo": "r"})),
        &[("token", "t")],
    )
    .await;

    // A healthy GitHub poll first, then the upstream's Link loops back.
    wait(&app, &gh, "github ok", |v| {
        v.health.state == "healthy" && v.health.items_published >= Some(1)
    })
    .await;
    let before = app
        .get_instance(gh.clone())
        .await
        .unwrap()
        .health
        .items_published;
    fake.set(Mode::Loop);
    let v = wait(&app, &gh, "the loop", |v| {
        v.health
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("pagination loop"))
    })
    .await;
    assert_eq!(v.health.last_error_class.as_deref(), Some("fail"));
    assert!(fake.requests().len() < 40, "the guard stops paging early");
    assert_eq!(
        app.get_instance(gh.clone())
            .await
            .unwrap()
            .health
            .items_published,
        before
    );

    let v = wait(&app, &dns, "dns", |v| v.health.consecutive_failures >= 1).await;
    let m = v.health.last_error.unwrap();
    assert!(
        m.contains("cannot resolve the host name") && m.contains("no-such-host.invalid"),
        "{m}"
    );
    let v = wait(&app, &tls, "tls", |v| v.health.consecutive_failures >= 1).await;
    let m = v.health.last_error.unwrap();
    assert!(m.contains("TLS"), "{m}");
    assert_eq!(
        v.health.state, "error",
        "retrying cannot fix a TLS mismatch"
    );
    // The token never appears in anything shown.
    let all = serde_json::to_string(&app.list_instances(None).await.unwrap()).unwrap();
    assert!(!all.contains("ghp_fake_token_0123456789"));
}
