//! Connector health: one state a person can read at a glance — healthy,
//! degraded, error, needs re-auth, quiet, waiting, disabled — with the
//! numbers behind it, and the "went quiet" check that raises a signal of
//! its own when a source that usually talks stops talking.

use crate::App;
use causeway_store::{instances, parse_ts, ts};
use chrono::{DateTime, Duration as CDuration, Utc};
use serde_json::json;

/// How often the quiet check runs.
pub const QUIET_CHECK: std::time::Duration = std::time::Duration::from_secs(60);
/// "Several times its usual gap".
const QUIET_FACTOR: i64 = 4;
/// Never quiet sooner than this after the last signal.
const QUIET_FLOOR_SECS: i64 = 15 * 60;
/// Signals in the last week before "usual" means anything.
const QUIET_MIN_SIGNALS: usize = 6;

/// The state shown for an instance.
pub fn state_of(enabled: bool, s: &instances::State, recent_dead: i64) -> &'static str {
    let class = s.last_error_class.as_deref();
    if !enabled {
        "disabled"
    } else if s.consecutive_failures > 0 && class == Some("needs_reauth") {
        "needs_reauth"
    } else if s.consecutive_failures >= 3 || (s.consecutive_failures > 0 && class == Some("fail")) {
        "error"
    } else if s.last_error.is_some() && s.consecutive_failures > 0 && class.is_none() {
        // A webhook-side error recorded before polling existed.
        "error"
    } else if s.consecutive_failures > 0 || recent_dead > 0 {
        "degraded"
    } else if s.quiet_since.is_some() {
        "quiet"
    } else if s.items_received == 0 && s.items_dead_lettered == 0 && s.polls == 0 {
        "waiting"
    } else {
        "healthy"
    }
}

/// Whether instances of this connector stream (a watch) rather than poll
/// or receive.
fn streaming(descriptor_id: &str) -> bool {
    causeway_connectors::descriptor::builtin_or_user(descriptor_id).is_some_and(|d| {
        d.ingestion.mode == causeway_connectors::descriptor::IngestionMode::Streaming
    })
}

/// The usual gap between signals (the median), when there are enough.
pub fn usual_gap(times: &[DateTime<Utc>]) -> Option<i64> {
    if times.len() < QUIET_MIN_SIGNALS {
        return None;
    }
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    gaps.sort_unstable();
    Some(gaps[gaps.len() / 2].max(1))
}

/// Whether a source whose signals arrived at `times` is quiet at `now`.
pub fn is_quiet(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<(i64, DateTime<Utc>)> {
    let gap = usual_gap(times)?;
    let last = *times.last()?;
    let silent = (now - last).num_seconds();
    (silent > (gap * QUIET_FACTOR).max(QUIET_FLOOR_SECS)).then_some((gap, last))
}

/// Why an instance is quiet: since when, and the payload's details.
struct Quiet {
    since: DateTime<Utc>,
    detail: serde_json::Value,
}

impl App {
    /// Raises "went quiet" for instances that stopped talking, and resolves
    /// it when they talk again; both go through the inbox like any signal.
    pub async fn check_quiet(&self) {
        self.check_quiet_at(Utc::now()).await
    }

    /// Whether a streaming instance went quiet at `now`: its watches heard
    /// nothing from the cluster for longer than their silence limit while
    /// connected. `None`: it is no stream, or it does not run here (no
    /// judgement then). A stream is never judged by the gaps between its
    /// signals: a calm cluster sends no Warning for days, and that is good news.
    fn stream_quiet(&self, id: &str, now: DateTime<Utc>) -> Option<Option<Quiet>> {
        Some(self.stream_silent_since(id, now)?.map(|since| Quiet {
            since,
            detail: json!({"reason": "stream", "silentSeconds": (now - since).num_seconds()}),
        }))
    }

    pub(crate) async fn check_quiet_at(&self, now: DateTime<Utc>) {
        let since = ts(now - CDuration::days(7));
        let rows = self
            .store()
            .read(move |c| {
                let mut out = Vec::new();
                for i in instances::list(c)?.into_iter().filter(|i| i.enabled) {
                    let st = instances::state(c, &i.id)?;
                    // A stream's quiet is its connection's: no week to read.
                    let times = if streaming(&i.descriptor_id) {
                        Vec::new()
                    } else {
                        instances::signal_times(c, &i.id, &since)?
                    };
                    out.push((i, st, times));
                }
                Ok(out)
            })
            .await;
        let Ok(rows) = rows else { return };
        for (i, st, times) in rows {
            let quiet = if streaming(&i.descriptor_id) {
                match self.stream_quiet(&i.id, now) {
                    Some(q) => q,
                    None => continue,
                }
            } else {
                let times: Vec<DateTime<Utc>> =
                    times.iter().filter_map(|t| parse_ts(t).ok()).collect();
                is_quiet(&times, now).map(|(gap, last)| Quiet {
                    since: last,
                    detail: json!({"usualGapSeconds": gap}),
                })
            };
            let payload = match (&st.quiet_since, &quiet) {
                (None, Some(q)) => {
                    let mut p = json!({
                        "instance": i.id, "name": i.name, "connector": i.descriptor_id,
                        "state": "quiet", "since": ts(q.since), "at": ts(now)
                    });
                    if let (Some(p), Some(d)) = (p.as_object_mut(), q.detail.as_object()) {
                        p.extend(d.clone());
                    }
                    p
                }
                (Some(since), None) => json!({
                    "instance": i.id, "name": i.name, "connector": i.descriptor_id,
                    "state": "resumed", "since": since, "at": ts(now)
                }),
                _ => continue,
            };
            let quiet_since = quiet.map(|q| ts(q.since));
            let id = i.id.clone();
            let (project, body) = (i.project_id.clone(), payload);
            // In a team the signal goes on the log (from the clock holder).
            let team = self.team().map(|t| ts(t.now()));
            let res = self
                .store()
                .write(move |c| {
                    let tx = c.transaction()?;
                    let bytes = serde_json::to_vec(&body)?;
                    match team {
                        Some(at) => {
                            causeway_store::team_outbox::insert(
                                &tx,
                                &causeway_store::team_outbox::NewOutbox {
                                    kind: "raw".into(),
                                    instance_id: Some(id.clone()),
                                    connector_id: Some(
                                        causeway_connectors::sources::health::ID.into(),
                                    ),
                                    project_id: Some(project.clone()),
                                    received_at: at,
                                    headers: "{}".into(),
                                    body: bytes,
                                },
                            )?;
                        }
                        None => {
                            causeway_store::inbox::insert(
                                &tx,
                                &id,
                                causeway_connectors::sources::health::ID,
                                &project,
                                &ts(Utc::now()),
                                "{}",
                                &bytes,
                            )?;
                        }
                    }
                    instances::set_quiet(&tx, &id, quiet_since.as_deref())?;
                    tx.commit()?;
                    Ok(())
                })
                .await;
            if res.is_ok() {
                self.wake.notify_one();
                if let Some(t) = self.team() {
                    t.forward.notify_one();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + CDuration::minutes(min)
    }

    #[test]
    fn quiet_means_several_usual_gaps_without_a_signal() {
        // Every 10 minutes for an hour.
        let times: Vec<_> = (0..7).map(|i| at(i * 10)).collect();
        assert_eq!(usual_gap(&times), Some(600));
        assert!(is_quiet(&times, at(60 + 14)).is_none(), "within the floor");
        assert!(
            is_quiet(&times, at(60 + 39)).is_none(),
            "under 4 gaps... and the floor"
        );
        let (gap, last) = is_quiet(&times, at(60 + 41)).unwrap();
        assert_eq!((gap, last), (600, at(60)));
        assert!(
            is_quiet(&times[..3], at(600)).is_none(),
            "too few signals to know"
        );
    }

    #[test]
    fn states_read_from_the_counters() {
        let mut s = instances::State::default();
        assert_eq!(state_of(true, &s, 0), "waiting");
        assert_eq!(state_of(false, &s, 0), "disabled");
        s.polls = 3;
        assert_eq!(state_of(true, &s, 0), "healthy");
        s.consecutive_failures = 1;
        s.last_error = Some("x".into());
        s.last_error_class = Some("retry".into());
        assert_eq!(state_of(true, &s, 0), "degraded");
        s.consecutive_failures = 3;
        assert_eq!(state_of(true, &s, 0), "error");
        s.last_error_class = Some("needs_reauth".into());
        assert_eq!(state_of(true, &s, 0), "needs_reauth");
        let mut q = instances::State {
            polls: 1,
            quiet_since: Some("t".into()),
            ..Default::default()
        };
        assert_eq!(state_of(true, &q, 0), "quiet");
        q.quiet_since = None;
        assert_eq!(state_of(true, &q, 2), "degraded", "recent dead letters");
    }
}
