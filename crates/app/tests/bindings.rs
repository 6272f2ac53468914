//! The UI's TypeScript types (`ui/src/bindings/`) are generated from the Rust
//! types with ts-rs. This test regenerates them into a scratch folder and fails
//! when the committed files drift; `UPDATE_BINDINGS=1 cargo test -p causeway-app
//! --test bindings` rewrites them.

use causeway_app::api::commands::Command;
use causeway_app::api::error::ApiError;
use causeway_app::api::views::*;
use causeway_app::connectors::instances::{Catalogue, InstanceList};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

fn export_all(dir: &Path) {
    let cfg = Config::new().with_out_dir(dir).with_large_int("number");
    macro_rules! export {
        ($($t:ty),* $(,)?) => { $( <$t as TS>::export_all(&cfg).expect(stringify!($t)); )* };
    }
    export!(
        Command,
        ApiError,
        ChangeEvent,
        IncidentList,
        IncidentDetail,
        SignalList,
        DeadLetterList,
        Replayed,
        InstanceList,
        Catalogue,
        causeway_app::ImpactView,
        causeway_app::incidents::overrides::OverrideResult,
        causeway_app::api::views::LedgerView,
        causeway_app::incidents::overrides::FeedbackList,
        causeway_app::history::backtest::BacktestReport,
        causeway_app::connectors::ops::TestResult,
        causeway_app::connectors::ops::Authorization,
        causeway_app::incidents::evidence::EvidenceCollected,
        causeway_app::connectors::kubernetes::KubeContexts,
        causeway_app::topology::view::TopologyView,
        causeway_app::api::tokens::TokenList,
        causeway_app::api::tokens::IssuedToken,
        causeway_app::connectors::webhook_secrets::NewWebhookSecret,
        causeway_app::config::settings::SettingsView,
        causeway_app::api::version::VersionView,
        causeway_app::team::view::TeamView,
    );
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let name = e.file_name().into_string().unwrap();
            if name.ends_with(".ts") {
                out.insert(name, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn ui_bindings_match_the_rust_types() {
    let committed: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "..",
        "..",
        "ui",
        "src",
        "bindings",
    ]
    .iter()
    .collect();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        export_all(&committed);
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    export_all(scratch.path());
    let want = read_tree(scratch.path());
    let have = read_tree(&committed);
    assert!(
        want.len() > 10,
        "expected many generated types, got {}",
        want.len()
    );
    let stale: Vec<_> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(have.keys().filter(|k| !want.contains_key(*k)).cloned())
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings drifted from the Rust types ({stale:?}); run: UPDATE_BINDINGS=1 cargo test -p causeway-app --test bindings"
    );
}
