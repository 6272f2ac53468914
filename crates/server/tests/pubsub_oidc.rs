//! Authenticated Pub/Sub pushes through the real webhook route: a
//! `gcp-pubsub` instance takes a push only with a token Google signed for
//! its audience (and service account), fetching Google's keys from a fake
//! Google on a loopback port (causeway-testkit), and keeps no token.

mod common;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use causeway_testkit::google_oidc::{key, push_claims, FakeGoogle, KID, SERVICE_ACCOUNT};
use common::*;
use serde_json::json;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A push of the Cloud Monitoring fixture, with `token` when given: its
/// status and the refusal's message.
async fn push(s: &Server, token: Option<&str>) -> (u16, String) {
    let body = std::fs::read(format!(
        "{FIXTURES}/webhooks/gcp-pubsub/pubsub-incident-open.json"
    ))
    .unwrap();
    let mut r = reqwest::Client::new()
        .post(s.url("/webhooks/gcp-pubsub/default"))
        .header("content-type", "application/json")
        .body(body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (
        status,
        v["message"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn only_pushes_google_signed_for_this_receiver_are_taken() {
    let google = FakeGoogle::start().await;
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    // Pub/Sub's default audience: the push endpoint's URL.
    let audience = s.url("/webhooks/gcp-pubsub/default");
    let (st, inst) = s
        .api(
            "POST",
            "/api/connectors/instances",
            Some(json!({"descriptorId": "gcp-pubsub", "name": "pubsub",
                "config": {"audience": audience, "serviceAccountEmail": SERVICE_ACCOUNT,
                           "jwksUrl": google.certs_url},
                // No secret: Google signs, and nothing is kept here.
                "secrets": {}})),
        )
        .await;
    assert_eq!(st, 201, "{inst}");
    assert_eq!(inst["verification"], "google_oidc");

    let (st, why) = push(&s, None).await;
    assert_eq!((st, why.as_str()), (401, "Authorization header is missing"));
    let token = google.token(&audience, now());
    assert_eq!(push(&s, Some(&token)).await.0, 202);
    assert_eq!(google.requests(), 1, "keys fetched once, before verifying");
    s.wait_for("/api/signals", |v| {
        v["signals"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["title"] == "CPU usage"))
    })
    .await;

    let claims = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut c = push_claims(&audience, now());
        change(&mut c);
        key(0).token(KID, &c)
    };
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims =
        URL_SAFE_NO_PAD.encode(push_claims("https://other.example/", now()).to_string());
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none", "kid": KID}).to_string()),
        parts[1]
    );
    let refused = [
        (
            google.token("https://other.example/push", now()),
            "audience (aud)",
        ),
        (
            claims(&|c| c["iss"] = json!("https://evil.example")),
            "issuer",
        ),
        (
            claims(&|c| c["email"] = json!("x@other.iam.gserviceaccount.com")),
            "service account",
        ),
        (google.token(&audience, now() - 7200), "expired"),
        (
            format!("{}.{forged_claims}.{}", parts[0], parts[2]),
            "signature",
        ),
        (
            key(1).token(KID, &push_claims(&audience, now())),
            "signature",
        ),
        (
            key(0).token("unknown-kid", &push_claims(&audience, now())),
            "kid",
        ),
        (unsigned, "alg none"),
    ];
    for (bad, says) in &refused {
        let (st, why) = push(&s, Some(bad)).await;
        assert_eq!(st, 401, "{says}: {why}");
        assert!(why.contains(says), "{why:?} should say {says:?}");
        assert!(!why.contains(&bad[..40]), "the refusal repeats the token");
    }
    // Keys were fetched less than a minute ago: a token naming an unknown
    // key makes no fetch (forged kids cannot make us hammer Google).
    assert_eq!(google.requests(), 1);

    // The token is not kept with the payload.
    s.kill9();
    for f in ["causeway.db", "causeway.db-wal"] {
        let bytes = std::fs::read(dir.path().join(f)).unwrap_or_default();
        let sig = parts[2].as_bytes();
        assert!(
            !bytes.windows(sig.len()).any(|w| w == sig),
            "{f} holds the token"
        );
    }
}
