//! Shared token, Basic and Bearer.

use super::*;

#[test]
fn shared_token() {
    let s = Scheme::SharedToken {
        header: "X-Causeway-Token".into(),
    };
    let h = "X-Causeway-Token";
    let ok = run(&s, &["tok-1"], &[(h, "tok-1")], b"{}", at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(&s, &["tok-new", "tok-1"], &[(h, "tok-1")], b"{}", at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(1));
    // Case in the configured name does not matter: lookups are lowercase.
    let lower = Scheme::SharedToken {
        header: "x-causeway-token".into(),
    };
    assert!(run(&lower, &["tok-1"], &[(h, "tok-1")], b"{}", at(0)).is_ok());

    assert_eq!(
        run(&s, &["tok-1"], &[(h, "tok-2")], b"{}", at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &["tok-1"], &[(h, "tok-")], b"{}", at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &["tok-1"], &[(h, "tok-1x")], b"{}", at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &["tok-1"], &[(h, "TOK-1")], b"{}", at(0)),
        Err(mismatch_on(h))
    );
    assert_eq!(
        run(&s, &["tok-1"], &[("X-Other", "tok-1")], b"{}", at(0)),
        Err(missing(h))
    );
    assert_eq!(
        run(&s, &["tok-1"], &[(h, "  ")], b"{}", at(0)),
        Err(missing(h))
    );
}

// python3 -c 'import base64; print(base64.b64encode(b"alertmanager:s3cret-pass").decode())'
const BASIC_SECRET: &str = "alertmanager:s3cret-pass";
const BASIC_HEADER: &str = "Basic YWxlcnRtYW5hZ2VyOnMzY3JldC1wYXNz";

#[test]
fn basic() {
    let s = Scheme::Basic;
    let a = "Authorization";
    let ok = run(&s, &[BASIC_SECRET], &[(a, BASIC_HEADER)], b"{}", at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(
        &s,
        &["am:old", BASIC_SECRET],
        &[(a, BASIC_HEADER)],
        b"{}",
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));
    // The auth scheme word is case-insensitive (RFC 9110).
    let lower = BASIC_HEADER.replace("Basic", "basic");
    assert!(run(&s, &[BASIC_SECRET], &[(a, &lower)], b"{}", at(0)).is_ok());

    // Right user, wrong password: "alertmanager:wrong".
    assert_eq!(
        run(
            &s,
            &[BASIC_SECRET],
            &[(a, "Basic YWxlcnRtYW5hZ2VyOndyb25n")],
            b"{}",
            at(0)
        ),
        Err(mismatch_on(a))
    );
    assert_eq!(run(&s, &[BASIC_SECRET], &[], b"{}", at(0)), Err(missing(a)));
    assert_malformed(run(&s, &[BASIC_SECRET], &[(a, "Basic ***")], b"{}", at(0)));
    assert_malformed(run(&s, &[BASIC_SECRET], &[(a, "Basic")], b"{}", at(0)));
    // Bearer credentials are not Basic ones, even if the token were the secret.
    assert_malformed(run(
        &s,
        &[BASIC_SECRET],
        &[(a, "Bearer alertmanager:s3cret-pass")],
        b"{}",
        at(0),
    ));
}

#[test]
fn bearer() {
    let s = Scheme::Bearer;
    let a = "Authorization";
    let ok = run(&s, &["am-token"], &[(a, "Bearer am-token")], b"{}", at(0)).unwrap();
    assert_eq!(ok.secret_index, Some(0));
    let ok = run(
        &s,
        &["new", "am-token"],
        &[(a, "bearer  am-token ")],
        b"{}",
        at(0),
    )
    .unwrap();
    assert_eq!(ok.secret_index, Some(1));

    assert_eq!(
        run(&s, &["am-token"], &[(a, "Bearer am-tokeN")], b"{}", at(0)),
        Err(mismatch_on(a))
    );
    assert_eq!(
        run(&s, &["am-token"], &[(a, "Bearer am")], b"{}", at(0)),
        Err(mismatch_on(a))
    );
    assert_eq!(run(&s, &["am-token"], &[], b"{}", at(0)), Err(missing(a)));
    assert_malformed(run(&s, &["am-token"], &[(a, "am-token")], b"{}", at(0)));
    assert_malformed(run(
        &s,
        &["am-token"],
        &[(a, "Basic am-token")],
        b"{}",
        at(0),
    ));
    assert_malformed(run(&s, &["am-token"], &[(a, "Bearer ")], b"{}", at(0)));
}
