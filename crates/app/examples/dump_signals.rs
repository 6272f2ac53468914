fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    for o in causeway_app::scenarios::score::observe(&text) {
        let s = &o.signal;
        println!(
            "{} {} {:?} {:?} {:?} ent={:?} svc={:?} fp={} id={} t={}",
            o.r,
            s.source_type,
            s.kind,
            s.status,
            s.severity,
            s.entity.as_ref().map(|e| e.to_string()),
            s.service,
            &s.fingerprint[..s.fingerprint.len().min(12)],
            &s.id[..12],
            s.title
        );
    }
}
