//! Stripe and Standard Webhooks: a MAC over a timestamp (and, for Standard
//! Webhooks, the delivery id) and the body, with a replay window.

use super::*;

// Stripe's docs give the scheme but no fixed vector; computed with
// hmac.new(b"whsec_stripe_test", b"1700000000." + STRIPE_BODY, hashlib.sha256).hexdigest()
// (Stripe keys the MAC with the whole secret string, prefix included).
const STRIPE_SECRET: &str = "whsec_stripe_test";
const STRIPE_BODY: &[u8] = br#"{"id":"evt_1","type":"charge.succeeded"}"#;
const STRIPE_TS: i64 = 1_700_000_000;
const STRIPE_SIG: &str = "6f3356ce5701dd6223636ac876d42e3d64a5c998dc193818a0dba9df61942206";

#[test]
fn stripe() {
    let s = Scheme::stripe();
    let h = "Stripe-Signature";
    let good = format!("t={STRIPE_TS},v1={STRIPE_SIG}");
    let ok = run(
        &s,
        &[STRIPE_SECRET],
        &[(h, &good)],
        STRIPE_BODY,
        at(STRIPE_TS + 1),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(0));
    assert_eq!(ok.delivery_id, None, "Stripe's id is in the body");
    let ok = run(
        &s,
        &["whsec_old", STRIPE_SECRET],
        &[(h, &good)],
        STRIPE_BODY,
        at(STRIPE_TS),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));

    // While rolling, Stripe lists several v1 entries; v0 and unknown keys are ignored.
    let other = hex_sha256(b"whsec_other", format!("{STRIPE_TS}.").as_bytes());
    let listed = format!("t={STRIPE_TS}, v1={other}, v1={STRIPE_SIG}, v0=abcd, x=y");
    assert!(run(
        &s,
        &[STRIPE_SECRET],
        &[(h, &listed)],
        STRIPE_BODY,
        at(STRIPE_TS)
    )
    .is_ok());

    let good_h = [(h, good.as_str())];
    assert_stale(
        run(
            &s,
            &[STRIPE_SECRET],
            &good_h,
            STRIPE_BODY,
            at(STRIPE_TS + 301),
        ),
        301,
        300,
    );
    assert_stale(
        run(
            &s,
            &[STRIPE_SECRET],
            &good_h,
            STRIPE_BODY,
            at(STRIPE_TS - 301),
        ),
        -301,
        300,
    );
    // The descriptor's tolerance is the one applied.
    let strict = Scheme::Stripe { tolerance_secs: 60 };
    assert!(run(
        &strict,
        &[STRIPE_SECRET],
        &good_h,
        STRIPE_BODY,
        at(STRIPE_TS + 60)
    )
    .is_ok());
    assert_stale(
        run(
            &strict,
            &[STRIPE_SECRET],
            &good_h,
            STRIPE_BODY,
            at(STRIPE_TS + 61),
        ),
        61,
        60,
    );

    let now = at(STRIPE_TS);
    let wrong = format!("t={STRIPE_TS},v1={}", flip_last(STRIPE_SIG));
    assert_eq!(
        run(&s, &[STRIPE_SECRET], &[(h, &wrong)], STRIPE_BODY, now),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[STRIPE_SECRET], &good_h, br#"{"id":"evt_2"}"#, now),
        Err(mismatch_on(h)),
        "tampered body"
    );
    let moved = format!("t={},v1={STRIPE_SIG}", STRIPE_TS + 1);
    assert_eq!(
        run(&s, &[STRIPE_SECRET], &[(h, &moved)], STRIPE_BODY, now),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &[STRIPE_SECRET], &[], STRIPE_BODY, now),
        Err(missing(h))
    );
    assert_malformed(run(
        &s,
        &[STRIPE_SECRET],
        &[(h, &format!("v1={STRIPE_SIG}"))],
        STRIPE_BODY,
        now,
    ));
    assert_malformed(run(
        &s,
        &[STRIPE_SECRET],
        &[(h, &format!("t={STRIPE_TS}"))],
        STRIPE_BODY,
        now,
    ));
    assert_malformed(run(
        &s,
        &[STRIPE_SECRET],
        &[(h, "t=soon,v1=00")],
        STRIPE_BODY,
        now,
    ));
    assert_malformed(run(
        &s,
        &[STRIPE_SECRET],
        &[(h, &format!("t={STRIPE_TS},v1=xyz"))],
        STRIPE_BODY,
        now,
    ));
}

// The Standard Webhooks reference libraries' test vector (also used by Svix's):
// secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, id msg_p5jXN8AQM9LWM0D4loKWxJek,
// timestamp 1614265330, payload {"test": 2432232314}. Re-computed here with
// base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
//   b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330." + SW_BODY, hashlib.sha256).digest())
const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: i64 = 1614265330;
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn sw_headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("webhook-id", id),
        ("webhook-timestamp", ts),
        ("webhook-signature", sig),
    ]
}

#[test]
fn standard_webhooks() {
    let s = Scheme::StandardWebhooks;
    let ts = SW_TS.to_string();
    let good = sw_headers(SW_ID, &ts, SW_SIG);
    let ok = run(&s, &[SW_SECRET], &good, SW_BODY, at(SW_TS + 2)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    assert_eq!(ok.delivery_id.as_deref(), Some(SW_ID));
    // The prefix is optional on our side; the key is the decoded base64 either way.
    assert!(run(
        &s,
        &["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
        &good,
        SW_BODY,
        at(SW_TS)
    )
    .is_ok());
    // The raw secret text is not the key.
    assert_eq!(
        run(&s, &["whsec_bm90IHRoZSBrZXk="], &good, SW_BODY, at(SW_TS)),
        Err(mismatch_on("webhook-signature"))
    );

    // Rotation; an undecodable secret is skipped, not fatal.
    let ok = run(
        &s,
        &["whsec_b2xkIGtleQ==", SW_SECRET],
        &good,
        SW_BODY,
        at(SW_TS),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));
    let ok = run(&s, &["not base64!", SW_SECRET], &good, SW_BODY, at(SW_TS)).unwrap();
    assert_eq!(ok.secret_index, Some(1));
    assert_malformed(run(&s, &["not base64!"], &good, SW_BODY, at(SW_TS)));

    // Several signatures, other versions skipped.
    let listed = format!("v1a,AAAA v1,b2xkIHNpZ25hdHVyZQ== {SW_SIG}");
    let h = sw_headers(SW_ID, &ts, &listed);
    assert!(run(&s, &[SW_SECRET], &h, SW_BODY, at(SW_TS)).is_ok());

    assert_stale(
        run(&s, &[SW_SECRET], &good, SW_BODY, at(SW_TS + 301)),
        301,
        300,
    );
    assert_stale(
        run(&s, &[SW_SECRET], &good, SW_BODY, at(SW_TS - 301)),
        -301,
        300,
    );

    let now = at(SW_TS);
    let sig_h = "webhook-signature";
    let wrong = SW_SIG.replace("g0hM", "g0hN");
    assert_eq!(
        run(
            &s,
            &[SW_SECRET],
            &sw_headers(SW_ID, &ts, &wrong),
            SW_BODY,
            now
        ),
        Err(mismatch_on(sig_h))
    );
    assert_eq!(
        run(&s, &[SW_SECRET], &good, br#"{"test": 2432232315}"#, now),
        Err(mismatch_on(sig_h)),
        "tampered body"
    );
    // The id and the timestamp are both signed.
    assert_eq!(
        run(
            &s,
            &[SW_SECRET],
            &sw_headers("msg_other", &ts, SW_SIG),
            SW_BODY,
            now
        ),
        Err(mismatch_on(sig_h))
    );
    let later = (SW_TS + 1).to_string();
    assert_eq!(
        run(
            &s,
            &[SW_SECRET],
            &sw_headers(SW_ID, &later, SW_SIG),
            SW_BODY,
            now
        ),
        Err(mismatch_on(sig_h))
    );
    for absent in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let partial: Vec<_> = good.iter().copied().filter(|(k, _)| *k != absent).collect();
        assert_eq!(
            run(&s, &[SW_SECRET], &partial, SW_BODY, now),
            Err(missing(absent))
        );
    }
    let bad_b64 = sw_headers(SW_ID, &ts, "v1,***");
    assert_malformed(run(&s, &[SW_SECRET], &bad_b64, SW_BODY, now));
    let no_v1 = sw_headers(SW_ID, &ts, "v1a,AAAA");
    assert_malformed(run(&s, &[SW_SECRET], &no_v1, SW_BODY, now));
}
