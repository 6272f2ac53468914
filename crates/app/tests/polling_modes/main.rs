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
//! adds a source without code); the others are the built-in ones. The
//! fake upstream is in `upstream.rs`.

#[path = "../support/instances.rs"]
mod support;
mod upstream;

use causeway_app::api::requests::InstanceUpdate;
use causeway_app::App;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use support::{add, wait};
use upstream::{load_descriptors, start_fake, FIXTURES};

/// The app, with the user descriptors of the delta-mode connectors loaded.
async fn started_app() -> (tempfile::TempDir, App) {
    load_descriptors();
    support::started_app("polling-modes").await
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
        causeway_app::Command::ListSignals {
            unassigned: false,
            project: None,
        },
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_short_poll_keeps_its_pages_but_not_its_checkpoint() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    {
        let mut d = fake.data.lock().unwrap();
        d.dropbox = ["db.md", "cache.md", "dns.md"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({".tag": "file", "name": n, "id": format!("id:{n}"), "path_lower": format!("/runbooks/{n}"),
                       "rev": format!("015f9a{i}"), "size": 1024})
            })
            .collect();
        // The second page fails once.
        d.dropbox_failures = 1;
    }
    let dbx = add(&app, "test-dropbox", "Box", fast(&base), &[]).await;
    let v = wait(&app, &dbx, "the failed poll", |v| {
        v.health.consecutive_failures >= 1
    })
    .await;
    assert!(
        v.health.last_error.as_deref().unwrap().contains("HTTP 500"),
        "{:?}",
        v.health
    );
    // The first page is kept (committed with its versions); the cursor is not.
    assert_eq!(checkpoint(&app, &dbx).await, Value::Null);
    let v = wait(&app, &dbx, "the next poll", |v| {
        v.health.consecutive_failures == 0 && v.health.items_published.is_some()
    })
    .await;
    // It starts again from the last checkpoint (none: the listing), and
    // the page it had already taken is not published twice.
    assert_eq!(fake.hits("dropbox/list_folder").len(), 2);
    assert_eq!(v.health.items_published, Some(1), "{:?}", v.health);
    assert_eq!(v.health.items_skipped, Some(2), "{:?}", v.health);
    assert_eq!(
        checkpoint(&app, &dbx).await["streams"]["files"]["cursor"],
        "cur-3"
    );
    app.drain().await;
    let signals = causeway_app::dispatch(
        &app,
        causeway_app::Command::ListSignals {
            unassigned: false,
            project: None,
        },
    )
    .await
    .unwrap();
    let files: Vec<&Value> = signals["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["sourceType"] == "DROPBOX")
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|s| s["notifications"] == 1), "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ignored_status_is_an_empty_page_and_the_page_cap_holds() {
    let (_d, app) = started_app().await;
    let (base, fake) = start_fake().await;
    {
        let mut d = fake.data.lock().unwrap();
        d.feeds.insert("steady".into(), 1);
        d.feeds.insert("capped".into(), 4);
    }
    // `{"404": "ignore"}`: an optional endpoint that is not there is no error.
    let opt = add(&app, "test-optional", "Optional", fast(&base), &[]).await;
    let v = wait(&app, &opt, "two polls", |v| v.health.polls >= Some(3)).await;
    assert_eq!(v.health.state, "healthy", "{:?}", v.health);
    assert_eq!(v.health.items_published, Some(1));
    assert!(fake.hits("feed/missing").iter().all(|h| h.status == 404));
    assert!(fake.hits("feed/missing").len() >= 2);

    // At most `maxPages` pages per poll: two of the four here, then the
    // next poll.
    let capped = add(
        &app,
        "test-feed",
        "Capped",
        with(fast(&base), json!({"feed": "capped", "maxPages": 2})),
        &[],
    )
    .await;
    let hits = fake.wait_hits("feed/capped", 4).await;
    let pages: Vec<&str> = hits.iter().map(|h| h.query["page"].as_str()).collect();
    assert_eq!(pages, ["1", "2", "1", "2"]);
    let v = wait(&app, &capped, "capped polls", |v| v.health.polls >= Some(2)).await;
    assert_eq!(v.health.consecutive_failures, 0);
}
