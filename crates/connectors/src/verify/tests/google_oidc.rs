//! `google_oidc`: Google-signed ID tokens on Pub/Sub pushes, checked against
//! a key cache filled here (no network). Tokens are signed with throwaway
//! RSA keys `openssl` makes for the test process (causeway-testkit), so a
//! check that always passed or always failed could not satisfy these.

use super::super::google_oidc::{check, Settings};
use super::super::jwks::{self, KeyCache, REFETCH_AFTER};
use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use causeway_testkit::google_oidc::{key, push_claims, KID, SERVICE_ACCOUNT};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const URL: &str = "http://keys.invalid/oauth2/v3/certs";
const AUDIENCE: &str = "https://causeway.example/webhooks/gcp-pubsub/default";
const NOW: i64 = 1_700_000_000;

/// A cache of its own holding test key 0 under [`KID`], as fetched just now.
fn cache() -> &'static KeyCache {
    let cache = Box::leak(Box::new(KeyCache::new(REFETCH_AFTER)));
    let body = json!({"keys": [key(0).jwk(KID)]}).to_string();
    let keys = jwks::parse(body.as_bytes()).unwrap();
    cache.store(URL, Ok((keys, Duration::from_secs(3600))), Instant::now());
    cache
}

fn settings(email: Option<&'static str>) -> Settings<'static> {
    Settings {
        audience: Some(AUDIENCE),
        email,
        jwks_url: URL,
    }
}

/// Checks `token` as it would arrive, at `now`.
fn check_at(
    cache: &'static KeyCache,
    settings: &Settings<'_>,
    token: &str,
    now: i64,
) -> Result<(), VerifyError> {
    let auth = format!("Bearer {token}");
    let h = lookup(&[("Authorization", &auth)]);
    check(cache, settings, &h, at(now))
}

fn good() -> String {
    key(0).token(KID, &push_claims(AUDIENCE, NOW))
}

/// The same claims with `change` applied, signed properly.
fn with(change: impl FnOnce(&mut Value)) -> String {
    let mut claims = push_claims(AUDIENCE, NOW);
    change(&mut claims);
    key(0).token(KID, &claims)
}

fn refused_saying(result: Result<(), VerifyError>, words: &str) {
    match result {
        Err(VerifyError::TokenRefused(why)) => {
            assert!(why.contains(words), "{why:?} does not say {words:?}")
        }
        other => panic!("expected a refusal saying {words:?}, got {other:?}"),
    }
}

fn malformed(result: Result<(), VerifyError>) {
    match result {
        Err(VerifyError::Malformed(_)) => {}
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn a_token_google_signed_for_this_audience_is_taken() {
    let c = cache();
    assert_eq!(check_at(c, &settings(None), &good(), NOW), Ok(()));
    assert_eq!(
        check_at(c, &settings(Some(SERVICE_ACCOUNT)), &good(), NOW),
        Ok(())
    );
    // The other issuer spelling Google uses, and `aud` as a list (RFC 7519).
    let bare = with(|c| c["iss"] = json!("accounts.google.com"));
    assert_eq!(check_at(c, &settings(None), &bare, NOW), Ok(()));
    let listed = with(|c| c["aud"] = json!(["other", AUDIENCE]));
    assert_eq!(check_at(c, &settings(None), &listed, NOW), Ok(()));
    // The word `Bearer` is case-insensitive, as for the bearer scheme.
    let h = lookup(&[("authorization", &format!("bearer {}", good()))]);
    assert_eq!(check(c, &settings(None), &h, at(NOW)), Ok(()));
}

#[test]
fn another_audience_issuer_or_account_is_refused() {
    let c = cache();
    let s = settings(Some(SERVICE_ACCOUNT));
    let other = with(|c| c["aud"] = json!("https://elsewhere.example/push"));
    refused_saying(
        check_at(c, &s, &other, NOW),
        "audience (aud) is \"https://elsewhere.example/push\", not this receiver's",
    );
    // Only the exact string: Google's audience is case-sensitive.
    let upper = with(|c| c["aud"] = json!(AUDIENCE.to_uppercase()));
    refused_saying(check_at(c, &s, &upper, NOW), "audience");
    let none = with(|c| {
        c.as_object_mut().unwrap().remove("aud");
    });
    refused_saying(check_at(c, &s, &none, NOW), "audience (aud) is missing");
    for iss in [json!("https://evil.example"), json!(null)] {
        let t = with(|c| c["iss"] = iss);
        refused_saying(check_at(c, &s, &t, NOW), "issuer (iss) is not Google");
    }
    let t = with(|c| c["email"] = json!("someone-else@proj.iam.gserviceaccount.com"));
    refused_saying(
        check_at(c, &s, &t, NOW),
        "not the configured service account",
    );
    // Without a configured account, any Google-verified account of this
    // audience is taken; its e-mail must still be verified.
    assert_eq!(check_at(c, &settings(None), &t, NOW), Ok(()));
    for verified in [json!(false), json!("true"), json!(null)] {
        let t = with(|c| c["email_verified"] = verified);
        refused_saying(check_at(c, &settings(None), &t, NOW), "email_verified");
    }
}

#[test]
fn lifetimes_hold_with_a_minute_of_skew() {
    let c = cache();
    let s = settings(None);
    let exp = NOW + 3600;
    assert_eq!(check_at(c, &s, &good(), exp + 60), Ok(()));
    refused_saying(check_at(c, &s, &good(), exp + 61), "expired 61 s ago");
    assert_eq!(check_at(c, &s, &good(), NOW - 60), Ok(()));
    refused_saying(
        check_at(c, &s, &good(), NOW - 61),
        "dated 61 s in the future (iat",
    );
    let later = with(|c| c["nbf"] = json!(NOW + 600));
    refused_saying(check_at(c, &s, &later, NOW), "(nbf;");
    let endless = with(|c| {
        c.as_object_mut().unwrap().remove("exp");
    });
    refused_saying(check_at(c, &s, &endless, NOW), "no expiry (exp)");
    let undated = with(|c| {
        c.as_object_mut().unwrap().remove("iat");
    });
    refused_saying(check_at(c, &s, &undated, NOW), "no issue time (iat)");
    malformed(check_at(c, &s, &with(|c| c["exp"] = json!("soon")), NOW));
}

#[test]
fn forged_and_tampered_tokens_are_refused() {
    let c = cache();
    let s = settings(None);
    let token = good();
    let parts: Vec<&str> = token.split('.').collect();
    // A payload changed after signing (another audience slipped in).
    let mut claims = push_claims(AUDIENCE, NOW);
    claims["email"] = json!("attacker@example.com");
    let forged_payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    refused_saying(check_at(c, &s, &tampered, NOW), "signature does not verify");
    // Signed by a key Google does not have, under the kid of one it has.
    let other_key = key(1).token(KID, &push_claims(AUDIENCE, NOW));
    refused_saying(
        check_at(c, &s, &other_key, NOW),
        "signature does not verify",
    );
    // A signature one bit off.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    refused_saying(check_at(c, &s, &flipped, NOW), "signature does not verify");
    // A key id that is not cached (and no runtime here to fetch it on).
    let unknown = key(0).token("not-a-google-key", &push_claims(AUDIENCE, NOW));
    refused_saying(
        check_at(c, &s, &unknown, NOW),
        "signing key (kid) is not one of the keys at http://keys.invalid",
    );
}

#[test]
fn only_rs256_is_taken_whatever_the_header_says() {
    let c = cache();
    let s = settings(None);
    let claims = push_claims(AUDIENCE, NOW);
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    // `alg: none`: unsigned, with and without an empty signature part.
    let head = b64(&json!({"alg": "none", "kid": KID, "typ": "JWT"}));
    for token in [
        format!("{head}.{}.", b64(&claims)),
        format!("{head}.{}.c2ln", b64(&claims)),
    ] {
        refused_saying(check_at(c, &s, &token, NOW), "unsigned (alg none)");
    }
    // HS256 keyed with the public key's bytes, the classic confusion of an
    // RSA verifier: an HMAC any holder of the JWKS could compute.
    let jwk = key(0).jwk(KID);
    for public_bytes in [
        jwk.to_string().into_bytes(),
        URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap(),
    ] {
        let head = b64(&json!({"alg": "HS256", "kid": KID, "typ": "JWT"}));
        let signed = format!("{head}.{}", b64(&claims));
        let mac = hex_sha256(&public_bytes, signed.as_bytes());
        let token = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(decode_hex(&mac).unwrap())
        );
        refused_saying(check_at(c, &s, &token, NOW), "not signed RS256");
    }
    // A right RS256 signature under a header claiming another algorithm.
    for alg in ["RS512", "PS256", "ES256", "rs256"] {
        let token = key(0).sign(&json!({"alg": alg, "kid": KID}), &claims);
        refused_saying(check_at(c, &s, &token, NOW), "not signed RS256");
    }
    let crit = key(0).sign(
        &json!({"alg": "RS256", "kid": KID, "crit": ["exp"]}),
        &claims,
    );
    refused_saying(check_at(c, &s, &crit, NOW), "critical extensions");
}

#[test]
fn what_is_not_a_bearer_jwt_is_malformed_or_missing() {
    let c = cache();
    let s = settings(None);
    let h = lookup(&[]);
    assert_eq!(check(c, &s, &h, at(NOW)), Err(missing("Authorization")));
    let h = lookup(&[("Authorization", &format!("Basic {}", good()))]);
    malformed(check(c, &s, &h, at(NOW)));
    let token = good();
    let parts: Vec<&str> = token.split('.').collect();
    let no_kid = key(0).sign(&json!({"alg": "RS256"}), &push_claims(AUDIENCE, NOW));
    for bad in [
        "not-a-jwt".to_string(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.extra"),
        format!("{}.{}.", parts[0], parts[1]),
        format!("!!.{}.{}", parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode("[1]"),
            parts[1],
            parts[2]
        ),
        no_kid,
        "a".repeat(9000),
    ] {
        malformed(check_at(c, &s, &bad, NOW));
    }
    // Claims that are not a JSON object, under a signature that holds.
    let not_object = key(0).sign(&json!({"alg": "RS256", "kid": KID}), &json!("claims"));
    malformed(check_at(c, &s, &not_object, NOW));
}

#[test]
fn a_receiver_without_an_audience_or_with_a_bad_key_url_takes_nothing() {
    let c = cache();
    for audience in [None, Some(""), Some("  ")] {
        let s = Settings {
            audience,
            email: None,
            jwks_url: URL,
        };
        match check_at(c, &s, &good(), NOW) {
            Err(VerifyError::Unconfigured(why)) => assert!(why.contains("no audience"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
    let s = Settings {
        audience: Some(AUDIENCE),
        email: None,
        jwks_url: "file:///etc/keys.json",
    };
    assert!(matches!(
        check_at(c, &s, &good(), NOW),
        Err(VerifyError::Unconfigured(_))
    ));
}

/// Refusals are logged and shown: none repeats the token or its signature.
#[test]
fn no_refusal_repeats_the_token() {
    let c = cache();
    let s = settings(Some("other@proj.iam.gserviceaccount.com"));
    let token = good();
    let signature = token.rsplit('.').next().unwrap().to_string();
    let cases = [
        check_at(c, &s, &token, NOW),
        check_at(c, &s, &token, NOW + 9999),
        check_at(c, &s, &with(|c| c["aud"] = json!("x")), NOW),
        check_at(c, &s, &format!("{token}x"), NOW),
        check_at(c, &s, &key(1).token(KID, &push_claims(AUDIENCE, NOW)), NOW),
        check_at(c, &s, &key(0).token("zz", &push_claims(AUDIENCE, NOW)), NOW),
    ];
    for result in cases {
        let text = result.expect_err("refused").to_string();
        for part in token.split('.').chain([signature.as_str()]) {
            assert!(!text.contains(part), "{text} repeats part of the token");
        }
    }
}
