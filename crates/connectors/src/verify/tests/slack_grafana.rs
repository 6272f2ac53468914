//! Slack and Grafana: a MAC over a timestamp (optional for Grafana) and the
//! body, with a replay window.

use super::*;

// Slack's docs, "Verifying requests from Slack", worked example.
const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const SLACK_TS: i64 = 1531420618;
const SLACK_BODY: &[u8] = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SLACK_SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

#[test]
fn slack_v0() {
    let s = Scheme::SlackV0;
    let (sig_h, ts_h) = ("X-Slack-Signature", "X-Slack-Request-Timestamp");
    let ts = SLACK_TS.to_string();
    let good = [(sig_h, SLACK_SIG), (ts_h, ts.as_str())];

    let ok = run(&s, &[SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS + 10)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(&s, &["old", SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS)).unwrap();
    assert_eq!(ok.secret_index, Some(1), "rotation");
    // The window's edges are inside it.
    assert!(run(&s, &[SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS + 300)).is_ok());
    assert!(run(&s, &[SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS - 300)).is_ok());

    assert_stale(
        run(&s, &[SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS + 301)),
        301,
        300,
    );
    assert_stale(
        run(&s, &[SLACK_SECRET], &good, SLACK_BODY, at(SLACK_TS - 301)),
        -301,
        300,
    );

    let wrong = flip_last(SLACK_SIG);
    let now = at(SLACK_TS);
    assert_eq!(
        run(
            &s,
            &[SLACK_SECRET],
            &[(sig_h, &wrong), (ts_h, &ts)],
            SLACK_BODY,
            now
        ),
        Err(mismatch_on(sig_h))
    );
    assert_eq!(
        run(&s, &[SLACK_SECRET], &good, b"token=forged", now),
        Err(mismatch_on(sig_h)),
        "tampered body"
    );
    // The timestamp is signed: moving it to look fresh breaks the MAC.
    let moved = (SLACK_TS + 1000).to_string();
    assert_eq!(
        run(
            &s,
            &[SLACK_SECRET],
            &[(sig_h, SLACK_SIG), (ts_h, &moved)],
            SLACK_BODY,
            at(SLACK_TS + 1000)
        ),
        Err(mismatch_on(sig_h))
    );
    assert_eq!(
        run(&s, &[SLACK_SECRET], &[(ts_h, &ts)], SLACK_BODY, now),
        Err(missing(sig_h))
    );
    assert_eq!(
        run(&s, &[SLACK_SECRET], &[(sig_h, SLACK_SIG)], SLACK_BODY, now),
        Err(missing(ts_h))
    );
    assert_malformed(run(
        &s,
        &[SLACK_SECRET],
        &[(sig_h, SLACK_SIG), (ts_h, "yesterday")],
        SLACK_BODY,
        now,
    ));
    let bare = SLACK_SIG.trim_start_matches("v0=");
    assert_malformed(run(
        &s,
        &[SLACK_SECRET],
        &[(sig_h, bare), (ts_h, &ts)],
        SLACK_BODY,
        now,
    ));
}

// Grafana publishes no vector; computed with Python's hmac, e.g.
// hmac.new(b"grafana-secret", b"1700000000:" + GRAFANA_BODY, hashlib.sha256).hexdigest()
const GRAFANA_SECRET: &str = "grafana-secret";
const GRAFANA_BODY: &[u8] = br#"{"status":"firing","alerts":[]}"#;
const GRAFANA_SIG: &str = "fa1c3eea39b3412c5e735508822ac697fd6dba66ab47dc1760177304e375622f";
const GRAFANA_TS: i64 = 1_700_000_000;
const GRAFANA_TS_SIG: &str = "57609371fbf4f76e94d7da4c59b6e0e6fa7a374dc47cfa96833fdcb92e0853a4";

#[test]
fn grafana_without_timestamp() {
    let s = Scheme::Grafana;
    let h = "X-Grafana-Alerting-Signature";
    let ok = run(
        &s,
        &[GRAFANA_SECRET],
        &[(h, GRAFANA_SIG)],
        GRAFANA_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(
        &s,
        &["old", GRAFANA_SECRET],
        &[(h, GRAFANA_SIG)],
        GRAFANA_BODY,
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));
    assert_eq!(
        run(
            &s,
            &[GRAFANA_SECRET],
            &[(h, &flip_last(GRAFANA_SIG))],
            GRAFANA_BODY,
            at(0)
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(
            &s,
            &[GRAFANA_SECRET],
            &[(h, GRAFANA_SIG)],
            br#"{"status":"resolved"}"#,
            at(0)
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[GRAFANA_SECRET], &[], GRAFANA_BODY, at(0)),
        Err(missing(h))
    );
    assert_malformed(run(
        &s,
        &[GRAFANA_SECRET],
        &[(h, "v1=xyz")],
        GRAFANA_BODY,
        at(0),
    ));
}

#[test]
fn grafana_with_timestamp() {
    let s = Scheme::Grafana;
    let (h, ts_h) = (
        "X-Grafana-Alerting-Signature",
        "X-Grafana-Alerting-Signature-Timestamp",
    );
    let ts = GRAFANA_TS.to_string();
    let good = [(h, GRAFANA_TS_SIG), (ts_h, ts.as_str())];
    let ok = run(
        &s,
        &[GRAFANA_SECRET],
        &good,
        GRAFANA_BODY,
        at(GRAFANA_TS + 5),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(
        &s,
        &["a", "b", GRAFANA_SECRET],
        &good,
        GRAFANA_BODY,
        at(GRAFANA_TS),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(2));

    assert_stale(
        run(
            &s,
            &[GRAFANA_SECRET],
            &good,
            GRAFANA_BODY,
            at(GRAFANA_TS + 301),
        ),
        301,
        300,
    );
    assert_stale(
        run(
            &s,
            &[GRAFANA_SECRET],
            &good,
            GRAFANA_BODY,
            at(GRAFANA_TS - 600),
        ),
        -600,
        300,
    );

    let now = at(GRAFANA_TS);
    assert_eq!(
        run(
            &s,
            &[GRAFANA_SECRET],
            &[(h, &flip_last(GRAFANA_TS_SIG)), (ts_h, &ts)],
            GRAFANA_BODY,
            now
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[GRAFANA_SECRET], &good, b"{}", now),
        Err(mismatch_on(h)),
        "tampered body"
    );
    // Dropping the timestamp header does not turn a timed MAC into a body MAC,
    // and adding one to an untimed MAC does not verify either.
    assert_eq!(
        run(
            &s,
            &[GRAFANA_SECRET],
            &[(h, GRAFANA_TS_SIG)],
            GRAFANA_BODY,
            now
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(
            &s,
            &[GRAFANA_SECRET],
            &[(h, GRAFANA_SIG), (ts_h, &ts)],
            GRAFANA_BODY,
            now
        ),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[GRAFANA_SECRET], &[(ts_h, &ts)], GRAFANA_BODY, now),
        Err(missing(h))
    );
    assert_malformed(run(
        &s,
        &[GRAFANA_SECRET],
        &[(h, GRAFANA_TS_SIG), (ts_h, "1.7e9")],
        GRAFANA_BODY,
        now,
    ));
}
