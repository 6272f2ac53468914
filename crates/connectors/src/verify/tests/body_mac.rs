//! GitHub, PagerDuty v3 and Sentry: a MAC over the body alone.

use super::*;

// GitHub's docs, "Validating webhook deliveries", testing section:
// secret "It's a Secret to Everybody", payload "Hello, World!".
const GH_SECRET: &str = "It's a Secret to Everybody";
const GH_BODY: &[u8] = b"Hello, World!";
const GH_SHA256: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
// Same secret and payload, SHA-1, computed with
// python3 -c 'import hmac,hashlib; print(hmac.new(b"It'"'"'s a Secret to Everybody", b"Hello, World!", hashlib.sha1).hexdigest())'
const GH_SHA1: &str = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59";

#[test]
fn github_sha256_docs_vector_passes() {
    let ok = run(
        &Scheme::GithubSha256,
        &[GH_SECRET],
        &[
            ("X-Hub-Signature-256", GH_SHA256),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ],
        GH_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    assert_eq!(
        ok.delivery_id.as_deref(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
}

#[test]
fn github_sha256_refusals() {
    let s = Scheme::GithubSha256;
    let h = "X-Hub-Signature-256";
    let wrong = flip_last(GH_SHA256);
    assert_eq!(
        run(&s, &[GH_SECRET], &[(h, &wrong)], GH_BODY, at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &["another secret"], &[(h, GH_SHA256)], GH_BODY, at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[GH_SECRET], &[(h, GH_SHA256)], b"Hello, World?", at(0)),
        Err(mismatch_on(h)),
        "tampered body"
    );
    assert_eq!(run(&s, &[GH_SECRET], &[], GH_BODY, at(0)), Err(missing(h)));
    // The legacy header does not stand in for the SHA-256 one.
    assert_eq!(
        run(
            &s,
            &[GH_SECRET],
            &[("X-Hub-Signature", GH_SHA1)],
            GH_BODY,
            at(0)
        ),
        Err(missing(h))
    );
    // Without its prefix, with a SHA-1 prefix, or not hex: malformed, not a panic.
    let bare = GH_SHA256.trim_start_matches("sha256=");
    assert_malformed(run(&s, &[GH_SECRET], &[(h, bare)], GH_BODY, at(0)));
    assert_malformed(run(&s, &[GH_SECRET], &[(h, GH_SHA1)], GH_BODY, at(0)));
    assert_malformed(run(&s, &[GH_SECRET], &[(h, "sha256=zz")], GH_BODY, at(0)));
    assert_malformed(run(&s, &[GH_SECRET], &[(h, "sha256=")], GH_BODY, at(0)));
    assert_malformed(run(&s, &[GH_SECRET], &[(h, "sha256=abc")], GH_BODY, at(0)));
}

#[test]
fn github_sha256_rotation_second_secret_matches() {
    let ok = run(
        &Scheme::GithubSha256,
        &["the new secret", GH_SECRET],
        &[("X-Hub-Signature-256", GH_SHA256)],
        GH_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));
    // An empty entry keeps its slot: indices refer to the caller's list.
    let ok = run(
        &Scheme::GithubSha256,
        &["", "old", GH_SECRET],
        &[("X-Hub-Signature-256", GH_SHA256)],
        GH_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(2));
}

#[test]
fn github_sha1_legacy_header() {
    let s = Scheme::GithubSha1;
    let h = "X-Hub-Signature";
    let ok = run(&s, &["x", GH_SECRET], &[(h, GH_SHA1)], GH_BODY, at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(1));
    assert_eq!(
        run(
            &s,
            &[GH_SECRET],
            &[(h, &flip_last(GH_SHA1))],
            GH_BODY,
            at(0)
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[GH_SECRET], &[(h, GH_SHA1)], b"Hello, World", at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(
            &s,
            &[GH_SECRET],
            &[("X-Hub-Signature-256", GH_SHA256)],
            GH_BODY,
            at(0)
        ),
        Err(missing(h))
    );
    // A SHA-256 value under the SHA-1 header is the wrong algorithm.
    assert_malformed(run(&s, &[GH_SECRET], &[(h, GH_SHA256)], GH_BODY, at(0)));
}

// PagerDuty publishes no vector; computed with
// python3 -c 'import hmac,hashlib; print(hmac.new(b"pd-secret-one", PD_BODY, hashlib.sha256).hexdigest())'
const PD_SECRET: &str = "pd-secret-one";
const PD_BODY: &[u8] =
    br#"{"event":{"id":"01DEN8KZ2K9QZ5N8X9X7Z2Y1","event_type":"incident.triggered"}}"#;
const PD_SIG: &str = "e6df8d4de3bc7a6345d2e47b53c3b1e68e769e40c8f17debd30ad86949095ecd";

#[test]
fn pagerduty_v3() {
    let s = Scheme::PagerDutyV3;
    let h = "X-PagerDuty-Signature";
    let single = format!("v1={PD_SIG}");
    let ok = run(
        &s,
        &[PD_SECRET],
        &[(h, &single), ("X-Webhook-Id", "wh-42")],
        PD_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    assert_eq!(ok.delivery_id.as_deref(), Some("wh-42"));

    // PagerDuty lists one v1 per secret it signs with; the matching one may be
    // anywhere in the list, and unknown versions are skipped.
    let other = hex_sha256(b"pd-secret-two", PD_BODY);
    let listed = format!("v2=00ff, v1={other},v1={PD_SIG}");
    let ok = run(&s, &[PD_SECRET], &[(h, &listed)], PD_BODY, at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    // ...and our second secret may be the one that matches.
    let ok = run(
        &s,
        &["pd-old", "pd-secret-two"],
        &[(h, &listed)],
        PD_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));

    let wrong = format!("v1={},v1={other}", flip_last(PD_SIG));
    assert_eq!(
        run(&s, &[PD_SECRET], &[(h, &wrong)], PD_BODY, at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[PD_SECRET], &[(h, &single)], b"{}", at(0)),
        Err(mismatch_on(h)),
        "tampered body"
    );
    assert_eq!(run(&s, &[PD_SECRET], &[], PD_BODY, at(0)), Err(missing(h)));
    assert_malformed(run(&s, &[PD_SECRET], &[(h, PD_SIG)], PD_BODY, at(0)));
    assert_malformed(run(&s, &[PD_SECRET], &[(h, "v1=not-hex")], PD_BODY, at(0)));
}

// Sentry publishes no vector; computed with
// python3 -c 'import hmac,hashlib; print(hmac.new(b"sentry-client-secret", SENTRY_BODY, hashlib.sha256).hexdigest())'
const SENTRY_SECRET: &str = "sentry-client-secret";
const SENTRY_BODY: &[u8] = br#"{"action":"created","data":{"issue":{"id":"1"}}}"#;
const SENTRY_SIG: &str = "470f21240b712f2fa53ab6505fdf65dd15092bf0bb89145f7e6849a12bf8be4c";

#[test]
fn sentry() {
    let s = Scheme::Sentry;
    let h = "Sentry-Hook-Signature";
    let ok = run(
        &s,
        &[SENTRY_SECRET],
        &[(h, SENTRY_SIG), ("Request-ID", "req-7")],
        SENTRY_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    assert_eq!(ok.delivery_id.as_deref(), Some("req-7"));
    // Hex case does not matter.
    let upper = SENTRY_SIG.to_ascii_uppercase();
    assert!(run(&s, &[SENTRY_SECRET], &[(h, &upper)], SENTRY_BODY, at(0)).is_ok());

    let ok = run(
        &s,
        &["old", SENTRY_SECRET],
        &[(h, SENTRY_SIG)],
        SENTRY_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));

    assert_eq!(
        run(
            &s,
            &[SENTRY_SECRET],
            &[(h, &flip_last(SENTRY_SIG))],
            SENTRY_BODY,
            at(0)
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(
            &s,
            &[SENTRY_SECRET],
            &[(h, SENTRY_SIG)],
            b"{\"action\":\"deleted\"}",
            at(0)
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[SENTRY_SECRET], &[], SENTRY_BODY, at(0)),
        Err(missing(h))
    );
    assert_malformed(run(
        &s,
        &[SENTRY_SECRET],
        &[(h, "sha256=abcd")],
        SENTRY_BODY,
        at(0),
    ));
}
