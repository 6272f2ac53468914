//! Splunk's Webhook alert action: the saved search on the first result's
//! host, at that result's time.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect {
        file: "zulip-search-one-result.json",
        headers: &[],
        count: 1,
        index: 0,
        title: "Splunk alert: sudo on myserver",
        severity: Severity::Medium,
        status: SignalStatus::Firing,
        kind: SignalKind::Alert,
        service: None,
        entity: Some("host/myserver"),
        fingerprint: "splunk:sudo:myserver",
        correlation: "splunk:sudo:myserver",
        occurred: "2017-01-04T19:14:32+00:00",
        ended: None,
        url: Some("http://example.com:8000/app/search/search?q=%7Cloadjob%20rt_scheduler__admin__search__sudo_at_1483557185_2.2%20%7C%20head%201%20%7C%20tail%201&earliest=0&latest=now"),
    },
];

#[test]
fn every_splunk_fixture_maps_to_the_expected_signals() {
    check("splunk", "SPLUNK", EXPECTED);
}
