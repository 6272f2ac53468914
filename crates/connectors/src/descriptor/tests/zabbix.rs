//! Zabbix webhook media type: PROBLEM fires and OK resolves the same
//! host and item; Zabbix's severity names map to ours.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-zabbix-alert.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Zabbix agent on www.example.com is unreachable for 5 minutes",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/www.example.com"),
        fingerprint: "zabbix:www.example.com:Agent ping is Up (1)",
        correlation: "zabbix:www.example.com:Agent ping is Up (1)",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: None,
        url: Some("https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10528"),
    },
    Expect {
        file: "zulip-zabbix-ok.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Zabbix agent on www.example.com is reachable",
        severity: Severity::Medium,
        status: SignalStatus::Resolved,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/www.example.com"),
        fingerprint: "zabbix:www.example.com:Agent ping is Up (1)",
        correlation: "zabbix:www.example.com:Agent ping is Up (1)",
        occurred: "2026-11-20T03:00:00+00:00",
        ended: Some("2026-11-20T03:00:00+00:00"),
        url: Some("https://zabbix.example.com/tr_events.php?triggerid=14032&eventid=10529"),
    },
];

#[test]
fn every_zabbix_fixture_maps_to_the_expected_signals() {
    check("zabbix", "ZABBIX", EXPECTED);
}
