use causeway_core::{CorrelationConfig, Decision, Engine};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let topo = std::env::args().nth(2).unwrap();
    let text = std::fs::read_to_string(format!("{dir}/events.ndjson")).unwrap();
    let mut files = vec![];
    for e in std::fs::read_dir(&topo).unwrap() {
        let e = e.unwrap();
        files.push((
            e.file_name().to_string_lossy().to_string(),
            std::fs::read_to_string(e.path()).unwrap(),
        ));
    }
    let t = causeway_app::topology::load(&files).topology;
    let mut engine = Engine::with_topology(CorrelationConfig::default(), std::sync::Arc::new(t));
    let mut seen = std::collections::BTreeSet::new();
    for o in causeway_app::scenarios::score::observe(&text) {
        let s = &o.signal;
        let d = engine.observe(s);
        let first = seen.insert((s.id.clone(), format!("{:?}", s.status)));
        let what = match &d {
            Decision::Attach { link, opened, .. } => format!(
                "{} {} {}",
                &link.incident_id[4..12],
                if *opened {
                    "OPEN"
                } else {
                    link.strategy.as_str()
                },
                link.explanation
            ),
            Decision::Unassigned { reason } => format!("-- {reason}"),
        };
        for a in &engine.effects().adopted {
            println!(
                "      ADOPT {} into {} {}",
                &a.signal_id[..12],
                &a.incident_id[4..12],
                a.explanation
            );
        }
        if first {
            println!(
                "{} {} {:?} {:?} ent={:?} svc={:?} t={} => {}",
                o.r,
                s.source_type,
                s.status,
                s.severity,
                s.entity.as_ref().map(|e| e.to_string()),
                s.service,
                s.title,
                what
            );
        }
    }
}
