//! What the engine decided beyond a signal's own link, stored in the same
//! transaction as the decision: the links of signals an incident adopted
//! (they waited unassigned), the decision ledger, what an auto-incident
//! rule assigned, and the incidents that changed with time (resolved after
//! their quiet period).

use causeway_core::{Engines, LedgerAction};
use causeway_store::assignments::{self, Assignment};
use causeway_store::{incident_ledger, incidents, links, signals, Transaction};
use std::collections::BTreeMap;

/// Stores the effects of the engine's last call; `touched` (incident →
/// project) gains the incidents whose rows must be written, `added` the
/// links inserted per incident.
pub(crate) fn store(
    tx: &Transaction<'_>,
    engine: &Engines,
    project: &str,
    touched: &mut BTreeMap<String, String>,
    added: &mut BTreeMap<String, i64>,
) -> causeway_store::Result<()> {
    let fx = engine.effects();
    for l in &fx.adopted {
        if links::insert_if_absent(tx, l)? {
            *added.entry(l.incident_id.clone()).or_default() += 1;
        }
        signals::set_unassigned(tx, &l.signal_id, None)?;
        touched.insert(l.incident_id.clone(), project.to_string());
    }
    for id in &fx.changed {
        if touched.contains_key(id) {
            continue;
        }
        if let Some(row) = incidents::get(tx, id)? {
            touched.insert(id.clone(), row.project_id);
        }
    }
    for e in &fx.ledger {
        incident_ledger::insert(tx, e)?;
        if e.action != LedgerAction::Opened {
            continue;
        }
        if let Some(st) = engine.incident(&e.incident_id) {
            let a = Assignment {
                rule: st.rule.clone(),
                assignee: st.assignee.clone(),
                team: st.team.clone(),
                runbook: st.runbook.clone(),
            };
            if !a.is_empty() {
                assignments::upsert(tx, &e.incident_id, &a)?;
            }
        }
    }
    Ok(())
}
