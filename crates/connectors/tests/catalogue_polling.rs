//! Every polled stream of every built-in descriptor, run against a local
//! fake of its API that serves a recorded or documented answer
//! (`tests/fixtures/api/<connector>/<stream>.json`): the request carries
//! the credentials where the provider wants them, the dry run persists
//! nothing, and the first item maps to the expected signal.

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use axum::Router;
use causeway_connectors::descriptor::builtin_descriptors;
use causeway_connectors::poll::dry_run;
use causeway_connectors::poll::generic::{DescriptorPoller, STREAM_HEADER};
use causeway_connectors::runtime::{
    stop_pair, BoxFuture, Commit, Host, HostError, InstanceInfo, Report, SourceContext,
};
use causeway_connectors::secrets::Keychain;
use causeway_connectors::{normalizer, Context};
use causeway_core::{Sensitive, Severity, SignalStatus};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const API: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/api");

/// A dry run must never reach the host: every call fails the test.
struct Untouchable;

impl Host for Untouchable {
    fn commit(&self, _: &InstanceInfo, _: Commit) -> BoxFuture<'_, Result<(), HostError>> {
        panic!("a dry run committed")
    }
    fn checkpoint(&self, _: &str) -> BoxFuture<'_, Result<Option<Value>, HostError>> {
        panic!("a dry run read the checkpoint")
    }
    fn versions(
        &self,
        _: &str,
        _: &str,
        _: Vec<String>,
    ) -> BoxFuture<'_, Result<BTreeMap<String, String>, HostError>> {
        panic!("a dry run read item versions")
    }
    fn report(&self, _: &str, _: Report) {}
}

#[derive(Clone)]
struct Served {
    body: Arc<Vec<u8>>,
    seen: Arc<Mutex<Vec<(String, String, String)>>>,
}

async fn serve(State(s): State<Served>, headers: HeaderMap, uri: Uri) -> impl IntoResponse {
    let auth: Vec<String> = headers
        .iter()
        .filter(|(k, _)| {
            [
                "authorization",
                "dd-api-key",
                "dd-application-key",
                "x-api-key",
                "private-token",
                "api-key",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or_default()))
        .collect();
    s.seen.lock().unwrap().push((
        uri.path().to_string(),
        uri.query().unwrap_or_default().to_string(),
        auth.join("; "),
    ));
    (
        [("content-type", "application/json")],
        s.body.as_ref().clone(),
    )
}

struct Expect {
    id: &'static str,
    stream: &'static str,
    /// What the credentials look like on the wire (`SECRET` is the test secret).
    auth: &'static str,
    count: usize,
    title: &'static str,
    status: SignalStatus,
    severity: Severity,
}

const EXPECT: &[Expect] = &[
    Expect {
        id: "jira",
        stream: "issues",
        auth: "authorization: Basic",
        count: 3,
        title: "TEST-1 Bug summary (To Do)",
        status: SignalStatus::Firing,
        severity: Severity::Medium,
    },
    Expect {
        id: "github-issues",
        stream: "issues",
        auth: "authorization: Bearer SECRET",
        count: 1,
        title: "#1 Spelling error in the README file",
        status: SignalStatus::Firing,
        severity: Severity::Medium,
    },
    Expect {
        id: "pagerduty",
        stream: "incidents",
        auth: "authorization: Token token=SECRET",
        count: 2,
        title: "The server is on fire.",
        status: SignalStatus::Firing,
        severity: Severity::Critical,
    },
    Expect {
        id: "datadog",
        stream: "monitors",
        auth: "dd-api-key: SECRET",
        count: 1,
        title: "Test-Get_a_monitor_s_details_returns_OK_response-1728578339 (No Data)",
        status: SignalStatus::Firing,
        severity: Severity::Medium,
    },
    Expect {
        id: "datadog",
        stream: "incidents",
        auth: "dd-application-key: SECRET",
        count: 6,
        title: "Test-Import_an_incident_returns_CREATED_response-1771015099",
        status: SignalStatus::Firing,
        severity: Severity::Info,
    },
    Expect {
        id: "sentry",
        stream: "issues",
        auth: "authorization: Bearer SECRET",
        count: 1,
        title: "TypeError: Cannot read properties of undefined (reading 'price')",
        status: SignalStatus::Firing,
        severity: Severity::High,
    },
    Expect {
        id: "opsgenie",
        stream: "alerts",
        auth: "authorization: GenieKey SECRET",
        count: 1,
        title: "cart: memory above 95%",
        status: SignalStatus::Firing,
        severity: Severity::Critical,
    },
    Expect {
        id: "newrelic",
        stream: "issues",
        auth: "api-key: SECRET",
        count: 1,
        title: "cart service: Response time > 2s",
        status: SignalStatus::Firing,
        severity: Severity::Critical,
    },
    Expect {
        id: "linear",
        stream: "issues",
        auth: "authorization: SECRET",
        count: 2,
        title: "OPS-42 Checkout latency above SLO",
        status: SignalStatus::Firing,
        severity: Severity::Critical,
    },
    Expect {
        id: "trello",
        stream: "actions",
        auth: "",
        count: 2,
        title: "Card moved to Investigating: Payments 502s after deploy",
        status: SignalStatus::Info,
        severity: Severity::Info,
    },
    Expect {
        id: "slack",
        stream: "messages",
        auth: "authorization: Bearer SECRET",
        count: 2,
        title: ":rotating_light: checkout is returning 500s for 5% of requests",
        status: SignalStatus::Info,
        severity: Severity::Info,
    },
    Expect {
        id: "notion",
        stream: "pages",
        auth: "authorization: Bearer SECRET",
        count: 1,
        title: "Checkout outage postmortem",
        status: SignalStatus::Info,
        severity: Severity::High,
    },
    Expect {
        id: "confluence",
        stream: "content",
        auth: "authorization: Basic",
        count: 1,
        title: "Runbook: cart service memory edited (v7)",
        status: SignalStatus::Info,
        severity: Severity::Info,
    },
    Expect {
        id: "statuspage",
        stream: "incidents",
        auth: "",
        count: 2,
        title: "GitHub: Incident with Actions",
        status: SignalStatus::Firing,
        severity: Severity::High,
    },
    Expect {
        id: "gitlab-issues",
        stream: "issues",
        auth: "private-token: SECRET",
        count: 1,
        title: "#6 Deploy pipeline fails on cart",
        status: SignalStatus::Firing,
        severity: Severity::High,
    },
    Expect {
        id: "healthchecks",
        stream: "checks",
        auth: "x-api-key: SECRET",
        count: 2,
        title: "Check nightly-backup is down",
        status: SignalStatus::Firing,
        severity: Severity::High,
    },
];

const SECRET: &str = "test-secret-0042";

#[tokio::test]
async fn every_polled_stream_maps_its_recorded_answer() {
    let mut covered = Vec::new();
    let mut wrong = Vec::new();
    for d in builtin_descriptors() {
        let Some(spec) = &d.polling else { continue };
        for stream in &spec.streams {
            let e = EXPECT
                .iter()
                .find(|e| e.id == d.id && e.stream == stream.name)
                .unwrap_or_else(|| panic!("{}/{} has no expectation", d.id, stream.name));
            covered.push((d.id.clone(), stream.name.clone()));
            let body = std::fs::read(format!("{API}/{}/{}.json", d.id, stream.name))
                .unwrap_or_else(|_| panic!("no fixture for {}/{}", d.id, stream.name));
            let served = Served {
                body: Arc::new(body),
                seen: Arc::default(),
            };
            let app = Router::new().fallback(serve).with_state(served.clone());
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", l.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(l, app).await.unwrap() });

            let mut one = spec.clone();
            one.streams = vec![stream.clone()];
            let config = json!({
                "baseUrl": base, "apiUrl": base, "email": "ops@example.com", "owner": "o", "repo": "r",
                "boardId": "b1", "channel": "C024BE91L", "databaseId": "db1", "organization": "acme",
                "project": "cart", "accountId": 1, "vendor": "GitHub", "clientId": "cid"
            });
            let secrets: BTreeMap<String, Sensitive<String>> = [
                "apiToken",
                "token",
                "apiKey",
                "appKey",
                "authToken",
                "accessToken",
            ]
            .iter()
            .map(|f| (f.to_string(), Sensitive::new(SECRET.to_string())))
            .chain([(
                "accessTokenExpiresAt".to_string(),
                Sensitive::new("99999999999".to_string()),
            )])
            .collect();
            let (_keep, stop) = stop_pair();
            let ctx = SourceContext {
                instance: InstanceInfo {
                    id: format!("{}-test", d.id),
                    descriptor_id: d.id.clone(),
                    project_id: "default".into(),
                    name: "test".into(),
                    config,
                },
                host: Arc::new(Untouchable),
                keychain: Keychain::new("causeway-never-used"),
                stop,
                http: causeway_connectors::runtime::http_client().unwrap(),
                overrides: Some(Arc::new(Mutex::new(secrets))),
            };
            let poller = DescriptorPoller {
                descriptor_id: d.id.clone(),
                spec: one,
            };
            let run = dry_run(&poller, ctx).await;
            let at = format!("{}/{}", d.id, stream.name);
            let o = run.ok.unwrap_or_else(|e| panic!("{at}: {}", e.message));
            if o.fetched as usize != e.count {
                wrong.push(format!(
                    "{at}: fetched {} items, expected {}",
                    o.fetched, e.count
                ));
            }
            let seen = served.seen.lock().unwrap().clone();
            assert_eq!(seen.len(), 1, "{at}: a dry run fetches the first page only");
            let wire = format!("{} ? {} ; {}", seen[0].0, seen[0].1, seen[0].2);
            assert!(
                seen[0].2.contains(&e.auth.replace("SECRET", SECRET)),
                "{at}: credentials: {wire}"
            );
            if e.auth.is_empty() && d.id == "trello" {
                assert!(
                    seen[0].1.contains(&format!("key={SECRET}"))
                        && seen[0].1.contains(&format!("token={SECRET}")),
                    "{at}: {wire}"
                );
            }
            assert!(
                run.exchanges
                    .iter()
                    .all(|x| !serde_json::to_string(x).unwrap().contains(SECRET)),
                "{at}: the record shows no secret"
            );
            // The page as committed → the normalizer → signals.
            assert_eq!(run.payloads.len(), 1, "{at}");
            let p = &run.payloads[0];
            assert_eq!(p.headers[STREAM_HEADER], stream.name);
            let ctx = Context {
                project: "default",
                instance: "i",
                received_at: chrono::Utc::now(),
                raw_ref: "inbox:1",
                headers: &p.headers,
            };
            let body: Value = serde_json::from_slice(&p.body).unwrap();
            let signals = normalizer(&d.id)
                .unwrap()
                .normalize(&body, &ctx)
                .unwrap_or_else(|err| panic!("{at}: {err}"));
            let s = &signals[0];
            if signals.len() != e.count
                || (s.title.as_str(), s.status, s.severity) != (e.title, e.status, e.severity)
            {
                wrong.push(format!(
                    "{at}: {} signals, first {:?} {:?} {:?}",
                    signals.len(),
                    s.title,
                    s.status,
                    s.severity
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        covered.len(),
        EXPECT.len(),
        "every expectation has its stream: {covered:?}"
    );
}
