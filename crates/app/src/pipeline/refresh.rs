//! When an incident's analysis (pattern, root cause) is redone.
//!
//! Analysing reads every signal of the incident back and ranks them, so its
//! cost grows with the incident. Done for every touched incident with every
//! batch, a storm spent most of its time re-analysing the same incidents.
//! Instead the incidents a batch touched are marked stale, and stale ones
//! are analysed within a time budget, round-robin from where the last look
//! stopped: during a backlog an eighth of the processing time, once the
//! inbox is empty all of them; an analysis that outlasts its share (one big
//! incident can take longer than many batches) is paid back by the batches
//! after it, so analysis stays that share of the time overall. One
//! incident is analysed again at most once
//! a second, and a big one less often still: never sooner than twenty times
//! what its last analysis took, so analysis stays a bounded share of the
//! writer's time however big the incident grows. The rest of the row
//! (status, severity, signal count) is written with every batch, so an
//! incident is visible as soon as it opens.

use crate::pipeline::process::write_incident;
use causeway_core::Engines;
use causeway_store::Transaction;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// An incident is analysed again at most this often.
pub(crate) const ANALYSE_EVERY: Duration = Duration::from_secs(1);
/// ...and never sooner than this many times its last analysis took.
const COST_FACTOR: u32 = 20;
/// The share of a processing batch's time spent on analysis during a backlog.
const BACKLOG_SHARE: u32 = 8;
/// The longest an idle refresh holds the writer before it lets intake in.
pub(crate) const IDLE_BUDGET: Duration = Duration::from_millis(50);

/// Which incidents wait for analysis, and when each was last analysed.
#[derive(Default)]
pub(crate) struct Refresh {
    /// Incidents whose stored analysis is behind → their project.
    pub stale: BTreeMap<String, String>,
    /// When each incident was last analysed, and what that took.
    pub analysed: BTreeMap<String, (Instant, Duration)>,
    /// Where the next round-robin look starts.
    cursor: String,
    /// Time analysis took beyond its budgets: one big incident's analysis
    /// can outlast many batches' shares, and is paid back before the next.
    debt: Duration,
}

impl Refresh {
    fn due(&self, id: &str, all: bool) -> bool {
        all || self
            .analysed
            .get(id)
            .is_none_or(|(at, cost)| at.elapsed() >= ANALYSE_EVERY.max(*cost * COST_FACTOR))
    }

    /// The budget for a batch that took `spent`.
    pub fn backlog_budget(spent: Duration) -> Duration {
        (spent / BACKLOG_SHARE).max(Duration::from_millis(1))
    }

    /// Forgets incidents analysed long ago (their entry only throttles).
    pub fn prune(&mut self) {
        self.analysed
            .retain(|_, (at, cost)| at.elapsed() < ANALYSE_EVERY.max(*cost * COST_FACTOR));
    }

    /// Analyses stale incidents (those of `touched` too) within `budget`;
    /// `all`: regardless of when they were last analysed. Writes their rows
    /// in `tx`; what it did is applied with [`Done::apply`] after commit.
    pub fn run(
        &self,
        tx: &Transaction<'_>,
        engine: &Engines,
        touched: &BTreeMap<String, String>,
        budget: Duration,
        all: bool,
    ) -> causeway_store::Result<Done> {
        let started = Instant::now();
        let mut done = Done {
            stale: touched.clone(),
            ..Done::default()
        };
        // During a backlog, what earlier batches overspent comes first.
        let budget = if all {
            budget
        } else if self.debt >= budget {
            done.debt = Some(self.debt - budget);
            return Ok(done);
        } else {
            budget - self.debt
        };
        let after = self.stale.range::<String, _>((
            std::ops::Bound::Excluded(&self.cursor),
            std::ops::Bound::Unbounded,
        ));
        let before = self.stale.range::<String, _>(..=&self.cursor);
        let mut candidates: Vec<(&String, &String)> = after.chain(before).collect();
        // Those touched now and not yet stale take their turn after.
        candidates.extend(
            touched
                .iter()
                .filter(|(id, _)| !self.stale.contains_key(*id)),
        );
        for (id, project) in candidates {
            if started.elapsed() >= budget {
                break;
            }
            if !self.due(id, all) {
                continue;
            }
            let t = Instant::now();
            write_incident(tx, engine, id, project)?;
            done.analysed.push((id.clone(), t.elapsed()));
            done.stale.remove(id);
            done.cursor = Some(id.clone());
        }
        done.debt = Some(if all {
            Duration::ZERO
        } else {
            started.elapsed().saturating_sub(budget)
        });
        Ok(done)
    }
}

/// What one [`Refresh::run`] did, applied once its transaction committed
/// (a rolled-back batch leaves nothing marked analysed that is not).
#[derive(Default)]
pub(crate) struct Done {
    /// Incidents analysed, with what each took.
    pub analysed: Vec<(String, Duration)>,
    /// Incidents touched and left stale → their project.
    pub stale: BTreeMap<String, String>,
    cursor: Option<String>,
    /// The analysis debt after this run.
    debt: Option<Duration>,
}

impl Done {
    pub fn apply(self, r: &mut Refresh) {
        r.stale.extend(self.stale);
        let now = Instant::now();
        for (id, cost) in self.analysed {
            r.stale.remove(&id);
            r.analysed.insert(id, (now, cost));
        }
        if let Some(c) = self.cursor {
            r.cursor = c;
        }
        if let Some(d) = self.debt {
            r.debt = d;
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.analysed.iter().map(|(id, _)| id)
    }
}
