//! Tests for webhook verification. Every scheme is pinned to a fixed vector
//! (published where the provider publishes one, otherwise computed with
//! Python's `hmac` module, independently of this code), so a stub that always
//! passes or always fails cannot satisfy them.

mod body_mac;
mod google_oidc;
mod jwks;
mod leaks;
mod slack_grafana;
mod stripe_standard;
mod tokens;

use super::*;
use chrono::TimeZone;
use std::collections::HashMap;

/// A header lookup like the gateway's: names are stored lowercased and looked
/// up exactly, so a verifier asking for `X-Hub-Signature-256` would find
/// nothing. That pins the "caller lowercases" contract.
pub(super) fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

pub(super) fn secrets(list: &[&str]) -> Vec<Sensitive<String>> {
    list.iter().map(|s| Sensitive::new(s.to_string())).collect()
}

pub(super) fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0)
        .single()
        .expect("valid timestamp")
}

/// Runs [`verify`] with the given headers.
pub(super) fn run(
    scheme: &Scheme,
    secret_list: &[&str],
    pairs: &[(&str, &str)],
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Verified, VerifyError> {
    let h = lookup(pairs);
    verify(scheme, &secrets(secret_list), &h, body, now)
}

/// Hex HMAC-SHA256 computed straight with the `hmac` crate, not through the
/// module, for cases the fixed vectors do not cover (extra rotation entries).
pub(super) fn hex_sha256(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Flips the last hex digit, keeping length and alphabet: a near-miss forgery.
pub(super) fn flip_last(hex: &str) -> String {
    let (head, last) = hex.split_at(hex.len() - 1);
    format!("{head}{}", if last == "0" { "1" } else { "0" })
}

pub(super) fn mismatch_on(header: &str) -> VerifyError {
    VerifyError::Mismatch {
        header: header.to_string(),
    }
}

pub(super) fn missing(header: &str) -> VerifyError {
    VerifyError::Missing {
        header: header.to_string(),
    }
}

pub(super) fn assert_malformed(result: Result<Verified, VerifyError>) {
    match result {
        Err(VerifyError::Malformed(_)) => {}
        other => panic!("expected Malformed, got {other:?}"),
    }
}

pub(super) fn assert_stale(result: Result<Verified, VerifyError>, age: i64, tolerance: i64) {
    assert_eq!(
        result,
        Err(VerifyError::Stale {
            age_secs: age,
            tolerance_secs: tolerance
        })
    );
}

// ---- Scheme as data ----

#[test]
fn scheme_serializes_with_a_type_tag() {
    let cases = [
        (Scheme::None, r#"{"type":"none"}"#),
        (Scheme::GithubSha256, r#"{"type":"github_sha256"}"#),
        (Scheme::GithubSha1, r#"{"type":"github_sha1"}"#),
        (Scheme::PagerDutyV3, r#"{"type":"pagerduty_v3"}"#),
        (Scheme::Sentry, r#"{"type":"sentry"}"#),
        (Scheme::Grafana, r#"{"type":"grafana"}"#),
        (Scheme::SlackV0, r#"{"type":"slack_v0"}"#),
        (
            Scheme::Stripe { tolerance_secs: 60 },
            r#"{"type":"stripe","tolerance_secs":60}"#,
        ),
        (Scheme::StandardWebhooks, r#"{"type":"standard_webhooks"}"#),
        (
            Scheme::SharedToken {
                header: "X-Token".into(),
            },
            r#"{"type":"shared_token","header":"X-Token"}"#,
        ),
        (Scheme::Basic, r#"{"type":"basic"}"#),
        (Scheme::Bearer, r#"{"type":"bearer"}"#),
        (
            Scheme::GoogleOidc {
                audience: None,
                service_account_email: None,
                jwks_url: None,
            },
            r#"{"type":"google_oidc"}"#,
        ),
        (
            Scheme::GoogleOidc {
                audience: Some("https://h/webhooks/gcp-pubsub/default".into()),
                service_account_email: Some("push@p.iam.gserviceaccount.com".into()),
                jwks_url: None,
            },
            r#"{"type":"google_oidc","audience":"https://h/webhooks/gcp-pubsub/default","service_account_email":"push@p.iam.gserviceaccount.com"}"#,
        ),
    ];
    for (scheme, json) in cases {
        assert_eq!(serde_json::to_string(&scheme).unwrap(), json);
        assert_eq!(serde_json::from_str::<Scheme>(json).unwrap(), scheme);
    }
}

/// `google_oidc` keeps no secret, and takes its settings from the
/// instance's form fields, which win over those inside `verify`.
#[test]
fn google_oidc_reads_the_instance_settings() {
    let bare = Scheme::GoogleOidc {
        audience: None,
        service_account_email: None,
        jwks_url: None,
    };
    assert!(!bare.needs_secret() && !Scheme::None.needs_secret());
    assert!(Scheme::Bearer.needs_secret() && Scheme::GithubSha256.needs_secret());
    let config = serde_json::json!({
        "audience": " https://h/webhooks/gcp-pubsub/default ",
        "serviceAccountEmail": "push@p.iam.gserviceaccount.com",
        "jwksUrl": "",
        "verify": {"type": "google_oidc"},
    });
    let inside = Scheme::GoogleOidc {
        audience: Some("https://old/".into()),
        service_account_email: None,
        jwks_url: Some("http://127.0.0.1:1/certs".into()),
    };
    assert_eq!(
        inside.with_instance_config(&config),
        Scheme::GoogleOidc {
            audience: Some("https://h/webhooks/gcp-pubsub/default".into()),
            service_account_email: Some("push@p.iam.gserviceaccount.com".into()),
            jwks_url: Some("http://127.0.0.1:1/certs".into()),
        },
        "a blank form field leaves the scheme's own"
    );
    assert_eq!(
        bare.clone().with_instance_config(&serde_json::json!({})),
        bare
    );
    assert_eq!(Scheme::Bearer.with_instance_config(&config), Scheme::Bearer);
}

#[test]
fn stripe_tolerance_defaults_to_five_minutes() {
    let s: Scheme = serde_json::from_str(r#"{"type":"stripe"}"#).unwrap();
    assert_eq!(
        s,
        Scheme::Stripe {
            tolerance_secs: 300
        }
    );
    assert_eq!(Scheme::stripe(), s);
}

// ---- behaviour shared by every scheme ----

#[test]
fn scheme_none_accepts_anything_and_reports_the_delivery_id() {
    let ok = run(
        &Scheme::None,
        &[],
        &[("X-GitHub-Delivery", "d-1")],
        b"anything",
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, None);
    assert_eq!(ok.delivery_id.as_deref(), Some("d-1"));
}

#[test]
fn every_verifying_scheme_refuses_without_a_secret() {
    let schemes = [
        Scheme::GithubSha256,
        Scheme::GithubSha1,
        Scheme::PagerDutyV3,
        Scheme::Sentry,
        Scheme::Grafana,
        Scheme::SlackV0,
        Scheme::stripe(),
        Scheme::StandardWebhooks,
        Scheme::SharedToken {
            header: "X-Token".into(),
        },
        Scheme::Basic,
        Scheme::Bearer,
    ];
    for scheme in &schemes {
        assert_eq!(
            run(scheme, &[], &[], b"{}", at(0)),
            Err(VerifyError::NoSecret),
            "{scheme:?} with no secrets"
        );
        // An empty secret is no secret: with it, an empty token would match.
        assert_eq!(
            run(scheme, &[""], &[("X-Token", "")], b"{}", at(0)),
            Err(VerifyError::NoSecret),
            "{scheme:?} with an empty secret"
        );
    }
}

#[test]
fn delivery_id_reads_each_known_header() {
    for name in [
        "X-GitHub-Delivery",
        "webhook-id",
        "X-Webhook-Id",
        "Request-ID",
    ] {
        let h = lookup(&[(name, " abc-123 ")]);
        assert_eq!(delivery_id(&h).as_deref(), Some("abc-123"), "{name}");
    }
    let h = lookup(&[("X-Other", "x")]);
    assert_eq!(delivery_id(&h), None);
    let h = lookup(&[("X-GitHub-Delivery", "  ")]);
    assert_eq!(delivery_id(&h), None, "blank is absent");
}

#[test]
fn error_messages_are_for_people() {
    assert_eq!(
        mismatch_on("X-Hub-Signature-256").to_string(),
        "X-Hub-Signature-256 does not match any active secret"
    );
    assert_eq!(
        missing("X-Slack-Signature").to_string(),
        "X-Slack-Signature header is missing"
    );
    let old = VerifyError::Stale {
        age_secs: 301,
        tolerance_secs: 300,
    }
    .to_string();
    assert!(
        old.contains("301 s old") && old.contains("300 s window"),
        "{old}"
    );
    let future = VerifyError::Stale {
        age_secs: -400,
        tolerance_secs: 300,
    }
    .to_string();
    assert!(future.contains("400 s in the future"), "{future}");
}

// ---- helpers ----

#[test]
fn ct_eq_compares_every_byte() {
    assert!(ct_eq(b"abcd", b"abcd"));
    assert!(!ct_eq(b"abcd", b"abce"));
    assert!(!ct_eq(b"abcd", b"xbcd"));
    assert!(!ct_eq(b"abc", b"abcd"));
    assert!(!ct_eq(b"", b""), "empty never matches");
    assert!(token_eq(b"token", b"token"));
    assert!(!token_eq(b"token", b"token2"));
}

#[test]
fn decode_hex_refuses_bad_input() {
    assert_eq!(decode_hex("00ffA0"), Some(vec![0x00, 0xff, 0xa0]));
    assert_eq!(decode_hex("abc"), None);
    assert_eq!(decode_hex("zz"), None);
    assert_eq!(decode_hex("é1"), None);
}

#[test]
fn window_is_inclusive_and_two_sided() {
    assert!(within_window(1000, at(1300), 300).is_ok());
    assert!(within_window(1000, at(700), 300).is_ok());
    assert!(within_window(1000, at(1301), 300).is_err());
    assert!(within_window(1000, at(699), 300).is_err());
    assert!(within_window(i64::MIN, at(0), 300).is_err(), "no overflow");
}
