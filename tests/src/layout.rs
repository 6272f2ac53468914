//! The layout rules a newcomer relies on to map the code in minutes, checked
//! on the tree itself so a change that breaks one fails here:
//! - inside a crate, the folders under `src/` import one another one way
//!   only (no circle of `crate::folder` paths between folders);
//! - `crates/app/src` keeps at most ten files at its top level;
//! - no source file is over 800 lines, no file of the thin desktop shell
//!   over 400;
//! - metric names are said once (in the app's telemetry events), error
//!   bodies are built once (in the server's `errors::refusal`);
//! - benchmarks and test fakes stay out of the product crates.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every file under `dir` whose name ends with one of `exts`.
fn sources(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if p.is_dir() {
            if name != "node_modules" && name != "target" && name != "dist" {
                sources(&p, exts, out);
            }
        } else if exts.iter().any(|x| name.ends_with(x)) {
            out.push(p);
        }
    }
}

fn crates() -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    all.sort();
    all
}

/// The text without `//` comments (doc comments name paths freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level folder of `file` under `src` (a top-level file is its own
/// folder); `None` for the crate root.
fn folder(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts = rel.components();
    let first = parts.next()?.as_os_str().to_string_lossy().to_string();
    if parts.next().is_some() {
        return Some(first);
    }
    let stem = first.trim_end_matches(".rs").to_string();
    (stem != "lib" && stem != "main").then_some(stem)
}

/// folder → the other folders its files name through `crate::`.
fn folder_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(src, &[".rs"], &mut files);
    let folders: BTreeSet<String> = files.iter().filter_map(|f| folder(src, f)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(from) = folder(src, f) else { continue };
        let text = code(&std::fs::read_to_string(f).unwrap());
        let mut named = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `use crate::{a, b::c}`: each head of the group.
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    named.insert(ident(item.trim()));
                }
            } else {
                named.insert(ident(rest));
            }
        }
        let to = graph.entry(from.clone()).or_default();
        to.extend(
            named
                .into_iter()
                .filter(|n| *n != from && folders.contains(n)),
        );
    }
    graph
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// A circle in `graph`, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_folders_of_each_crate_import_one_way() {
    for src in crates() {
        let graph = folder_graph(&src);
        assert!(
            graph.len() > 1 || src.ends_with("testkit/src"),
            "{src:?} has folders"
        );
        if let Some(c) = circle(&graph) {
            panic!(
                "{}: the folders import in a circle: {}",
                src.display(),
                c.join(" → ")
            );
        }
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), ["b".to_string()].into()),
        ("b".to_string(), ["c".to_string()].into()),
        ("c".to_string(), ["a".to_string()].into()),
    ]
    .into();
    assert_eq!(circle(&g).unwrap(), ["a", "b", "c", "a"]);
    let dir = tempdir();
    std::fs::create_dir_all(dir.join("x")).unwrap();
    std::fs::write(dir.join("x/mod.rs"), "use crate::y::Thing; // crate::z\n").unwrap();
    std::fs::write(dir.join("y.rs"), "use crate::{x::Other, z};\n").unwrap();
    std::fs::write(dir.join("z.rs"), "").unwrap();
    let g = folder_graph(&dir);
    assert_eq!(g["x"], ["y".to_string()].into());
    assert_eq!(g["y"], ["x".to_string(), "z".to_string()].into());
    assert!(circle(&g).is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("causeway-layout-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_app_crate_keeps_its_top_level_small() {
    let top: Vec<String> = std::fs::read_dir(root().join("crates/app/src"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert!(
        top.len() <= 10,
        "crates/app/src has {} files at its top: {top:?}",
        top.len()
    );
}

#[test]
fn no_source_file_is_over_800_lines_and_the_shell_stays_thin() {
    let mut files = Vec::new();
    for dir in [
        "crates",
        "src-tauri",
        "ui/src",
        "tests/src",
        "tests/e2e",
        "tests/desktop",
    ] {
        sources(
            &root().join(dir),
            &[".rs", ".ts", ".tsx", ".mjs"],
            &mut files,
        );
    }
    assert!(files.len() > 100, "found the sources");
    for f in files {
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        let shell = f.starts_with(root().join("src-tauri"));
        let limit = if shell { 400 } else { 800 };
        assert!(
            lines <= limit,
            "{} has {lines} lines (at most {limit})",
            f.display()
        );
    }
}

#[test]
fn metric_names_and_error_bodies_are_written_once() {
    let events = root().join("crates/app/src/telemetry/events.rs");
    let events_text = std::fs::read_to_string(&events).unwrap();
    for name in ["causeway_events_received_total", "causeway_team_members"] {
        assert!(events_text.contains(name), "events.rs names {name}");
    }
    for src in crates().into_iter().chain([root().join("src-tauri")]) {
        if src.ends_with("bench/src") {
            continue; // the bench reads /metrics by name, as any scraper does
        }
        let mut files = Vec::new();
        sources(&src, &[".rs"], &mut files);
        for f in files.iter().filter(|f| **f != events) {
            let text = code(&std::fs::read_to_string(f).unwrap());
            for (i, _) in text.match_indices("\"causeway_") {
                let lit: String = text[i + 1..].chars().take_while(|c| *c != '"').collect();
                let metric = [
                    "_total", "_seconds", "_24h", "_7d", "_entries", "_items", "_held",
                ]
                .iter()
                .any(|s| lit.ends_with(s))
                    || lit.starts_with("causeway_team_")
                    || lit.starts_with("causeway_connector_");
                assert!(
                    !metric,
                    "{} names the metric {lit}: metrics are named in telemetry/events.rs",
                    f.display()
                );
            }
            let server = f.starts_with(root().join("crates/server/src"));
            assert!(
                !(server && text.contains("\"code\":")),
                "{} builds an error body by hand: use errors::refusal",
                f.display()
            );
        }
    }
}

#[test]
fn benchmarks_and_fakes_stay_out_of_the_product() {
    for dir in [
        "crates/app/src",
        "crates/connectors/src",
        "crates/server/src",
    ] {
        let mut files = Vec::new();
        sources(&root().join(dir), &[".rs"], &mut files);
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let rel = f
                .strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .to_string();
            let misplaced = name.starts_with("fake")
                || name.starts_with("test_keyring")
                || name == "test_server.rs"
                || rel.contains("/bench/")
                || rel.contains("/scenarios/");
            assert!(
                !misplaced,
                "{rel} is a benchmark or a test fake: it belongs in crates/bench or crates/testkit"
            );
        }
    }
    // The desktop links the server without `causeway bench`.
    let desktop = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let server_line = desktop
        .lines()
        .find(|l| l.starts_with("causeway-server") && l.contains("path"))
        .expect("the workspace names the server");
    let desktop_dep = desktop
        .lines()
        .skip_while(|l| !l.starts_with("[dependencies]"))
        .find(|l| l.starts_with("causeway-server"))
        .expect("the desktop package depends on the server");
    assert!(
        desktop_dep.contains("default-features = false")
            || server_line.contains("default-features = false"),
        "the desktop builds the server without its default `bench` feature: {desktop_dep}"
    );
}
