//! The fake Kubernetes API server (recorded objects, real list and watch
//! semantics) as a process, for the browser end-to-end tests: a cluster
//! cannot run here, and the UI has to be seen connected to one.
//!
//!   fake-kube-api FIXTURE_DIR OUT_DIR
//!
//! Serves the objects of FIXTURE_DIR, writes a kubeconfig for it (context
//! `fake`) to OUT_DIR/kubeconfig, prints `ready <url> <kubeconfig>`, then applies each JSON
//! file named on a line of standard input (`ADDED` or `MODIFIED` to the open
//! watches) and prints `applied <resourceVersion>`. It stops when standard
//! input closes.

use causeway_testkit::kube_api::{load_dir, FakeApi};
use std::io::Write;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The bearer token the kubeconfig carries and the fake requires.
const TOKEN: &str = "e2e-fake-cluster-token";

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out] = args.as_slice() else {
        eprintln!("usage: fake-kube-api FIXTURE_DIR OUT_DIR");
        std::process::exit(2);
    };
    let fake = FakeApi::start(load_dir(Path::new(dir)), TOKEN).await;
    let written = fake.write_kubeconfig(Path::new(out), TOKEN);
    println!("ready {} {}", fake.url(), written.display());
    let _ = std::io::stdout().flush();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let path = line.trim();
        if path.is_empty() {
            continue;
        }
        let applied = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()));
        match applied {
            Ok(object) => println!("applied {}", fake.apply(object)),
            Err(e) => println!("error {path}: {e}"),
        }
        let _ = std::io::stdout().flush();
    }
}
