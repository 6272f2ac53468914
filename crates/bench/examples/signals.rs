//! Prints each signal a replay input yields, as the engine reads it: ref,
//! status, severity, kind, entity, service, class and title. A tool for
//! looking at a storm, not part of any run.
//!
//! `cargo run --release -p causeway-bench --example signals -- EVENTS.ndjson`

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: signals EVENTS.ndjson");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).expect("readable events");
    for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        match causeway_app::history::replay::signals_of(n, line) {
            Ok((signals, _)) => {
                for (i, s) in signals.iter().enumerate() {
                    let class = causeway_core::analysis::classify::classify(s);
                    println!(
                        "{n}:{i}\t{}\t{:?}\t{:?}\t{:?}\t{}\tsvc={}\t{}\t{}\tfp={}",
                        s.received_at.format("%H:%M:%S"),
                        s.status,
                        s.severity,
                        s.kind,
                        s.entity.as_ref().map_or("-".into(), |e| e.to_string()),
                        s.service.as_deref().unwrap_or("-"),
                        class.describe(),
                        s.title,
                        &s.fingerprint.chars().take(10).collect::<String>(),
                    );
                }
            }
            Err(e) => println!("{n}\trejected: {e}"),
        }
    }
}
