//! The signing keys of `google_oidc`, fetched from a fake Google on a
//! loopback port (causeway-testkit): when they are fetched, how often, for
//! how long they hold, and what an outage leaves.

use super::super::google_oidc::{check, Settings};
use super::super::jwks::{self, KeyCache, REFETCH_AFTER};
use super::*;
use causeway_testkit::google_oidc::{key, push_claims, FakeGoogle, KID};
use serde_json::json;
use std::time::{Duration, Instant};

const AUDIENCE: &str = "https://causeway.example/webhooks/gcp-pubsub/default";

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

fn cache(refetch_after: Duration) -> &'static KeyCache {
    Box::leak(Box::new(KeyCache::new(refetch_after)))
}

fn checked(cache: &'static KeyCache, url: &str, token: &str) -> Result<(), VerifyError> {
    let auth = format!("Bearer {token}");
    let h = lookup(&[("Authorization", &auth)]);
    let s = Settings {
        audience: Some(AUDIENCE),
        email: None,
        jwks_url: url,
    };
    check(cache, &s, &h, Utc::now())
}

fn oidc(url: &str) -> Scheme {
    Scheme::GoogleOidc {
        audience: Some(AUDIENCE.into()),
        service_account_email: None,
        jwks_url: Some(url.into()),
    }
}

/// Through the public API as the gateway calls it: [`prepare`] fetches the
/// keys once, and then [`verify`] needs no secret and no further fetch.
#[tokio::test]
async fn prepared_deliveries_are_verified_with_one_fetch() {
    let google = FakeGoogle::start().await;
    let scheme = oidc(&google.certs_url);
    let auth = format!("Bearer {}", google.token(AUDIENCE, now_secs()));
    let h = lookup(&[("Authorization", &auth)]);
    prepare(&scheme, &h).await;
    assert_eq!(google.requests(), 1);
    for _ in 0..3 {
        prepare(&scheme, &h).await;
        let ok = verify(&scheme, &[], &h, b"{}", Utc::now()).unwrap();
        assert_eq!(ok.secret_index, None, "no secret is involved");
    }
    assert_eq!(google.requests(), 1, "cached, by kid");
    let other = format!(
        "Bearer {}",
        google.token("https://other.example", now_secs())
    );
    let h = lookup(&[("Authorization", &other)]);
    prepare(&scheme, &h).await;
    assert!(matches!(
        verify(&scheme, &[], &h, b"{}", Utc::now()),
        Err(VerifyError::TokenRefused(_))
    ));
    // Other schemes have nothing to prepare.
    prepare(&Scheme::GithubSha256, &h).await;
    assert_eq!(google.requests(), 1);
}

/// A caller that does not prepare gets a refusal while the keys are
/// fetched in the background, and the sender's retry is taken.
#[tokio::test]
async fn unprepared_verification_fetches_in_the_background() {
    let google = FakeGoogle::start().await;
    let scheme = oidc(&google.certs_url);
    let auth = format!("Bearer {}", google.token(AUDIENCE, now_secs()));
    let h = lookup(&[("Authorization", &auth)]);
    match verify(&scheme, &[], &h, b"{}", Utc::now()) {
        Err(VerifyError::TokenRefused(why)) => assert!(why.contains("not fetched yet"), "{why}"),
        other => panic!("{other:?}"),
    }
    let waited = Instant::now();
    while verify(&scheme, &[], &h, b"{}", Utc::now()).is_err() {
        assert!(waited.elapsed() < Duration::from_secs(10), "never fetched");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(google.requests(), 1);
}

/// A token naming a key not cached makes one fetch (Google rotated its
/// keys); more such tokens within the minute make none.
#[tokio::test]
async fn an_unknown_kid_is_fetched_at_most_once_a_minute() {
    let google = FakeGoogle::start().await;
    let url = google.certs_url.as_str();
    let rotated = key(1).token("rotated-key", &push_claims(AUDIENCE, now_secs()));

    let c = cache(REFETCH_AFTER);
    // One that may fetch again at once: as if the minute had passed.
    let later = cache(Duration::ZERO);
    c.refresh(url, Some(KID)).await;
    later.refresh(url, Some(KID)).await;
    assert_eq!(google.requests(), 2);
    assert_eq!(checked(c, url, &google.token(AUDIENCE, now_secs())), Ok(()));
    google.serve(vec![key(0).jwk(KID), key(1).jwk("rotated-key")]);
    for _ in 0..5 {
        c.refresh(url, Some("rotated-key")).await;
        assert!(matches!(
            checked(c, url, &rotated),
            Err(VerifyError::TokenRefused(_))
        ));
    }
    assert_eq!(google.requests(), 2, "fetched again within the minute");
    later.refresh(url, Some("rotated-key")).await;
    assert_eq!(google.requests(), 3);
    assert_eq!(checked(later, url, &rotated), Ok(()));
    let c = later;
    // A kid Google never published is refused after that one fetch.
    let made_up = key(0).token("made-up", &push_claims(AUDIENCE, now_secs()));
    c.refresh(url, Some("made-up")).await;
    assert_eq!(google.requests(), 4);
    match checked(c, url, &made_up) {
        Err(VerifyError::TokenRefused(why)) => {
            assert!(
                why.contains("signing key (kid) is not one of the keys"),
                "{why}"
            )
        }
        other => panic!("{other:?}"),
    }
}

/// Keys hold for the `max-age` Google's answer gives (an hour without
/// one); after that they are fetched again.
#[tokio::test]
async fn keys_hold_for_their_max_age() {
    let google = FakeGoogle::start().await;
    let url = google.certs_url.as_str();
    let c = cache(Duration::ZERO);
    google.cache_control(Some("public, max-age=120, must-revalidate, no-transform"));
    let fetched = Instant::now();
    c.refresh(url, None).await;
    assert!(!c.wants_fetch(url, Some(KID), fetched + Duration::from_secs(110)));
    assert!(c.wants_fetch(url, Some(KID), fetched + Duration::from_secs(125)));
    google.cache_control(None);
    let fetched = Instant::now();
    c.refresh(url, Some("unknown")).await;
    assert_eq!(google.requests(), 2);
    assert!(!c.wants_fetch(url, Some(KID), fetched + Duration::from_secs(3590)));
    assert!(c.wants_fetch(url, Some(KID), fetched + Duration::from_secs(3605)));
}

/// An outage keeps the keys there were (and says why new ones are
/// missing); a key server with nothing usable is an error, not an empty set.
#[tokio::test]
async fn an_outage_keeps_the_keys_there_were() {
    let google = FakeGoogle::start().await;
    let url = google.certs_url.as_str();
    let c = cache(Duration::ZERO);
    c.refresh(url, None).await;
    google.status(503);
    c.refresh(url, Some("new-key")).await;
    assert_eq!(google.requests(), 2);
    assert_eq!(checked(c, url, &google.token(AUDIENCE, now_secs())), Ok(()));
    let new = key(0).token("new-key", &push_claims(AUDIENCE, now_secs()));
    match checked(c, url, &new) {
        Err(VerifyError::TokenRefused(why)) => {
            assert!(why.contains("fetching them failed: HTTP 503"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    // Never fetched: the refusal says so, with the reason.
    let down = FakeGoogle::start().await;
    down.status(500);
    let c = cache(Duration::ZERO);
    c.refresh(&down.certs_url, None).await;
    match checked(c, &down.certs_url, &down.token(AUDIENCE, now_secs())) {
        Err(VerifyError::TokenRefused(why)) => {
            assert!(
                why.contains("not fetched yet; fetching them failed: HTTP 500"),
                "{why}"
            )
        }
        other => panic!("{other:?}"),
    }
    google.status(200);
    google.serve(vec![json!({"kty": "EC", "kid": "ec", "crv": "P-256"})]);
    c.refresh(url, None).await;
    match checked(c, url, &google.token(AUDIENCE, now_secs())) {
        Err(VerifyError::TokenRefused(why)) => {
            assert!(why.contains("holds no RS256 signing key"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_age_is_read_from_cache_control() {
    let secs = |s: u64| Some(Duration::from_secs(s));
    let cases = [
        (
            "public, max-age=20017, must-revalidate, no-transform",
            secs(20017),
        ),
        ("Max-Age=60", secs(60)),
        ("max-age=\"90\"", secs(90)),
        ("max-age=99999999", secs(24 * 3600)),
        ("no-cache", None),
        ("max-age=soon", None),
        ("", None),
    ];
    for (header, want) in cases {
        assert_eq!(jwks::max_age(header), want, "{header}");
    }
}

#[test]
fn only_rs256_signing_keys_with_an_id_are_kept() {
    let good = key(0).jwk("a");
    let mut enc = key(0).jwk("enc");
    enc["use"] = json!("enc");
    let mut es = key(0).jwk("es");
    es["alg"] = json!("ES256");
    let mut anonymous = key(0).jwk("x");
    anonymous.as_object_mut().unwrap().remove("kid");
    let mut bare = key(1).jwk("bare");
    bare.as_object_mut().unwrap().remove("alg");
    bare.as_object_mut().unwrap().remove("use");
    let body = json!({"keys": [good, enc, es, anonymous, bare, {"kty": "oct", "kid": "h"}]});
    let keys = jwks::parse(body.to_string().as_bytes()).unwrap();
    let mut ids: Vec<&str> = keys.keys().map(String::as_str).collect();
    ids.sort();
    assert_eq!(ids, ["a", "bare"]);
    assert!(jwks::parse(b"{\"keys\": []}").is_err());
    assert!(jwks::parse(b"<html>").is_err());
}
