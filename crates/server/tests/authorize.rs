//! OAuth sign-in over the HTTP API, end to end, the way a user of
//! `causeway serve` does it: create a Slack connector, `POST
//! /api/connectors/instances/{id}/authorize`, open the link it returns (the
//! test is the browser), and the provider redirects to Causeway's loopback
//! listener; the code is exchanged with the PKCE verifier, the tokens go to
//! the keychain (and nowhere else), and the connector polls with them,
//! refreshing the access token when it expires and writing the rotated
//! refresh token back to the keychain.
//!
//! Slack cannot run here, so a local fake plays it, answering as Slack's
//! API reference documents (`oauth.v2.access`, `conversations.history` with
//! cursors, errors as `{"ok": false, "error": …}` with HTTP 200).

mod common;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use causeway_connectors::secrets::handle_for;
use causeway_testkit::keyring as test_keyring;
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "3336676.569200954261";
const CLIENT_SECRET: &str = "slack-client-secret-5d1f0b6e";
/// What the sign-in gives (with token rotation on, as Slack documents it:
/// short-lived access tokens and a refresh token that rotates).
const BOT_TOKEN: &str = "xoxe.xoxb-1-MS0yLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz";
const REFRESH_1: &str = "xoxe-1-My0xLTE3NjUzNjcyNDgxLTE5ODc0Njk4MzIz";
/// What the refresh gives.
const ROTATED: &str = "xoxe.xoxb-1-MS0yLTE3NjUzNjcyNDgxLTI5ODc0Njk4MzI0";
const REFRESH_2: &str = "xoxe-1-My0xLTE3NjUzNjcyNDgxLTI5ODc0Njk4MzI0";

/// One `conversations.history` request: its query and Authorization header.
type HistoryHit = (HashMap<String, String>, String);

#[derive(Clone, Default)]
struct Slack {
    /// code → (PKCE challenge, redirect_uri)
    codes: Arc<Mutex<HashMap<String, (String, String)>>>,
    /// The bot token that works now (none once revoked).
    valid: Arc<Mutex<Option<String>>>,
    /// The refresh token that works now, and how many refreshes were made.
    refresh: Arc<Mutex<String>>,
    refreshes: Arc<Mutex<u32>>,
    /// Every `conversations.history` request.
    history: Arc<Mutex<Vec<HistoryHit>>>,
    /// Messages, newest first, with their `ts`.
    messages: Arc<Vec<Value>>,
}

/// `GET /oauth/v2/authorize`: the user approves at once; back to the
/// redirect URI with a code and the state.
async fn authorize(State(s): State<Slack>, Query(q): Query<HashMap<String, String>>) -> Response {
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["scope"], "channels:history groups:history");
    let code = format!("1234567890.{}", s.codes.lock().unwrap().len());
    s.codes.lock().unwrap().insert(
        code.clone(),
        (q["code_challenge"].clone(), q["redirect_uri"].clone()),
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"], q["state"]
    ))
    .into_response()
}

/// `POST /api/oauth.v2.access`, answered as Slack does (200 either way).
async fn access(State(s): State<Slack>, Form(f): Form<HashMap<String, String>>) -> Response {
    let refuse = |e: &str| Json(json!({"ok": false, "error": e})).into_response();
    if f.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET) {
        return refuse("invalid_client_secret");
    }
    if f["grant_type"] == "refresh_token" {
        if f["refresh_token"] != *s.refresh.lock().unwrap() {
            return refuse("invalid_refresh_token");
        }
        *s.refreshes.lock().unwrap() += 1;
        *s.valid.lock().unwrap() = Some(ROTATED.into());
        *s.refresh.lock().unwrap() = REFRESH_2.into();
        return Json(
            json!({"ok": true, "access_token": ROTATED, "token_type": "bot",
                           "expires_in": 43200, "refresh_token": REFRESH_2}),
        )
        .into_response();
    }
    let Some((challenge, redirect)) = s.codes.lock().unwrap().remove(&f["code"]) else {
        return refuse("invalid_code");
    };
    let verifier = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(f["code_verifier"].as_bytes()));
    if verifier != challenge
        || f["redirect_uri"] != redirect
        || f["grant_type"] != "authorization_code"
    {
        return refuse("invalid_code");
    }
    *s.valid.lock().unwrap() = Some(BOT_TOKEN.into());
    *s.refresh.lock().unwrap() = REFRESH_1.into();
    // Expiring within the runtime's minute of margin: the first poll
    // refreshes it.
    Json(json!({
        "ok": true, "access_token": BOT_TOKEN, "token_type": "bot",
        "expires_in": 30, "refresh_token": REFRESH_1,
        "scope": "channels:history,groups:history", "bot_user_id": "U0KRQLJ9H",
        "app_id": "A0KRD7HC3", "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
        "enterprise": null, "authed_user": {"id": "U1234", "scope": "", "token_type": "user"}
    }))
    .into_response()
}

/// `GET /api/conversations.history`: messages newer than `oldest`, newest
/// first, two a page behind `cursor`.
async fn history(
    State(s): State<Slack>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.history.lock().unwrap().push((q.clone(), auth.clone()));
    let valid = s.valid.lock().unwrap().clone();
    match valid {
        None => return Json(json!({"ok": false, "error": "token_revoked"})).into_response(),
        Some(t) if auth != format!("Bearer {t}") => {
            return Json(json!({"ok": false, "error": "invalid_auth"})).into_response()
        }
        _ => {}
    }
    assert_eq!(q["channel"], "C024BE91L");
    let oldest: f64 = q["oldest"].parse().unwrap();
    let all: Vec<&Value> = s
        .messages
        .iter()
        .filter(|m| m["ts"].as_str().unwrap().parse::<f64>().unwrap() > oldest)
        .collect();
    let from: usize = q.get("cursor").map_or(0, |c| {
        let raw = base64::engine::general_purpose::STANDARD.decode(c).unwrap();
        String::from_utf8(raw).unwrap()["next_ts:".len()..]
            .parse()
            .unwrap()
    });
    let page: Vec<&Value> = all.iter().skip(from).take(2).copied().collect();
    let more = from + 2 < all.len();
    let next = if more {
        base64::engine::general_purpose::STANDARD.encode(format!("next_ts:{}", from + 2))
    } else {
        String::new()
    };
    Json(
        json!({"ok": true, "messages": page, "has_more": more, "pin_count": 0,
                "response_metadata": {"next_cursor": next}}),
    )
    .into_response()
}

async fn until(s: &Server, path: &str, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = s.api("GET", path, None).await;
        if f(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every file under `dir` whose bytes hold `needle`.
fn files_holding(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_holding(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_signs_in_through_the_authorize_route_then_polls_with_its_token() {
    test_keyring::ensure();
    let service = format!("causeway-authorize-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);

    // The recorded channel's messages, dated within the last hour (the
    // first poll looks back a week), and an older one for a second page.
    let recorded: Value = serde_json::from_slice(
        &std::fs::read(format!("{FIXTURES}/api/slack/messages.json")).unwrap(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp();
    let mut messages: Vec<Value> = recorded["messages"].as_array().unwrap().clone();
    messages.push(json!({"type": "message", "user": "U0G9QF9C6",
        "text": "PagerDuty: checkout error rate above 5% for 5 minutes", "ts": ""}));
    for (i, m) in messages.iter_mut().enumerate() {
        m["ts"] = json!(format!("{}.000{}00", now - 600 - 120 * i as i64, i + 1));
    }
    let newest: i64 = now - 600;
    let slack = Slack {
        messages: Arc::new(messages),
        ..Default::default()
    };
    let router = Router::new()
        .route("/oauth/v2/authorize", get(authorize))
        .route("/api/oauth.v2.access", post(access))
        .route("/api/conversations.history", get(history))
        .with_state(slack.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });

    let data = tempfile::tempdir().unwrap();
    let s = Server::start(data.path(), &[]);
    let (st, inst) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "slack", "name": "Incidents",
            "config": {"channel": "C024BE91L", "clientId": CLIENT_ID, "baseUrl": base,
                       "pollIntervalMs": 1000, "maxRetries": 0},
            "secrets": {"clientSecret": CLIENT_SECRET}})),
        )
        .await;
    assert_eq!(st, 201, "{inst}");
    let id = inst["id"].as_str().unwrap().to_string();
    let path = format!("/api/connectors/instances/{id}");

    // Not signed in yet: the health says what to do; nothing was sent.
    let v = until(&s, &path, "needs re-auth", |v| {
        v["health"]["state"] == "needs_reauth"
    })
    .await;
    let msg = v["health"]["lastError"].as_str().unwrap();
    assert!(msg.contains("authorise the connector"), "{msg}");
    assert!(slack.history.lock().unwrap().is_empty());

    // Sign in: the route gives the provider's link; the "browser" follows it.
    let (st, a) = s.api("POST", &format!("{path}/authorize"), None).await;
    assert_eq!(st, 200, "{a}");
    let link = a["authorizeUrl"].as_str().unwrap().to_string();
    let url = reqwest::Url::parse(&link).unwrap();
    assert!(
        link.starts_with(&format!("{base}/oauth/v2/authorize?")),
        "{link}"
    );
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert!(
        q["redirect_uri"].starts_with("http://127.0.0.1:")
            && q["redirect_uri"].ends_with("/callback"),
        "{q:?}"
    );
    assert!(
        q["code_challenge"].len() >= 43 && !q["state"].is_empty(),
        "{q:?}"
    );
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains("Signed in"), "{page}");

    // The connector restarts with the token — refreshed once first, the
    // rotated refresh token written back — and pages through the channel.
    let v = until(&s, &path, "polling with the token", |v| {
        v["health"]["itemsPublished"].as_i64() == Some(3) && v["health"]["state"] == "healthy"
    })
    .await;
    assert_eq!(v["health"]["lastError"], Value::Null, "{v}");
    let seen = slack.history.lock().unwrap().clone();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|(_, auth)| auth == &format!("Bearer {ROTATED}")),
        "{seen:?}"
    );
    assert!(!seen[0].0.contains_key("cursor"), "{:?}", seen[0].0);
    assert_eq!(
        seen[1].0.get("cursor").map(String::as_str),
        Some(
            base64::engine::general_purpose::STANDARD
                .encode("next_ts:2")
                .as_str()
        ),
        "page 2 asks with the cursor page 1 gave"
    );
    let signals = s
        .wait_for("/api/signals", |v| {
            v["signals"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["sourceType"] == "SLACK")
                .count()
                == 3
        })
        .await;
    assert!(signals.to_string().contains("rolling back cart to v1.8.2"));

    // The next poll asks from the newest message (less the look-back).
    let n = seen.len();
    let deadline = Instant::now() + Duration::from_secs(20);
    while slack.history.lock().unwrap().len() <= n {
        assert!(Instant::now() < deadline, "no second poll");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let next = slack.history.lock().unwrap()[n].0.clone();
    assert_eq!(next["oldest"], (newest - 60).to_string(), "{next:?}");
    assert_eq!(
        *slack.refreshes.lock().unwrap(),
        1,
        "one refresh, then the new token lasts"
    );

    // The token is in the keychain, and in no file of the data dir nor any
    // API answer.
    let kc = keychain(data.path());
    assert_eq!(
        kc.get(&handle_for(&id, "accessToken")).unwrap().expose(),
        ROTATED
    );
    assert_eq!(
        kc.get(&handle_for(&id, "refreshToken")).unwrap().expose(),
        REFRESH_2
    );
    let (_, all) = s.api("GET", "/api/connectors/instances", None).await;
    for secret in [BOT_TOKEN, REFRESH_1, ROTATED, REFRESH_2, CLIENT_SECRET] {
        assert_eq!(files_holding(data.path(), secret), Vec::<String>::new());
        assert!(!all.to_string().contains(secret));
    }

    // Slack revokes the token (answering 200 with an error): needs re-auth,
    // in words, not retried.
    *slack.valid.lock().unwrap() = None;
    let v = until(&s, &path, "the revoked token", |v| {
        v["health"]["state"] == "needs_reauth"
    })
    .await;
    let msg = v["health"]["lastError"].as_str().unwrap();
    assert!(
        msg.contains("token_revoked") && msg.contains("authorise"),
        "{msg}"
    );
    assert_eq!(v["health"]["nextAttemptAt"], Value::Null, "{v}");
    assert!(!msg.contains(ROTATED));

    // Removing the connector removes what the sign-in stored, too.
    let (st, _) = s.api("DELETE", &path, None).await;
    assert_eq!(st, 200);
    for field in [
        "accessToken",
        "refreshToken",
        "accessTokenExpiresAt",
        "clientSecret",
    ] {
        assert!(
            kc.get(&handle_for(&id, field)).is_err(),
            "{field} is still in the keychain"
        );
    }
}
