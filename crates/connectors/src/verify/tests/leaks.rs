//! No error, however produced, shows a secret or the MAC we computed: errors
//! are logged and shown in the UI, and a computed MAC is as good as a forgery.

use super::*;
use base64::Engine;

const SECRET: &str = "Tr0ub4dor-s3cret-VALUE";
const TS: i64 = 1_700_000_000;

/// A scheme, the headers a delivery carries, and when it is checked.
type Case<'a> = (Scheme, Vec<(&'a str, &'a str)>, DateTime<Utc>);

/// Every string that would leak the secret if it appeared in a message.
fn forbidden(body: &[u8]) -> Vec<String> {
    let ts = TS.to_string();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut with_ts = ts.as_bytes().to_vec();
    with_ts.push(b'.');
    with_ts.extend_from_slice(body);
    vec![
        SECRET.to_string(),
        SECRET.to_ascii_lowercase(),
        b64.encode(SECRET),
        hex_sha256(SECRET.as_bytes(), body),
        hex_sha256(SECRET.as_bytes(), &with_ts),
    ]
}

#[test]
fn no_error_contains_the_secret_or_the_mac() {
    let body: &[u8] = br#"{"alert":"disk full"}"#;
    let right = hex_sha256(SECRET.as_bytes(), body);
    let ts = TS.to_string();
    let wrong_hex = "00".repeat(32);
    let stripe_stale = format!(
        "t={TS},v1={}",
        hex_sha256(SECRET.as_bytes(), &[ts.as_bytes(), b".", body].concat())
    );
    let stripe_wrong = format!("t={TS},v1={wrong_hex}");
    let sha256_wrong = format!("sha256={wrong_hex}");
    let sha1_wrong = format!("sha1={}", "00".repeat(20));
    let pd_wrong = format!("v1={wrong_hex}");
    let slack_wrong = format!("v0={wrong_hex}");
    let token = SECRET.to_string() + "x";
    let bearer_wrong = format!("Bearer {token}");
    let basic_wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{SECRET}x"))
    );

    let cases: Vec<Case<'_>> = vec![
        (
            Scheme::GithubSha256,
            vec![("X-Hub-Signature-256", &sha256_wrong)],
            at(TS),
        ),
        (
            Scheme::GithubSha256,
            vec![("X-Hub-Signature-256", &right)],
            at(TS),
        ),
        (Scheme::GithubSha256, vec![], at(TS)),
        (
            Scheme::GithubSha1,
            vec![("X-Hub-Signature", &sha1_wrong)],
            at(TS),
        ),
        (
            Scheme::PagerDutyV3,
            vec![("X-PagerDuty-Signature", &pd_wrong)],
            at(TS),
        ),
        (
            Scheme::PagerDutyV3,
            vec![("X-PagerDuty-Signature", "v1=zz")],
            at(TS),
        ),
        (
            Scheme::Sentry,
            vec![("Sentry-Hook-Signature", &wrong_hex)],
            at(TS),
        ),
        (
            Scheme::Grafana,
            vec![("X-Grafana-Alerting-Signature", &wrong_hex)],
            at(TS),
        ),
        (
            Scheme::SlackV0,
            vec![
                ("X-Slack-Signature", &slack_wrong),
                ("X-Slack-Request-Timestamp", &ts),
            ],
            at(TS),
        ),
        (
            Scheme::stripe(),
            vec![("Stripe-Signature", &stripe_wrong)],
            at(TS),
        ),
        // A genuinely signed but stale delivery: the error must not echo the MAC.
        (
            Scheme::stripe(),
            vec![("Stripe-Signature", &stripe_stale)],
            at(TS + 3600),
        ),
        (Scheme::stripe(), vec![("Stripe-Signature", "t=x")], at(TS)),
        (
            Scheme::StandardWebhooks,
            vec![
                ("webhook-id", "msg_1"),
                ("webhook-timestamp", &ts),
                ("webhook-signature", "v1,AAAA"),
            ],
            at(TS),
        ),
        (
            Scheme::SharedToken {
                header: "X-Token".into(),
            },
            vec![("X-Token", &token)],
            at(TS),
        ),
        (
            Scheme::Bearer,
            vec![("Authorization", &bearer_wrong)],
            at(TS),
        ),
        (Scheme::Basic, vec![("Authorization", &basic_wrong)], at(TS)),
        (Scheme::Basic, vec![("Authorization", "Basic !!")], at(TS)),
    ];

    let mut kinds = std::collections::HashSet::new();
    for (scheme, pairs, now) in &cases {
        let err = run(scheme, &[SECRET], pairs, body, *now)
            .expect_err(&format!("{scheme:?} {pairs:?} should be refused"));
        kinds.insert(std::mem::discriminant(&err));
        for shown in [format!("{err:?}"), err.to_string()] {
            for bad in forbidden(body) {
                assert!(
                    !shown.contains(&bad),
                    "{scheme:?}: error {shown:?} leaks secret material"
                );
            }
        }
    }
    // The cases above reach every kind of error except NoSecret, which has no
    // field to leak through.
    assert_eq!(
        kinds.len(),
        4,
        "Missing, Mismatch, Stale and Malformed all covered"
    );

    // Standard Webhooks decodes the secret: a secret it cannot decode is
    // reported without being shown.
    let h = lookup(&[
        ("webhook-id", "msg_1"),
        ("webhook-timestamp", &ts),
        ("webhook-signature", "v1,AAAA"),
    ]);
    let bad_secret = secrets(&["whsec_!!Tr0ub4dor!!"]);
    let err = verify(&Scheme::StandardWebhooks, &bad_secret, &h, body, at(TS)).unwrap_err();
    assert!(!format!("{err:?}").contains("Tr0ub4dor"), "{err:?}");
    assert!(!err.to_string().contains("Tr0ub4dor"));
}
