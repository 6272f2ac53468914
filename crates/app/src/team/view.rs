//! What the Monitoring screen and `/metrics` show of the team: its members
//! (with their log lag and clock), who holds which lease, and this member's
//! state in words.

use super::{Team, CLOCK};
use crate::App;
use causeway_connectors::sources::redis_streams::redacted_url;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A member as its heartbeat says (kept in the team's Redis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub host: String,
    pub version: String,
    /// Its last heartbeat, Redis time in ms.
    #[ts(type = "number")]
    pub seen_at: i64,
    /// The last log entry it applied.
    pub cursor: String,
    /// Log entries it has not applied yet (1000: that many or more).
    #[ts(type = "number")]
    pub lag: i64,
    /// Items it accepted that wait for the log.
    #[ts(type = "number")]
    pub outbox: i64,
    /// Redis's clock minus its own, in ms.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
    /// The leases it holds.
    pub leases: Vec<String>,
    /// Not heard from for three lease TTLs.
    #[serde(default)]
    pub gone: bool,
    /// This member.
    #[serde(default)]
    pub me: bool,
}

/// Who runs an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LeaseView {
    /// The instance id (`@clock`: the engine's clock and the log's trimming).
    pub lease: String,
    pub name: String,
    /// The holder's member id and name; `None`: nobody runs it (no member
    /// holds its secrets, or the holder just died).
    pub holder: Option<String>,
    pub holder_name: Option<String>,
    pub mine: bool,
}

/// `getTeam`: this member's view of its team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TeamView {
    pub team: String,
    pub redis: String,
    pub member_id: String,
    pub member_name: String,
    /// `connected`, `unreachable` (Redis does not answer: what is accepted
    /// waits in the outbox) or `joining` (before Redis first answered).
    pub state: String,
    /// What is wrong, in words.
    pub message: Option<String>,
    /// Things a person should know (a member name used twice, a clock
    /// that is off, entries trimmed before this member read them).
    pub warnings: Vec<String>,
    pub members: Vec<MemberView>,
    pub leases: Vec<LeaseView>,
    /// This member: entries not applied yet, items waiting for the log,
    /// the last entry applied, and the newest on the log.
    #[ts(type = "number")]
    pub lag: i64,
    #[ts(type = "number")]
    pub outbox: i64,
    pub cursor: String,
    pub newest: Option<String>,
    #[ts(type = "number")]
    pub malformed: i64,
    pub retention_days: f64,
    #[ts(type = "number")]
    pub lease_ttl_ms: i64,
}

impl App {
    /// The team view, `None` when not in a team.
    pub async fn team_view(&self) -> Option<TeamView> {
        let team = self.team()?;
        let names: std::collections::BTreeMap<String, String> = self
            .store()
            .read(causeway_store::instances::list)
            .await
            .map(|l| l.into_iter().map(|i| (i.id, i.name)).collect())
            .unwrap_or_default();
        Some(view(&team, &names))
    }
}

fn view(team: &Team, names: &std::collections::BTreeMap<String, String>) -> TeamView {
    let s = team.lock();
    let member_name = |id: &str| {
        s.members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.clone())
    };
    let mut leases: Vec<LeaseView> = s
        .holders
        .iter()
        .map(|(lease, holder)| LeaseView {
            name: if lease == CLOCK {
                "engine clock, log trimming".into()
            } else {
                names.get(lease).cloned().unwrap_or_else(|| lease.clone())
            },
            lease: lease.clone(),
            holder_name: member_name(holder),
            mine: *holder == team.member_id,
            holder: Some(holder.clone()),
        })
        .collect();
    for (id, name) in names {
        if !s.holders.contains_key(id) && s.leases.contains_key(id) {
            leases.push(LeaseView {
                lease: id.clone(),
                name: name.clone(),
                holder: Some(team.member_id.clone()),
                holder_name: Some(team.config.member_name.clone()),
                mine: true,
            });
        }
    }
    let (state, message) = match s.reachable {
        None => ("joining", Some("connecting to the team's Redis".to_string())),
        Some(true) => ("connected", None),
        Some(false) => (
            "unreachable",
            Some(format!(
                "{}; what this member accepts is kept ({} waiting) and goes on the team log when Redis answers again",
                s.error.clone().unwrap_or_else(|| "Redis does not answer".into()),
                s.outbox
            )),
        ),
    };
    let mut warnings: Vec<String> = s.warnings.values().cloned().collect();
    if let Some(m) = &s.last_malformed {
        warnings.push(format!(
            "{} team log entr{} could not be read and went to dead letters (last: {m})",
            s.malformed,
            if s.malformed == 1 { "y" } else { "ies" }
        ));
    }
    TeamView {
        team: team.config.name.clone(),
        redis: redacted_url(&team.config.url),
        member_id: team.member_id.clone(),
        member_name: team.config.member_name.clone(),
        state: state.into(),
        message,
        warnings,
        members: s.members.clone(),
        leases,
        lag: s.lag as i64,
        outbox: s.outbox as i64,
        cursor: s.cursor.clone(),
        newest: s.newest.clone(),
        malformed: s.malformed as i64,
        retention_days: team.config.retention.as_secs_f64() / 86_400.0,
        lease_ttl_ms: team.config.lease_ttl.as_millis() as i64,
    }
}

/// The team's gauges for `/metrics`.
pub(crate) fn gauges(v: &TeamView) -> Vec<crate::telemetry::Series> {
    use crate::telemetry::{label, Gauge};
    let team = label("team", &v.team);
    let live: Vec<&MemberView> = v.members.iter().filter(|m| !m.gone).collect();
    vec![
        (Gauge::TeamMembers, vec![(team.clone(), live.len() as f64)]),
        (
            Gauge::TeamConnected,
            vec![(team.clone(), f64::from(u8::from(v.state == "connected")))],
        ),
        (
            Gauge::TeamMemberLag,
            live.iter()
                .map(|m| (format!("{team},{}", label("member", &m.name)), m.lag as f64))
                .collect(),
        ),
        (
            Gauge::TeamOutboxItems,
            live.iter()
                .map(|m| {
                    (
                        format!("{team},{}", label("member", &m.name)),
                        m.outbox as f64,
                    )
                })
                .collect(),
        ),
        (
            Gauge::TeamLeaseHeld,
            v.leases
                .iter()
                .map(|l| {
                    (
                        format!(
                            "{team},{},{}",
                            label("lease", &l.lease),
                            label("member", l.holder_name.as_deref().unwrap_or("?"))
                        ),
                        1.0,
                    )
                })
                .collect(),
        ),
        (
            Gauge::TeamClockOffset,
            live.iter()
                .map(|m| {
                    (
                        format!("{team},{}", label("member", &m.name)),
                        m.clock_offset_ms as f64 / 1000.0,
                    )
                })
                .collect(),
        ),
    ]
}
