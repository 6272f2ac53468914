//! `causeway incidents ...` against a running `causeway serve` (the command
//! goes to it over the RPC API) and on a data dir with nothing running.

mod common;
use common::*;

fn incidents(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    cli("incidents", dir, args)
}

fn alert(fp: &str, pod: &str) -> Vec<u8> {
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","fingerprint":"{fp}",
        "labels":{{"alertname":"A{fp}","namespace":"shop","pod":"{pod}","severity":"critical"}},
        "annotations":{{"summary":"alert {fp}"}},"startsAt":"2026-11-20T03:00:00Z"}}]}}"#
    )
    .into_bytes()
}

#[tokio::test]
async fn a_person_moves_merges_and_reads_the_ledger_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = incidents(dir.path(), &["list"]);
    assert!(ok && out.contains("no incidents"), "{out}");

    let s = Server::start(dir.path(), &[]);
    s.post_webhook(alert("a", "cart-7d9f8b6c5-x2b4k")).await;
    s.post_webhook(alert("b", "payment-7d9f8b6c5-x2b4k")).await;
    let list = s
        .wait_for("/api/incidents", |v| {
            v["incidents"].as_array().unwrap().len() == 2
        })
        .await;
    let id_of = |t: &str| {
        list["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"].as_str().unwrap().contains(t))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (cart, pay) = (id_of("alert a"), id_of("alert b"));

    let (ok, out, err) = incidents(dir.path(), &["list"]);
    assert!(ok, "{err}");
    assert!(out.contains(&cart) && out.contains(&pay), "{out}");

    let (ok, out, err) = incidents(dir.path(), &["merge", &pay, "--into", &cart]);
    assert!(ok, "{err}");
    assert!(out.contains(&cart), "{out}");
    // The running app made the change: its API shows it at once.
    let d = s.get_json(&format!("/api/incidents/{cart}")).await;
    assert_eq!(d["signals"].as_array().unwrap().len(), 2);

    let (ok, out, err) = incidents(dir.path(), &["ledger", &cart]);
    assert!(ok, "{err}");
    assert!(
        out.contains("opened") && out.contains("merged") && out.contains("person"),
        "{out}"
    );

    let (ok, out, _) = incidents(dir.path(), &["show", &cart]);
    assert!(
        ok && out.contains("signals:") && out.contains("ledger:"),
        "{out}"
    );

    // A refusal is a clear error and a failing exit code.
    let (ok, _, err) = incidents(dir.path(), &["move", "sig-nope", "--to", &cart]);
    assert!(!ok && err.contains("no signal sig-nope"), "{err}");

    // Back-test settings that keep payment's alerts for review.
    let rules = dir.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"{"correlation": {"rules": [{"name": "quiet payment", "when": {"tags": {"pod": "payment-*"}}, "open": false}]}}"#,
    )
    .unwrap();
    let (ok, out, err) = incidents(
        dir.path(),
        &["backtest", "--rules", rules.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("2 signals replayed") && out.contains("dropped"),
        "{out}"
    );
    assert!(out.contains("not applied"), "{out}");
    // Each command reached the server with a token of its own, and took it
    // away after: none is left behind.
    let tokens = s.get_json("/api/tokens").await;
    assert_eq!(
        tokens["tokens"].as_array().map(Vec::len),
        Some(0),
        "{tokens}"
    );
    s.kill9();
}
