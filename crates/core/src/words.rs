//! How the engine words what it says: entity names and durations in the
//! sentences of titles, reasons and ledgers. Correlation and analysis both
//! speak this way, so it sits apart from either.

/// `deployment/shop/cart` → "Deployment shop/cart".
pub fn describe(e: &crate::Entity) -> String {
    match &e.namespace {
        Some(ns) => format!("{} {}/{}", title_kind(&e.kind), ns, e.name),
        None => format!("{} {}", title_kind(&e.kind), e.name),
    }
}

pub(crate) fn title_kind(kind: &str) -> String {
    match kind {
        "replicaset" => "ReplicaSet".into(),
        "statefulset" => "StatefulSet".into(),
        "daemonset" => "DaemonSet".into(),
        "configmap" => "ConfigMap".into(),
        _ => {
            let mut c = kind.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// 40 → "40 s", 150 → "2 min 30 s", 7200 → "2 h".
pub fn human_secs(s: i64) -> String {
    let s = s.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if s % 3600 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}
