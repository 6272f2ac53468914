//! Replays a storm folder and prints every decision with its reason: the
//! engine's side of a storm, for looking at one, not part of any run.
//!
//! `cargo run --release -p causeway-bench --example decisions -- STORM_DIR`

use causeway_core::{CorrelationConfig, Decision, Engine};
use std::sync::Arc;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: decisions STORM_DIR");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(&dir);
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let storms = causeway_bench::storms::load_dir(dir.parent().unwrap()).expect("storms");
    let storm = storms.into_iter().find(|s| s.name == name).expect("storm");
    let mut engine = Engine::with_topology(CorrelationConfig::default(), Arc::new(storm.topology));
    for (n, line) in storm
        .events
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
    {
        let Ok((signals, _)) = causeway_app::history::replay::signals_of(n, line) else {
            continue;
        };
        for (i, s) in signals.iter().enumerate() {
            let r = format!("{n}:{i}");
            let truth = storm.truth.refs.get(&r).cloned().unwrap_or_default();
            match engine.observe(s) {
                Decision::Attach { link, opened, .. } => println!(
                    "{r}\t{truth}\t{}{}\t{:.2}\t{}",
                    &link.incident_id[4..10],
                    if opened { "*" } else { "" },
                    link.score,
                    link.explanation
                ),
                Decision::Unassigned { reason } => println!("{r}\t{truth}\t-\t\t{reason}"),
            }
            for a in &engine.effects().adopted {
                println!(
                    "  adopted {} into {}: {}",
                    a.signal_id,
                    &a.incident_id[4..10],
                    a.explanation
                );
            }
        }
    }
}
