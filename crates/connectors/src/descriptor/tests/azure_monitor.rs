//! Azure Monitor's common alert schema: Fired opens, Resolved closes the
//! same alert at its own time; Sev3 is low; a VM target is its host.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-metric-alert-fired.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "WCUS-R2-Gen2 on wcus-r2-gen2",
        severity: Severity::Low,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/wcus-r2-gen2"),
        fingerprint: "azure:/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
        correlation: "azure-rule:3f2d4487-b0fc-4125-8bd5-7ad17384221e_PipeLineAlertRG_microsoft.insights_metricAlerts_WCUS-R2-Gen2_-117781227",
        occurred: "2019-03-22T13:58:24.3713213Z",
        ended: None,
        url: None,
    },
    Expect {
        file: "zulip-metric-alert-resolved.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "WCUS-R2-Gen2 on wcus-r2-gen2",
        severity: Severity::Low,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/wcus-r2-gen2"),
        fingerprint: "azure:/subscriptions/<subscription ID>/providers/Microsoft.AlertsManagement/alerts/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e",
        correlation: "azure-rule:3f2d4487-b0fc-4125-8bd5-7ad17384221e_PipeLineAlertRG_microsoft.insights_metricAlerts_WCUS-R2-Gen2_-117781227",
        occurred: "2019-03-22T13:58:24.3713213Z",
        ended: Some("2019-03-22T14:03:16.2246313Z"),
        url: None,
    },
];

#[test]
fn every_azure_monitor_fixture_maps_to_the_expected_signals() {
    check("azure-monitor", "AZURE_MONITOR", EXPECTED);
}
