//! CloudWatch via SNS (alarm JSON inside `Message`), SubscriptionConfirmation as a by-hand event, and alarm Lambda actions.

use super::{check, Expect};
use causeway_core::{Severity, SignalKind, SignalStatus};

const EXPECTED: &[Expect] = &[
    Expect { file: "alerta-sns-alarm-notification.json", headers: &[], count: 1, index: 0, title: "bucketbytesAlarm", severity: Severity::High, status: SignalStatus::Firing, kind: SignalKind::Alert, service: Some("AWS/S3"), entity: None, fingerprint: "cw:1234567890:EU (Ireland):bucketbytesAlarm", correlation: "cw:1234567890:EU (Ireland):bucketbytesAlarm", occurred: "2019-02-15T23:53:45.093+00:00", ended: None, url: None },
    Expect { file: "alerta-sns-insufficient-data.json", headers: &[], count: 1, index: 0, title: "notificationCountAlarm", severity: Severity::Low, status: SignalStatus::Info, kind: SignalKind::Alert, service: Some("alerta-test"), entity: None, fingerprint: "cw:1234567890:EU (Ireland):notificationCountAlarm", correlation: "cw:1234567890:EU (Ireland):notificationCountAlarm", occurred: "2019-05-13T08:41:43.548+00:00", ended: None, url: None },
    Expect { file: "alerta-sns-subscription-confirmation.json", headers: &[], count: 1, index: 0, title: "Confirm the SNS subscription to arn:aws:sns:eu-west-1:1234567890:alerta-test (open the link; Causeway does not fetch it)", severity: Severity::Info, status: SignalStatus::Info, kind: SignalKind::Event, service: None, entity: None, fingerprint: "sns-confirm:arn:aws:sns:eu-west-1:1234567890:alerta-test:8a14e4f3-f3ab-4be0-a12f-681ee8fe214f", correlation: "sns-confirm:arn:aws:sns:eu-west-1:1234567890:alerta-test:8a14e4f3-f3ab-4be0-a12f-681ee8fe214f", occurred: "2018-07-08T21:33:44.782+00:00", ended: None, url: Some("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1234567890:alerta-test&Token=2336412f37fb687f5d51e6e241da92fd72d769c5b4ca6fd6cd6d30949d5a51abf7e21aae199b52813b6f2ea51b41e3119b599532d25df4e6aea368b3a6d8272d38688f73c116b04204e9afb2f5b1d8c4bdb823103299a9f1da7409f1dcf4096ba20a0b0222cc493586e76450e3be6715") },
    Expect { file: "powertools-lambda-alarm-action-event.json", headers: &[], count: 1, index: 0, title: "Test alert", severity: Severity::High, status: SignalStatus::Firing, kind: SignalKind::Alert, service: Some("AWS/Lambda"), entity: None, fingerprint: "arn:aws:cloudwatch:eu-west-1:912397435824:alarm:test_alarm", correlation: "arn:aws:cloudwatch:eu-west-1:912397435824:alarm:test_alarm", occurred: "2024-02-17T11:53:08.431+00:00", ended: None, url: None },
];

#[test]
fn every_cloudwatch_fixture_maps_to_the_expected_signals() {
    check("cloudwatch", "CLOUDWATCH_ALARM", EXPECTED);
}
