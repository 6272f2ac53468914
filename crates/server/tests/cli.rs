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

/// `--topology DIR`: every YAML/JSON file in it, warnings for what is not
/// usable, and the redis-cart incident's impact taken from the graph.
#[test]
fn replay_reads_a_topology_folder() {
    let dir = tempfile::tempdir().unwrap();
    let topo = dir.path().join("topology");
    std::fs::create_dir(&topo).unwrap();
    // Online Boutique's wiring in the namespace the recorded storm uses.
    let mut manifests = String::new();
    for (name, env) in [
        ("frontend", "CART_SERVICE_ADDR: cartservice:7070"),
        ("cartservice", "REDIS_ADDR: redis-cart:6379"),
        ("redis-cart", "PORT: \"6379\""),
        ("adservice", "PORT: \"9555\""),
    ] {
        let (var, value) = env.split_once(": ").unwrap();
        manifests.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}, namespace: boutique}}\n\
             spec:\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n\
             \x20     - name: server\n        env: [{{name: {var}, value: {value}}}]\n\
             ---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: boutique}}\nspec: {{selector: {{app: {name}}}}}\n"
        ));
    }
    manifests.push_str("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default}\n");
    std::fs::write(topo.join("boutique.yaml"), manifests).unwrap();
    std::fs::write(
        topo.join("graph.json"),
        r#"{"apiVersion": "causeway/v1", "kind": "ServiceGraph",
            "calls": [{"from": "checkoutservice", "to": "cartservice", "namespace": "boutique"}]}"#,
    )
    .unwrap();
    std::fs::write(topo.join("broken.yml"), "kind: [").unwrap();
    std::fs::write(topo.join("README.txt"), "not read").unwrap();
    std::fs::create_dir(topo.join("nested")).unwrap();
    std::fs::write(topo.join("nested/more.yaml"), "kind: [").unwrap();

    let events = format!("{FIXTURES}/replay/mixed.ndjson");
    let out = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let topo = topo.to_string_lossy().into_owned();
    let mut reports = Vec::new();
    for name in ["a.json", "b.json"] {
        let o = run(&[
            "replay",
            "--events",
            &events,
            "--topology",
            &topo,
            "--out",
            &out(name),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(stderr.contains("broken.yml: skipped: not YAML"), "{stderr}");
        assert!(
            stderr.contains("boutique.yaml: skipped 1 ServiceAccount"),
            "{stderr}"
        );
        assert!(!stderr.contains("not used yet"), "{stderr}");
        assert!(!stderr.contains("more.yaml"), "not recursive: {stderr}");
        reports.push(std::fs::read(out(name)).unwrap());
    }
    assert_eq!(reports[0], reports[1], "two runs, same bytes");
    let r: serde_json::Value = serde_json::from_slice(&reports[0]).unwrap();
    let redis = r["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["rootCause"]["entity"] == "deployment/boutique/redis-cart")
        .unwrap();
    // The Service selecting the root is part of it, not impacted by it.
    assert_eq!(
        redis["impacted"],
        serde_json::json!([
            "service/boutique/cartservice",
            "service/boutique/checkoutservice",
            "service/boutique/frontend"
        ])
    );
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
    let events = format!("{FIXTURES}/replay/mixed.ndjson");
    let o = run(&[
        "replay",
        "--events",
        &events,
        "--topology",
        "/nonexistent/topology",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read --topology"));
}
