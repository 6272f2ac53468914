//! The polling runtime's request discipline, end to end over a real SQLite
//! file and the real keychain, against local fakes of SaaS APIs (the only
//! part that cannot run here) answering as their documentation says:
//!
//! - conditional requests: GitHub's `ETag` / `If-None-Match` and a status
//!   page's `Last-Modified` / `If-Modified-Since` — a 304 fetches nothing,
//!   publishes nothing and moves no checkpoint;
//! - the delta modes a descriptor can declare: since-id (Mastodon's
//!   notifications), a delta token (Google Calendar's `syncToken`) and a
//!   resumable cursor (Dropbox's `list_folder/continue`);
//! - pacing: the per-instance requests-per-minute limit, the upstream's
//!   rate-limit headers and its `Retry-After`, judged on the fake's own log
//!   of arrivals (only lower bounds, which load cannot break);
//! - isolation: a hanging upstream never delays another instance, and a
//!   settings change lets the poll in flight finish and commit.
//!
//! The three delta-mode connectors are user descriptors (the way a user
//! adds a source without code); the others are the built-in ones.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use causeway_app::connector_ops::InstanceUpdate;
use causeway_app::instances::{InstanceView, NewInstance};
use causeway_app::App;
use causeway_connectors::secrets::test_keyring;
use causeway_core::Sensitive;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api");

/// One request as the fake saw it.
#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    route: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
    body: String,
    /// The status the fake answered with.
    status: u16,
}

/// What the fake serves; tests change it between polls.
#[derive(Default)]
struct Data {
    gh_issue: Value,
    gh_etag: String,
    status_page: Value,
    last_modified: String,
    /// Mastodon notifications, oldest first.
    notifications: Vec<Value>,
    /// Google Calendar: every change as (sequence, event), oldest first.
    calendar: Vec<(usize, Value)>,
    /// Dropbox: the folder's change log, oldest first.
    dropbox: Vec<Value>,
    /// Feeds of the pacing tests: name → item count.
    feeds: HashMap<String, usize>,
    /// Per feed: requests being answered now, and the most at once.
    in_flight: HashMap<String, (usize, usize)>,
}

#[derive(Clone, Default)]
struct Fake {
    log: Arc<Mutex<Vec<Hit>>>,
    data: Arc<Mutex<Data>>,
}

impl Fake {
    fn hits(&self, route: &str) -> Vec<Hit> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.route == route)
            .cloned()
            .collect()
    }

    fn record(
        &self,
        route: &str,
        query: HashMap<String, String>,
        headers: &HeaderMap,
        body: &[u8],
        status: u16,
    ) -> Instant {
        let at = Instant::now();
        self.log.lock().unwrap().push(Hit {
            at,
            route: route.to_string(),
            query,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
                .collect(),
            body: String::from_utf8_lossy(body).into_owned(),
            status,
        });
        at
    }

    async fn wait_hits(&self, route: &str, n: usize) -> Vec<Hit> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let h = self.hits(route);
            if h.len() >= n {
                return h;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} requests to {route}: {h:#?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

fn json_response(status: StatusCode, headers: &[(&'static str, String)], body: &Value) -> Response {
    let mut r = (status, Json(body.clone())).into_response();
    for (k, v) in headers {
        r.headers_mut().insert(*k, v.parse().expect("header value"));
    }
    r
}

/// GitHub's `GET /repos/{o}/{r}/issues`: a strong validator on the list,
/// 304 with no body when `If-None-Match` names the current one.
async fn github_issues(
    State(f): State<Fake>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (issue, etag) = {
        let d = f.data.lock().unwrap();
        (d.gh_issue.clone(), d.gh_etag.clone())
    };
    let matches = headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(&etag);
    let status = if matches { 304 } else { 200 };
    f.record("github", q, &headers, b"", status);
    if matches {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert("etag", etag.parse().unwrap());
        return r;
    }
    json_response(StatusCode::OK, &[("etag", etag)], &json!([issue]))
}

/// A status page's `GET /api/v2/incidents.json`, served with
/// `Last-Modified`, 304 when `If-Modified-Since` is that date.
async fn statuspage(State(f): State<Fake>, headers: HeaderMap) -> Response {
    let (page, lm) = {
        let d = f.data.lock().unwrap();
        (d.status_page.clone(), d.last_modified.clone())
    };
    let matches = headers
        .get("if-modified-since")
        .and_then(|v| v.to_str().ok())
        == Some(&lm);
    let status = if matches { 304 } else { 200 };
    f.record("statuspage", HashMap::new(), &headers, b"", status);
    if matches {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    json_response(StatusCode::OK, &[("last-modified", lm)], &page)
}

/// Mastodon's `GET /api/v1/notifications`: newest first, only those with
/// an id above `since_id`.
async fn mastodon(
    State(f): State<Fake>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    f.record("mastodon", q.clone(), &headers, b"", 200);
    let since: u64 = q.get("since_id").map_or(0, |s| s.parse().unwrap());
    let mut out: Vec<Value> = f
        .data
        .lock()
        .unwrap()
        .notifications
        .iter()
        .filter(|n| n["id"].as_str().unwrap().parse::<u64>().unwrap() > since)
        .cloned()
        .collect();
    out.reverse();
    Json(out).into_response()
}

/// Google Calendar's `GET /calendar/v3/calendars/primary/events`: without
/// a `syncToken` the full list (pages of `maxResults`, `nextPageToken`);
/// with one, only what changed since; the last page carries `nextSyncToken`.
async fn calendar(
    State(f): State<Fake>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    f.record("calendar", q.clone(), &headers, b"", 200);
    let log = f.data.lock().unwrap().calendar.clone();
    let head = log.last().map_or(0, |c| c.0);
    let after: usize = q
        .get("syncToken")
        .map_or(0, |t| t.trim_start_matches("sync-").parse().unwrap());
    // The latest version of each event changed after `after`.
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for (seq, ev) in &log {
        if *seq > after {
            latest.insert(ev["id"].as_str().unwrap().to_string(), ev.clone());
        } else {
            latest.remove(ev["id"].as_str().unwrap());
        }
    }
    let items: Vec<Value> = latest.into_values().collect();
    let per: usize = q["maxResults"].parse().unwrap();
    let start: usize = q
        .get("pageToken")
        .map_or(0, |t| t.trim_start_matches("page-").parse().unwrap());
    let page: Vec<Value> = items.iter().skip(start).take(per).cloned().collect();
    let mut body = json!({"kind": "calendar#events", "summary": "On call", "items": page});
    if start + per < items.len() {
        body["nextPageToken"] = json!(format!("page-{}", start + per));
    } else {
        body["nextSyncToken"] = json!(format!("sync-{head}"));
    }
    Json(body).into_response()
}

/// Dropbox's `POST /2/files/list_folder` and `/list_folder/continue`: the
/// folder's entries in pages of 2, a cursor after each, `has_more`.
async fn dropbox(
    State(f): State<Fake>,
    Path(op): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    f.record(
        &format!("dropbox/{op}"),
        HashMap::new(),
        &headers,
        &body,
        200,
    );
    let req: Value = serde_json::from_slice(&body).unwrap();
    let from: usize = match op.as_str() {
        "list_folder" => {
            assert_eq!(req["path"], "", "{req}");
            0
        }
        _ => req["cursor"]
            .as_str()
            .expect("a cursor")
            .trim_start_matches("cur-")
            .parse()
            .unwrap(),
    };
    let log = f.data.lock().unwrap().dropbox.clone();
    let page: Vec<Value> = log.iter().skip(from).take(2).cloned().collect();
    let next = from + page.len();
    Json(json!({"entries": page, "cursor": format!("cur-{next}"), "has_more": next < log.len()}))
        .into_response()
}

/// `GET /feed/{name}?page=N&per_page=1`: the pacing tests' upstream. Its
/// behaviour is chosen by the feed's name.
async fn feed(
    State(f): State<Fake>,
    Path(name): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let route = format!("feed/{name}");
    let n_before = f.hits(&route).len();
    let page: usize = q["page"].parse().unwrap();
    let total = f
        .data
        .lock()
        .unwrap()
        .feeds
        .get(&name)
        .copied()
        .unwrap_or(0);
    let items: Vec<Value> = if page <= total {
        vec![
            json!({"id": format!("{name}-{page}"), "title": format!("{name} item {page}"), "state": "open"}),
        ]
    } else {
        vec![]
    };
    let ok = json!({"items": items});
    match name.as_str() {
        "quota" if page == 1 => {
            f.record(&route, q, &headers, b"", 200);
            json_response(
                StatusCode::OK,
                &[
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset", "2".into()),
                ],
                &ok,
            )
        }
        "retry-after" if n_before == 0 => {
            f.record(&route, q, &headers, b"", 429);
            json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &[("retry-after", "2".into())],
                &json!({"message": "API rate limit exceeded"}),
            )
        }
        "retry-later" => {
            f.record(&route, q, &headers, b"", 503);
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &[("retry-after", "600".into())],
                &json!({"message": "down for maintenance"}),
            )
        }
        "hang" | "slow" => {
            f.record(&route, q, &headers, b"", 200);
            {
                let mut d = f.data.lock().unwrap();
                let e = d.in_flight.entry(name.clone()).or_default();
                e.0 += 1;
                e.1 = e.1.max(e.0);
            }
            let wait = if name == "hang" {
                Duration::from_secs(3600)
            } else if n_before == 0 {
                Duration::from_millis(1500)
            } else {
                Duration::ZERO
            };
            tokio::time::sleep(wait).await;
            f.data.lock().unwrap().in_flight.get_mut(&name).unwrap().0 -= 1;
            Json(ok).into_response()
        }
        _ => {
            f.record(&route, q, &headers, b"", 200);
            Json(ok).into_response()
        }
    }
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake::default();
    let app = Router::new()
        .route("/repos/o/r/issues", get(github_issues))
        .route("/api/v2/incidents.json", get(statuspage))
        .route("/api/v1/notifications", get(mastodon))
        .route("/calendar/v3/calendars/primary/events", get(calendar))
        .route("/2/files/{op}", post(dropbox))
        .route("/2/files/list_folder/continue", post(dropbox_continue))
        .route("/feed/{name}", get(feed))
        .with_state(fake.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

async fn dropbox_continue(State(f): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    dropbox(State(f), Path("continue".into()), headers, body).await
}

/// The user descriptors of this file, loaded once per process (the
/// registry is process-wide, as in the app).
fn load_descriptors() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let dir = tempfile::tempdir().unwrap();
        let common = |id: &str, name: &str, polling: Value| {
            json!({
                "id": id, "name": name, "description": format!("{name}, polled (a test descriptor)"),
                "category": "Custom", "icon": id, "kind": "generic", "version": "1.0.0",
                "auth": {"type": "api_key"}, "ingestion": {"mode": "polling"},
                "polling": polling, "configSchema": {"type": "object"}
            })
        };
        let event_mapping = |source: &str, title: &str| {
            json!({"sourceType": source, "idPath": "$.item.id", "title": title,
                   "status": {"default": "info"}, "severity": {"default": "info"}, "kind": "event"})
        };
        let files = [
            common(
                "test-mastodon",
                "Mastodon notifications",
                json!({"baseUrl": "{{ config.baseUrl }}", "intervalSeconds": 60,
                       "auth": {"type": "bearer", "secret": "token"},
                       "streams": [{"name": "notifications",
                         "request": {"path": "/api/v1/notifications", "query": {"limit": "40", "since_id": "{{ sinceId }}"}},
                         "itemsPath": "$[*]", "itemKey": "$.id",
                         "delta": {"type": "since_id", "itemPath": "$.id"},
                         "mapping": event_mapping("MASTODON", "{{ item.type }} from {{ item.account.acct }}")}]}),
            ),
            common(
                "test-gcal",
                "Google Calendar events",
                json!({"baseUrl": "{{ config.baseUrl }}", "intervalSeconds": 60,
                       "streams": [{"name": "events",
                         "request": {"path": "/calendar/v3/calendars/primary/events",
                                     "query": {"maxResults": "2", "pageToken": "{{ pageToken }}", "syncToken": "{{ deltaToken }}"}},
                         "itemsPath": "$.items[*]", "itemKey": "$.id", "versionFields": ["$.etag"],
                         "pagination": {"type": "cursor", "cursorPath": "$.nextPageToken"},
                         "delta": {"type": "token", "path": "$.nextSyncToken"},
                         "mapping": event_mapping("GCAL", "{{ item.summary }} ({{ item.status }})")}]}),
            ),
            common(
                "test-dropbox",
                "Dropbox folder",
                json!({"baseUrl": "{{ config.baseUrl }}", "intervalSeconds": 60,
                       "streams": [{"name": "files",
                         "request": {"method": "POST",
                                     "path": "/2/files/list_folder{% if pageToken %}/continue{% endif %}",
                                     "body": "{% if pageToken %}{\"cursor\": {{ pageToken | tojson }}}{% else %}{\"path\": \"\", \"recursive\": true, \"limit\": 2}{% endif %}"},
                         "itemsPath": "$.entries[*]", "itemKey": "$.path_lower", "versionFields": ["$.rev", "$['.tag']"],
                         "pagination": {"type": "cursor", "cursorPath": "$.cursor", "hasMorePath": "$.has_more"},
                         "delta": {"type": "cursor"},
                         "mapping": event_mapping("DROPBOX", "{{ item.name }} ({{ item['.tag'] }})")}]}),
            ),
            common(
                "test-feed",
                "Paged feed",
                json!({"baseUrl": "{{ config.baseUrl }}", "intervalSeconds": 60,
                       "streams": [{"name": "items",
                         "request": {"path": "/feed/{{ config.feed }}", "query": {"page": "{{ page }}", "per_page": "{{ limit }}"}},
                         "itemsPath": "$.items[*]", "itemKey": "$.id",
                         "pagination": {"type": "page", "limit": 1},
                         "mapping": event_mapping("FEED", "{{ item.title }}")}]}),
            ),
        ];
        for d in files {
            std::fs::write(
                dir.path().join(format!("{}.json", d["id"].as_str().unwrap())),
                d.to_string(),
            )
            .unwrap();
        }
        causeway_connectors::load_user_descriptors(dir.path()).expect("test descriptors load");
    });
}

async fn started_app() -> (tempfile::TempDir, App) {
    test_keyring::ensure();
    std::env::set_var(
        "CAUSEWAY_KEYCHAIN_SERVICE",
        format!("causeway-polling-modes-{}", std::process::id()),
    );
    load_descriptors();
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path()).unwrap();
    app.start();
    (dir, app)
}

async fn add(app: &App, descriptor: &str, name: &str, config: Value, s: &[(&str, &str)]) -> String {
    app.create_instance(NewInstance {
        descriptor_id: descriptor.into(),
        project_id: "default".into(),
        name: name.into(),
        config,
        secrets: s
            .iter()
            .map(|(k, v)| (k.to_string(), Sensitive::new(v.to_string())))
            .collect(),
    })
    .await
    .unwrap()
    .id
}

async fn wait(
    app: &App,
    id: &str,
    what: &str,
    done: impl Fn(&InstanceView) -> bool,
) -> InstanceView {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = app.get_instance(id.to_string()).await.unwrap();
        if done(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            v.health
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn checkpoint(app: &App, id: &str) -> Value {
    let id = id.to_string();
    let raw = app
        .store()
        .read(move |c| causeway_store::instances::checkpoint(c, &id))
        .await
        .unwrap();
    raw.map_or(Value::Null, |r| serde_json::from_str(&r).unwrap())
}

fn fast(base: &str) -> Value {
    json!({"baseUrl": base, "pollIntervalMs": 1000, "maxRetries": 0, "requestTimeoutMs": 5000,
           "retryConfig": {"baseDelayMs": 50, "maxDelayMs": 200, "jitterRatio": 0}})
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_304_fetches_nothing_publishes_nothing_and_moves_no_checkpoint() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    {
        let mut d = fake.data.lock().unwrap();
        let recorded: Value = serde_json::from_slice(
            &std::fs::read(format!("{FIXTURES}/github-issues/issues.json")).unwrap(),
        )
        .unwrap();
        let mut issue = recorded[0].clone();
        issue["updated_at"] = json!((chrono::Utc::now() - chrono::Duration::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        d.gh_issue = issue;
        d.gh_etag = "\"6d82cbb050ddc7fa9cbb659014546e59\"".into();
        d.status_page = serde_json::from_slice(
            &std::fs::read(format!("{FIXTURES}/statuspage/incidents.json")).unwrap(),
        )
        .unwrap();
        d.last_modified = "Fri, 20 Nov 2026 03:03:00 GMT".into();
    }
    let gh = add(
        &app,
        "github-issues",
        "ETag",
        with(fast(&base), json!({"owner": "o", "repo": "r"})),
        &[("token", "ghp_etag_test_0123456789")],
    )
    .await;
    let sp = add(
        &app,
        "statuspage",
        "Last-Modified",
        with(fast(&base), json!({"vendor": "Acme"})),
        &[],
    )
    .await;

    for (id, route, sent, served, items) in [
        (
            &gh,
            "github",
            "if-none-match",
            "\"6d82cbb050ddc7fa9cbb659014546e59\"",
            1,
        ),
        (
            &sp,
            "statuspage",
            "if-modified-since",
            "Fri, 20 Nov 2026 03:03:00 GMT",
            2,
        ),
    ] {
        fake.wait_hits(route, 2).await;
        let after_first = checkpoint(&app, id).await;
        let hits = fake.wait_hits(route, 4).await;
        // The poll after the 4th request started has finished once a 5th comes.
        fake.wait_hits(route, 5).await;
        assert!(
            !hits[0].headers.contains_key(sent),
            "{route}: {:?}",
            hits[0]
        );
        for h in &hits[1..] {
            assert_eq!(
                h.headers.get(sent).map(String::as_str),
                Some(served),
                "{route}"
            );
            assert_eq!(h.status, 304, "{route}");
        }
        let v = app.get_instance(id.to_string()).await.unwrap();
        assert_eq!(v.health.consecutive_failures, 0, "{route}: {:?}", v.health);
        assert_eq!(
            (v.health.items_fetched, v.health.items_published),
            (Some(items), Some(items)),
            "{route}: only the first poll fetched anything: {:?}",
            v.health
        );
        let cp = checkpoint(&app, id).await;
        assert_eq!(cp, after_first, "{route}: a 304 moves nothing");
        let key = if route == "github" {
            "etag"
        } else {
            "lastModified"
        };
        assert_eq!(
            cp["streams"][if route == "github" {
                "issues"
            } else {
                "incidents"
            }][key],
            served
        );
    }
    app.drain().await;
    assert_eq!(
        app.get_instance(sp.clone())
            .await
            .unwrap()
            .health
            .items_received,
        1,
        "one page taken into the inbox, then nothing"
    );

    // The upstream changes: a new validator, a 200, the change published.
    {
        let mut d = fake.data.lock().unwrap();
        d.gh_issue["state"] = json!("closed");
        d.gh_issue["updated_at"] = json!(chrono::Utc::now().to_rfc3339());
        d.gh_etag = "\"a18c3bded88eb5dbb5c849a489412bf3\"".into();
        d.status_page["incidents"][0]["status"] = json!("resolved");
        d.last_modified = "Fri, 20 Nov 2026 04:10:00 GMT".into();
    }
    wait(&app, &gh, "the changed issue", |v| {
        v.health.items_published == Some(2)
    })
    .await;
    wait(&app, &sp, "the resolved incident", |v| {
        v.health.items_published == Some(3)
    })
    .await;
    let n = fake.hits("github").len();
    fake.wait_hits("github", n + 1).await;
    let last = fake.hits("github").pop().unwrap();
    assert_eq!(
        last.headers.get("if-none-match").map(String::as_str),
        Some("\"a18c3bded88eb5dbb5c849a489412bf3\""),
        "the new validator is sent next"
    );
    assert_eq!(
        checkpoint(&app, &sp).await["streams"]["incidents"]["lastModified"],
        "Fri, 20 Nov 2026 04:10:00 GMT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_id_delta_token_and_cursor_ask_only_for_what_is_new() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    let note = |id: u64, kind: &str, who: &str| {
        json!({"id": id.to_string(), "type": kind, "created_at": "2026-11-20T03:00:00.000Z",
               "account": {"id": "14715", "username": who, "acct": format!("{who}@example.social")}})
    };
    let event = |id: &str, status: &str, etag: &str| {
        json!({"kind": "calendar#event", "id": id, "etag": etag, "status": status,
               "summary": format!("on-call handover {id}"),
               "start": {"dateTime": "2026-11-20T09:00:00Z"}, "end": {"dateTime": "2026-11-20T09:30:00Z"}})
    };
    let file = |name: &str, rev: &str| {
        json!({".tag": "file", "name": name, "id": format!("id:{name}"), "path_lower": format!("/runbooks/{name}"),
               "path_display": format!("/Runbooks/{name}"), "rev": rev, "size": 1024,
               "server_modified": "2026-11-20T03:00:00Z"})
    };
    {
        let mut d = fake.data.lock().unwrap();
        d.notifications = vec![
            note(100, "mention", "alice"),
            note(101, "follow", "bob"),
            note(102, "mention", "carol"),
        ];
        d.calendar = vec![
            (1, event("ev1", "confirmed", "\"3181161784712000\"")),
            (2, event("ev2", "confirmed", "\"3181161784713000\"")),
            (3, event("ev3", "confirmed", "\"3181161784714000\"")),
        ];
        d.dropbox = vec![
            file("db.md", "015f9a1"),
            file("cache.md", "015f9a2"),
            file("dns.md", "015f9a3"),
        ];
    }
    let masto = add(
        &app,
        "test-mastodon",
        "Masto",
        fast(&base),
        &[("token", "masto-token-0123456789")],
    )
    .await;
    let gcal = add(&app, "test-gcal", "Cal", fast(&base), &[]).await;
    let dbx = add(&app, "test-dropbox", "Box", fast(&base), &[]).await;

    // since_id: the first poll sends none; later ones the largest id seen.
    let h = fake.wait_hits("mastodon", 3).await;
    assert!(!h[0].query.contains_key("since_id"), "{:?}", h[0].query);
    assert_eq!(
        h[0].headers["authorization"],
        "Bearer masto-token-0123456789"
    );
    assert_eq!(h[1].query.get("since_id").map(String::as_str), Some("102"));
    assert_eq!(
        checkpoint(&app, &masto).await["streams"]["notifications"]["sinceId"],
        102
    );

    // Delta token: the first poll pages through the full list (no token
    // yet, no page token on page 1), then asks only for changes.
    let h = fake.wait_hits("calendar", 4).await;
    assert!(
        !h[0].query.contains_key("syncToken") && !h[0].query.contains_key("pageToken"),
        "{:?}",
        h[0].query
    );
    assert_eq!(
        h[1].query.get("pageToken").map(String::as_str),
        Some("page-2")
    );
    assert_eq!(
        h[2].query.get("syncToken").map(String::as_str),
        Some("sync-3")
    );
    assert!(!h[2].query.contains_key("pageToken"));
    assert_eq!(
        checkpoint(&app, &gcal).await["streams"]["events"]["token"],
        "sync-3"
    );

    // Cursor: the next poll continues from the cursor the last page gave,
    // not from the start and not from the page before it.
    let h = fake.wait_hits("dropbox/continue", 2).await;
    let first = fake.hits("dropbox/list_folder");
    assert_eq!(first.len(), 1, "the folder is listed once: {first:?}");
    assert_eq!(
        serde_json::from_str::<Value>(&h[0].body).unwrap()["cursor"],
        "cur-2"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&h[1].body).unwrap()["cursor"],
        "cur-3",
        "resumes where the last poll ended"
    );
    assert_eq!(
        checkpoint(&app, &dbx).await["streams"]["files"]["cursor"],
        "cur-3"
    );

    for (id, n) in [(&masto, 3), (&gcal, 3), (&dbx, 3)] {
        let v = app.get_instance(id.to_string()).await.unwrap();
        assert_eq!(v.health.items_published, Some(n), "{id}: {:?}", v.health);
        assert_eq!(v.health.consecutive_failures, 0, "{id}: {:?}", v.health);
    }

    // Something new upstream: each brings exactly that, and its position moves.
    {
        let mut d = fake.data.lock().unwrap();
        d.notifications.push(note(103, "mention", "dave"));
        d.calendar
            .push((4, event("ev2", "cancelled", "\"3181161784799000\"")));
        d.dropbox.push(file("tls.md", "015f9a4"));
    }
    for id in [&masto, &gcal, &dbx] {
        wait(&app, id, "the new item", |v| {
            v.health.items_published == Some(4)
        })
        .await;
    }
    let n = fake.hits("mastodon").len();
    let h = fake.wait_hits("mastodon", n + 1).await;
    assert_eq!(h[n].query.get("since_id").map(String::as_str), Some("103"));
    assert_eq!(
        checkpoint(&app, &gcal).await["streams"]["events"]["token"],
        "sync-4"
    );
    assert_eq!(
        checkpoint(&app, &dbx).await["streams"]["files"]["cursor"],
        "cur-4"
    );
    // Nothing old was asked for again.
    assert_eq!(fake.hits("dropbox/list_folder").len(), 1);
    let full_lists = fake
        .hits("calendar")
        .iter()
        .filter(|h| !h.query.contains_key("syncToken"))
        .count();
    assert_eq!(
        full_lists, 2,
        "two pages of one full list, then only changes"
    );
    let signals = causeway_app::dispatch(
        &app,
        causeway_app::Command::ListSignals { unassigned: false },
    )
    .await
    .unwrap();
    let titles = signals.to_string();
    assert!(
        titles.contains("on-call handover ev2 (cancelled)"),
        "{titles}"
    );
    assert!(titles.contains("tls.md (file)"), "{titles}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_paced_by_the_limit_the_quota_and_retry_after() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    {
        let mut d = fake.data.lock().unwrap();
        for (name, n) in [
            ("paced", 4),
            ("quota", 2),
            ("retry-after", 1),
            ("retry-later", 1),
        ] {
            d.feeds.insert(name.to_string(), n);
        }
    }
    // 120 requests a minute: one every 500 ms for this instance, whatever
    // its pages and polls. Its first slot is no earlier than its creation,
    // so request k cannot reach the fake before `created + k · 500 ms`.
    let created = Instant::now();
    let paced = add(
        &app,
        "test-feed",
        "Paced",
        with(
            fast(&base),
            json!({"feed": "paced", "requestsPerMinute": 120}),
        ),
        &[],
    )
    .await;
    // The upstream's quota header: spent, resets in 2 s.
    add(
        &app,
        "test-feed",
        "Quota",
        with(fast(&base), json!({"feed": "quota"})),
        &[],
    )
    .await;
    // Retry-After on a 429, retried within the poll; the backoff alone
    // would retry after 50 ms.
    let ra = add(
        &app,
        "test-feed",
        "RetryAfter",
        with(fast(&base), json!({"feed": "retry-after", "maxRetries": 2})),
        &[],
    )
    .await;
    // Retry-After beyond what a poll waits: the poll ends, the next one is
    // planned after it, and nothing is sent meanwhile (interval is 1 s).
    let later = add(
        &app,
        "test-feed",
        "Later",
        with(fast(&base), json!({"feed": "retry-later", "maxRetries": 3})),
        &[],
    )
    .await;

    let hits = fake.wait_hits("feed/paced", 8).await;
    // One poll is five pages (four items, then an empty page); the eight
    // requests span two polls.
    assert_eq!(
        hits.iter().filter(|h| h.query["page"] == "1").count(),
        2,
        "{hits:#?}"
    );
    for (k, h) in hits.iter().enumerate() {
        let earliest = Duration::from_millis(500 * k as u64);
        assert!(
            h.at.duration_since(created) + Duration::from_millis(2) >= earliest,
            "request {k} came {:?} after creation, before its slot at {earliest:?}",
            h.at.duration_since(created)
        );
    }
    wait(&app, &paced, "paced polls", |v| {
        v.health.items_published == Some(4)
    })
    .await;

    let q = fake.wait_hits("feed/quota", 2).await;
    assert_eq!(q[1].query["page"], "2");
    assert!(
        q[1].at.duration_since(q[0].at) >= Duration::from_secs(2),
        "the next page waited for the quota to reset: {:?}",
        q[1].at.duration_since(q[0].at)
    );

    let r = fake.wait_hits("feed/retry-after", 2).await;
    assert_eq!((r[0].status, r[1].status), (429, 200));
    assert_eq!(r[1].query["page"], "1", "the same request, retried");
    assert!(
        r[1].at.duration_since(r[0].at) >= Duration::from_secs(2),
        "retried {:?} after a Retry-After of 2 s",
        r[1].at.duration_since(r[0].at)
    );
    let v = wait(&app, &ra, "the retried poll", |v| {
        v.health.items_published == Some(1)
    })
    .await;
    assert_eq!(v.health.consecutive_failures, 0);

    let v = wait(&app, &later, "the long Retry-After", |v| {
        v.health.consecutive_failures >= 1
    })
    .await;
    assert_eq!(v.health.last_error_class.as_deref(), Some("retry"));
    assert!(
        v.health.last_error.as_deref().unwrap().contains("HTTP 503"),
        "{:?}",
        v.health
    );
    let next = causeway_store::parse_ts(v.health.next_attempt_at.as_deref().unwrap()).unwrap();
    assert!(
        next >= chrono::Utc::now() + chrono::Duration::seconds(590),
        "the next attempt honours the 600 s asked for: {next}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        fake.hits("feed/retry-later").len(),
        1,
        "no retry within the poll, no poll before the time asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_upstream_never_delays_another_instance() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    {
        let mut d = fake.data.lock().unwrap();
        for (name, n) in [("hang", 1), ("steady", 1), ("slow", 2)] {
            d.feeds.insert(name.to_string(), n);
        }
    }
    let hang = add(
        &app,
        "test-feed",
        "Hang",
        with(
            fast(&base),
            json!({"feed": "hang", "requestTimeoutMs": 120000}),
        ),
        &[],
    )
    .await;
    fake.wait_hits("feed/hang", 1).await;
    let steady = add(
        &app,
        "test-feed",
        "Steady",
        with(fast(&base), json!({"feed": "steady"})),
        &[],
    )
    .await;
    let v = wait(&app, &steady, "three polls beside the hanging one", |v| {
        v.health.polls >= Some(4) && v.health.consecutive_failures == 0
    })
    .await;
    assert_eq!(v.health.items_published, Some(1));
    assert_eq!(v.health.state, "healthy");
    // All the while, the other one's first request is still unanswered.
    assert_eq!(fake.data.lock().unwrap().in_flight["hang"].0, 1);
    assert_eq!(
        fake.hits("feed/hang").len(),
        1,
        "one poll in flight, no second"
    );
    let h = app.get_instance(hang.clone()).await.unwrap();
    assert_eq!((h.health.polls, h.health.last_success_at), (Some(1), None));

    // A settings change while a poll is in flight: that poll finishes and
    // its items are committed before the instance restarts with the new
    // settings; never two polls of it at once.
    let slow = add(
        &app,
        "test-feed",
        "Slow",
        with(fast(&base), json!({"feed": "slow"})),
        &[],
    )
    .await;
    fake.wait_hits("feed/slow", 1).await;
    app.update_instance(
        slow.clone(),
        InstanceUpdate {
            config: Some(json!({"pollIntervalMs": 2000})),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let v = wait(&app, &slow, "the in-flight poll's items", |v| {
        v.health.items_published == Some(2)
    })
    .await;
    assert_eq!(v.config["pollIntervalMs"], 2000);
    let first_poll = fake.hits("feed/slow");
    assert!(
        first_poll.len() >= 3,
        "all its pages were fetched: {first_poll:#?}"
    );
    // The restarted source polls again, after the first poll ended.
    let n = fake.hits("feed/slow").len();
    fake.wait_hits("feed/slow", n + 1).await;
    assert_eq!(
        fake.data.lock().unwrap().in_flight["slow"].1,
        1,
        "one at a time"
    );
}
