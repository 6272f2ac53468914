//! Google Cloud Monitoring incidents through a Pub/Sub push subscription:
//! the envelope's base64 data decoded, mapped as the webhook channel's, with
//! the same fingerprints; each push verified by its Google OIDC token.

use super::{check, Expect};
use crate::descriptor::AuthType;
use crate::verify::{Scheme, GOOGLE_JWKS_URL};
use causeway_core::{Severity, SignalKind, SignalStatus};
use serde_json::json;

const EXPECTED: &[Expect] = &[
    Expect {
        file: "pubsub-incident-closed.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "CPU usage",
        severity: Severity::High,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/webserver-85"),
        fingerprint: "gcm:f2e08c333dc64cb09f75eaab355393bz",
        correlation: "gcm-policy:i-4a266a2d:Webserver Health",
        occurred: "2017-07-06T19:10:14+00:00",
        ended: Some("2017-07-06T19:20:36+00:00"),
        url: Some("https://app.stackdriver.com/incidents/f2e08c333dc64cb09f75eaab355393bz"),
    },
    Expect {
        file: "pubsub-incident-open.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "CPU usage",
        severity: Severity::High,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/webserver-85"),
        fingerprint: "gcm:f2e08c333dc64cb09f75eaab355393bz",
        correlation: "gcm-policy:i-4a266a2d:Webserver Health",
        occurred: "2017-07-06T19:10:14+00:00",
        ended: None,
        url: Some("https://app.stackdriver.com/incidents/f2e08c333dc64cb09f75eaab355393bz"),
    },
];

#[test]
fn every_pubsub_fixture_maps_to_the_expected_signals() {
    check("gcp-pubsub", "STACKDRIVER", EXPECTED);
}

/// Pushes are verified by their OIDC token (no secret to keep), against the
/// settings the form asks for: the audience (required), the service
/// account, and the JWKS URL, Google's unless changed.
#[test]
fn pushes_are_verified_by_their_google_oidc_token() {
    let d = crate::descriptor::builtin_or_user("gcp-pubsub").unwrap();
    assert_eq!(d.auth.kind, AuthType::Oidc);
    let scheme = d.auth.scheme.clone().unwrap();
    assert!(matches!(scheme, Scheme::GoogleOidc { .. }), "{scheme:?}");
    assert!(!scheme.needs_secret());
    let form = &d.config_schema;
    assert_eq!(form["required"], json!(["audience"]));
    assert_eq!(form["properties"]["jwksUrl"]["default"], GOOGLE_JWKS_URL);
    for field in ["audience", "serviceAccountEmail", "jwksUrl"] {
        let f = &form["properties"][field];
        assert!(
            f["description"].as_str().is_some_and(|s| s.len() > 20),
            "{field}"
        );
        assert!(f["x-secret"].is_null(), "{field} is no secret");
    }
    assert!(!d.description.contains("does not check"));
    let config = json!({
        "audience": "https://causeway.example/webhooks/gcp-pubsub/default",
        "serviceAccountEmail": "push@proj.iam.gserviceaccount.com",
        "jwksUrl": GOOGLE_JWKS_URL,
    });
    assert_eq!(
        scheme.with_instance_config(&config),
        Scheme::GoogleOidc {
            audience: Some("https://causeway.example/webhooks/gcp-pubsub/default".into()),
            service_account_email: Some("push@proj.iam.gserviceaccount.com".into()),
            jwks_url: Some(GOOGLE_JWKS_URL.into()),
        }
    );
}
