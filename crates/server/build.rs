//! With the `embed-ui` feature: puts a gzip-compressed copy of the built
//! web UI (`ui/dist`) where `static_ui.rs` embeds it from, building the UI
//! first when it was never built, so `cargo build` or `cargo install` of
//! this crate alone gives a `causeway` that serves its UI from anywhere.
//!
//! Without Node.js the build still succeeds, with a warning, and the binary
//! answers "the web UI is not built" (the API and webhooks work).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CAUSEWAY_SKIP_UI_BUILD");
    if std::env::var_os("CARGO_FEATURE_EMBED_UI").is_none() {
        return;
    }
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let ui = manifest.join("../../ui");
    let dist = ui.join("dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    if !dist.join("index.html").is_file() && std::env::var_os("CAUSEWAY_SKIP_UI_BUILD").is_none() {
        build_ui(&ui);
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("ui-gz");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    if dist.join("index.html").is_file() {
        compress_tree(&dist, &dist, &out);
    } else {
        println!(
            "cargo:warning=the web UI is not built (no ui/dist, and `npm ci && npm run build` in ui/ failed or Node.js is missing): this causeway serves the API and webhooks only"
        );
    }
    println!("cargo:rustc-env=CAUSEWAY_UI_EMBED={}", out.display());
}

/// `npm ci` (when ui/node_modules is missing) and `npm run build` in `ui`.
fn build_ui(ui: &Path) {
    if !ui.join("package.json").is_file() {
        return;
    }
    let npm = |args: &[&str]| {
        Command::new("npm")
            .args(args)
            .current_dir(ui)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ui.join("node_modules").is_dir() && !npm(&["ci", "--no-audit", "--no-fund"]) {
        return;
    }
    npm(&["run", "build"]);
}

/// Every file under `dir` (relative to `root`) into `out`, gzip-compressed,
/// under the same relative path. Deterministic: no time or name in the
/// gzip header, so the same UI gives the same bytes and ETags.
fn compress_tree(root: &Path, dir: &Path, out: &Path) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("ui/dist is readable")
        .map(|e| e.expect("ui/dist entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            compress_tree(root, &path, out);
            continue;
        }
        let rel = path.strip_prefix(root).expect("under ui/dist");
        let target = out.join(rel);
        std::fs::create_dir_all(target.parent().expect("has a parent")).expect("writable");
        let bytes = std::fs::read(&path).expect("readable");
        let mut gz = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).expect("in memory");
        std::fs::write(&target, gz.finish().expect("in memory")).expect("writable");
    }
}
