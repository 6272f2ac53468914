//! The `causeway` command line: help everywhere, and `replay` per its contract.

mod common;
use common::*;
use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

#[test]
fn every_subcommand_has_help() {
    for (args, word) in [
        (&["--help"][..], "serve"),
        (&["serve", "--help"][..], "--demo"),
        (&["replay", "--help"][..], "--events"),
        (&["token", "--help"][..], "issue"),
        (&["token", "issue", "--help"][..], "--scope"),
        (&["dead-letters", "--help"][..], "replay"),
        (&["dead-letters", "list", "--help"][..], "--data-dir"),
        (&["dead-letters", "replay", "--help"][..], "<ID>"),
    ] {
        let out = run(args);
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(word),
            "{args:?}"
        );
    }
}

#[test]
fn replay_meets_the_report_contract_and_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let events = format!("{FIXTURES}/replay/mixed.ndjson");
    let out = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    for name in ["a.json", "b.json"] {
        let o = run(&["replay", "--events", &events, "--out", &out(name)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = std::fs::read(out("a.json")).unwrap();
    assert_eq!(
        a,
        std::fs::read(out("b.json")).unwrap(),
        "two runs, same bytes"
    );

    let r: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let text: Vec<&str> = std::fs::read_to_string(&events)
        .unwrap()
        .leak()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(r["stats"]["lines"], text.len());
    // Every ref the lines yield, exactly once.
    let mut refs: Vec<String> = Vec::new();
    for inc in r["incidents"].as_array().unwrap() {
        assert!(inc["id"].as_str().unwrap().starts_with("inc-"));
        for key in [
            "title",
            "severity",
            "signals",
            "rootCause",
            "pattern",
            "impacted",
        ] {
            assert!(inc.get(key).is_some(), "incident lacks {key}");
        }
        refs.extend(
            inc["signals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string()),
        );
    }
    refs.extend(
        r["unassigned"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string()),
    );
    let mut expected = Vec::new();
    let mut rejected_lines = Vec::new();
    for (n, line) in text.iter().enumerate() {
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) => {
                rejected_lines.push(n);
                continue;
            }
        };
        // Alertmanager and Grafana yield one signal per alert; the other
        // built-in sources one per payload; an unknown source none.
        let items = match (v["source"].as_str(), v["body"]["alerts"].as_array()) {
            (Some("alertmanager" | "grafana"), Some(a)) => a.len(),
            (Some("pagerduty" | "github" | "kubernetes-events" | "datadog"), _) => 1,
            _ => 0,
        };
        if items == 0 {
            rejected_lines.push(n);
        }
        expected.extend((0..items).map(|i| format!("{n}:{i}")));
    }
    let mut got = refs.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(r["stats"]["signals"], expected.len());
    let rejected: Vec<u64> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        rejected,
        rejected_lines.iter().map(|n| *n as u64).collect::<Vec<_>>()
    );
    assert!(r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| !x["error"].as_str().unwrap().is_empty()));
    // The storm's redis-cart incident with the repeat of line 3 folded in.
    let redis = r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("redis-cart"))
        .unwrap();
    assert_eq!(
        redis["rootCause"]["entity"],
        "deployment/boutique/redis-cart"
    );
    assert_eq!(redis["severity"], "critical");
}

#[test]
fn replay_refuses_unusable_arguments_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = run(&[
        "replay",
        "--events",
        "/nonexistent/events.ndjson",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read --events"));
    let o = run(&["replay", "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
}
