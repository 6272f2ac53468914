//! New Relic: workflow issue webhooks and legacy alert-policy incidents.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect { file: "alerta-legacy-alert-policy-webhook.json", headers: &[], count: 1, index: 0, title: "New Relic Alert - Test Condition", severity: Severity::Info, status: SignalStatus::Firing, kind: SignalKind::Alert, service: None, entity: None, fingerprint: "nr:incident:11111:0", correlation: "nr:incident:11111:0", occurred: "2020-09-25T11:23:27.849+00:00", ended: None, url: Some("https://alerts.newrelic.com/accounts/11111/incidents/0") },
    Expect { file: "zulip-workflow-issue-activated-base.json", headers: &[], count: 1, index: 0, title: "PIETER-UBUNTU query result is > 1.0 for 5 minutes on 'Storage on Host Exceeded Threshold'", severity: Severity::High, status: SignalStatus::Firing, kind: SignalKind::Alert, service: None, entity: None, fingerprint: "nr:issue:13bbcdca-f0b6-470d-b0be-b34583c58869", correlation: "nr:issue:13bbcdca-f0b6-470d-b0be-b34583c58869", occurred: "2024-04-22T07:12:29.493+00:00", ended: None, url: Some("https://radar-api.service.newrelic.com/accounts/4420147/issues/13bbcdca-f0b6-470d-b0be-b34583c58869?notifier=WEBHOOK") },
    Expect { file: "zulip-workflow-issue-closed-default.json", headers: &[], count: 1, index: 0, title: "main_app-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'", severity: Severity::Critical, status: SignalStatus::Resolved, kind: SignalKind::Alert, service: None, entity: None, fingerprint: "nr:issue:95a9344a-2590-48ce-8d83-07e28b6d22c6", correlation: "nr:issue:95a9344a-2590-48ce-8d83-07e28b6d22c6", occurred: "2024-04-22T06:16:30.228+00:00", ended: Some("2024-04-22T06:17:37.383+00:00"), url: Some("https://radar-api.service.newrelic.com/accounts/1/issues/0ea2df1c-adab-45d2-aae0-042b609d2322?notifier=SLACK") },
    Expect { file: "zulip-workflow-issue-created-default.json", headers: &[], count: 1, index: 0, title: "MAIN-APP-UBUNTU query result is > 2.0 for 1 minutes on 'High CPU'", severity: Severity::Critical, status: SignalStatus::Firing, kind: SignalKind::Alert, service: None, entity: None, fingerprint: "nr:issue:208c5e92-f250-40be-b7c2-50508c268c15", correlation: "nr:issue:208c5e92-f250-40be-b7c2-50508c268c15", occurred: "2024-04-22T06:36:29.495+00:00", ended: None, url: Some("https://radar-api.service.newrelic.com/accounts/1/issues/0ea2df1c-adab-45d2-aae0-042b609d2322?notifier=SLACK") },
];

#[test]
fn every_newrelic_fixture_maps_to_the_expected_signals() {
    check("newrelic", "NEWRELIC", EXPECTED);
}
