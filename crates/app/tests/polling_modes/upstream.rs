//! The fake upstream of the polling tests: local stand-ins for the SaaS
//! APIs (GitHub, a status page, Mastodon, Google Calendar, Dropbox, and a
//! plain paged feed) answering as their documentation says, each logging
//! every request it saw with the instant it arrived; and the user
//! descriptors that poll the ones no built-in connector covers.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api");

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: Instant,
    pub route: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
    /// The status the fake answered with.
    pub status: u16,
}

/// What the fake serves; tests change it between polls.
#[derive(Default)]
pub struct Data {
    pub gh_issue: Value,
    pub gh_etag: String,
    pub status_page: Value,
    pub last_modified: String,
    /// Mastodon notifications, oldest first.
    pub notifications: Vec<Value>,
    /// Google Calendar: every change as (sequence, event), oldest first.
    pub calendar: Vec<(usize, Value)>,
    /// Dropbox: the folder's change log, oldest first.
    pub dropbox: Vec<Value>,
    /// Dropbox: how many `continue` requests fail with a 500 first.
    pub dropbox_failures: usize,
    /// Feeds of the pacing tests: name → item count.
    pub feeds: HashMap<String, usize>,
    /// Per feed: requests being answered now, and the most at once.
    pub in_flight: HashMap<String, (usize, usize)>,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub log: Arc<Mutex<Vec<Hit>>>,
    pub data: Arc<Mutex<Data>>,
}

impl Fake {
    pub fn hits(&self, route: &str) -> Vec<Hit> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h.route == route)
            .cloned()
            .collect()
    }

    pub fn record(
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

    pub async fn wait_hits(&self, route: &str, n: usize) -> Vec<Hit> {
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
    let fail = op == "continue" && {
        let mut d = f.data.lock().unwrap();
        let fail = d.dropbox_failures > 0;
        d.dropbox_failures = d.dropbox_failures.saturating_sub(1);
        fail
    };
    let status = if fail { 500 } else { 200 };
    f.record(
        &format!("dropbox/{op}"),
        HashMap::new(),
        &headers,
        &body,
        status,
    );
    if fail {
        return json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &[],
            &json!({"error_summary": "internal_error/..", "error": {".tag": "internal_error"}}),
        );
    }
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
        "missing" => {
            f.record(&route, q, &headers, b"", 404);
            json_response(
                StatusCode::NOT_FOUND,
                &[],
                &json!({"message": "Not Found", "documentation_url": "https://docs.example.com"}),
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

pub async fn start_fake() -> (String, Fake) {
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
pub fn load_descriptors() {
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
            common(
                "test-optional",
                "Feed with an optional stream",
                json!({"baseUrl": "{{ config.baseUrl }}", "intervalSeconds": 60,
                       "errors": {"404": "ignore"},
                       "streams": [
                         {"name": "items",
                          "request": {"path": "/feed/steady", "query": {"page": "{{ page }}", "per_page": "{{ limit }}"}},
                          "itemsPath": "$.items[*]", "itemKey": "$.id",
                          "pagination": {"type": "page", "limit": 1},
                          "mapping": event_mapping("FEED", "{{ item.title }}")},
                         {"name": "extras",
                          "request": {"path": "/feed/missing", "query": {"page": "{{ page }}", "per_page": "{{ limit }}"}},
                          "itemsPath": "$.items[*]", "itemKey": "$.id",
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
