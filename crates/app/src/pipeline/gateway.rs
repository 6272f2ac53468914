//! The webhook gateway's decisions, host-agnostic: which instance takes a
//! body, whether its signature holds (checked on the raw bytes, before any
//! parsing), whether it is a re-send, and then the commit to the inbox that
//! must happen before the sender is answered.

use crate::api::views::ChangeEvent;
use crate::pipeline::limits::UNVERIFIED;
use crate::telemetry::events::{PayloadDeadLettered, PayloadsReceived, RequestRejected};
use crate::App;
use causeway_connectors::verify::{verify, Scheme};

use causeway_store::inbox::NewInbox;
use causeway_store::{dead_letters, instances, ts, Intake};
use chrono::Utc;
use std::collections::BTreeMap;

/// A webhook body taken in: how many items it carries, and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub accepted: usize,
    pub inbox_id: i64,
    /// A re-send of a delivery already taken in: nothing new was stored.
    pub duplicate: bool,
}

/// Why a webhook body was refused. Each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookRejection {
    /// A browser sent it (it carries `Origin` or `Sec-Fetch-Site`): a web page
    /// the user visits must not post alerts to the laptop (403).
    FromBrowser,
    /// No enabled instance of that connector in that project (404).
    NoInstance { connector: String, project: String },
    /// The signature or token does not hold (401). Says why, never a secret.
    Unauthorized(String),
    /// The body is not JSON; its bytes are in dead letter `dead_letter` (400).
    NotJson { error: String, dead_letter: i64 },
    /// The sender declared a media type that is not JSON; the bytes are kept
    /// in dead letter `dead_letter` all the same (415).
    NotJsonMediaType {
        content_type: String,
        dead_letter: i64,
    },
    /// Over the instance's rate limit: retry after this many seconds (429).
    RateLimited { retry_after_secs: u64 },
    /// The store or the keychain failed (500).
    Storage(String),
}

impl App {
    /// Takes a webhook body. `headers` are all request headers, names lower
    /// case; only harmless ones are stored. Returns after the inbox commit.
    pub async fn accept_webhook(
        &self,
        connector: &str,
        project: &str,
        headers: BTreeMap<String, String>,
        body: Vec<u8>,
    ) -> Result<Accepted, WebhookRejection> {
        let storage = |e: causeway_store::StoreError| WebhookRejection::Storage(e.to_string());
        let rejected =
            |app: &App, reason: &str| RequestRejected { connector, reason }.emit(&app.metrics);
        if from_browser(&headers) {
            rejected(self, "from a browser");
            return Err(WebhookRejection::FromBrowser);
        }
        // The ingest API's payloads come in only through its own route,
        // which checks their token; never through an open webhook.
        if connector == "causeway" {
            return Err(WebhookRejection::NoInstance {
                connector: "causeway (use POST /v1/incidents/ingest with a token)".into(),
                project: project.into(),
            });
        }
        // A connector that reads its source itself takes no webhooks.
        if !causeway_connectors::descriptor::takes_webhooks(connector) {
            return Err(WebhookRejection::NoInstance {
                connector: format!(
                    "{connector} (it reads its source itself and takes no webhooks)"
                ),
                project: project.into(),
            });
        }
        let Some(receiver) = self.receiver(connector, project).await? else {
            return Err(WebhookRejection::NoInstance {
                connector: connector.into(),
                project: project.into(),
            });
        };
        let instance = &receiver.instance;
        // Verified first, then counted: forgeries spend a budget of their
        // own and can never use up the real sender's.
        let delivery = if receiver.scheme == Scheme::None {
            causeway_connectors::verify::delivery_id(&|h: &str| headers.get(h).cloned())
        } else {
            let lookup = |h: &str| headers.get(&h.to_ascii_lowercase()).cloned();
            causeway_connectors::verify::prepare(&receiver.scheme, &lookup).await;
            match verify(
                &receiver.scheme,
                &receiver.secrets,
                &lookup,
                &body,
                Utc::now(),
            ) {
                Ok(v) => v.delivery_id,
                Err(e) => {
                    rejected(self, "signature");
                    let key = format!("unverified:{}", instance.id);
                    if let Err(retry_after_secs) = self.limits.check(&key, UNVERIFIED) {
                        return Err(WebhookRejection::RateLimited { retry_after_secs });
                    }
                    return Err(WebhookRejection::Unauthorized(e.to_string()));
                }
            }
        };
        let key = format!("deliveries:{}", instance.id);
        if let Err(retry_after_secs) = self.limits.check(&key, receiver.rate) {
            rejected(self, "rate limit");
            return Err(WebhookRejection::RateLimited { retry_after_secs });
        }

        let declared = headers
            .get("content-type")
            .filter(|ct| !media_type_taken(ct, &receiver.content_types))
            .cloned();
        let kept = kept_headers(&headers, &receiver.scheme, receiver.event_header.as_deref());
        let kept = serde_json::to_string(&kept).unwrap_or_else(|_| "{}".into());
        let now = ts(Utc::now());
        let counted = causeway_connectors::count_items(connector, &body);
        let refused = match (&declared, &counted) {
            (Some(ct), _) => Some(format!("content type '{ct}' is not JSON")),
            (None, Err(e)) => Some(e.to_string()),
            (None, Ok(_)) => None,
        };
        if let Some(error) = refused {
            let dead_letter = self
                .dead_letter_raw(instance, &now, &error, kept, body)
                .await
                .map_err(storage)?;
            PayloadDeadLettered {
                connector,
                inbox_id: None,
                error: &error,
            }
            .emit(&self.metrics);
            self.emit(ChangeEvent::DeadLettersChanged);
            return Err(match declared {
                Some(content_type) => WebhookRejection::NotJsonMediaType {
                    content_type,
                    dead_letter,
                },
                None => WebhookRejection::NotJson { error, dead_letter },
            });
        }
        let accepted = counted.unwrap_or_default();
        let intake = self
            .store
            .intake(NewInbox {
                instance_id: instance.id.clone(),
                connector_id: instance.descriptor_id.clone(),
                project_id: instance.project_id.clone(),
                received_at: now,
                headers: kept,
                body,
                delivery_id: delivery,
            })
            .await
            .map_err(storage)?;
        let (inbox_id, duplicate) = match intake {
            Intake::Inserted(id) => (id, false),
            Intake::Duplicate(earlier) => (earlier.unwrap_or(0), true),
        };
        if duplicate {
            tracing::info!(connector, inbox_id, "re-sent delivery ignored");
            return Ok(Accepted {
                accepted: 0,
                inbox_id,
                duplicate,
            });
        }
        PayloadsReceived {
            connector,
            count: 1,
        }
        .emit(&self.metrics);
        self.wake.notify_one();
        // In a team the body waits in the outbox: on to the team log.
        if let Some(team) = self.team() {
            team.forward.notify_one();
        }
        Ok(Accepted {
            accepted,
            inbox_id,
            duplicate,
        })
    }

    /// Keeps a refused body's exact bytes as a dead letter.
    async fn dead_letter_raw(
        &self,
        instance: &instances::Instance,
        now: &str,
        error: &str,
        headers: String,
        body: Vec<u8>,
    ) -> causeway_store::Result<i64> {
        let (inst, now, error) = (instance.clone(), now.to_string(), error.to_string());
        self.store
            .write(move |conn| {
                let id = dead_letters::insert(
                    conn,
                    &dead_letters::NewDeadLetter {
                        instance_id: Some(&inst.id),
                        connector_id: &inst.descriptor_id,
                        project_id: &inst.project_id,
                        received_at: &now,
                        error: &error,
                        headers: &headers,
                        raw: &body,
                        inbox_id: None,
                    },
                )?;
                instances::count_item(conn, &inst.id, true, &now)?;
                Ok(id)
            })
            .await
    }
}

/// Headers kept with a raw body, by name: what normalizers and people
/// reading a dead letter use (media type, sender, event type, delivery id,
/// timestamp). Everything else is dropped, since any header may carry a
/// credential (a shared token's header is the sender's choice).
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "user-agent",
    "x-github-event",
    "x-github-delivery",
    "x-github-hook-id",
    "x-gitlab-event",
    "x-webhook-id",
    "webhook-id",
    "webhook-timestamp",
    "request-id",
    "x-request-id",
    "sentry-hook-resource",
    "sentry-hook-timestamp",
    "x-grafana-alerting-signature-timestamp",
    "x-slack-request-timestamp",
    "x-amz-sns-message-type",
    "x-amz-sns-message-id",
    "x-amz-sns-topic-arn",
    "x-pagerduty-webhook-id",
];

/// The headers of `h` worth keeping with the raw body ([`KEPT_HEADERS`] and
/// the descriptor's event-type header), never the one the instance's
/// `scheme` reads its token or signature from.
pub fn kept_headers(
    h: &BTreeMap<String, String>,
    scheme: &Scheme,
    event_header: Option<&str>,
) -> BTreeMap<String, String> {
    let own = scheme_header(scheme);
    h.iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            (KEPT_HEADERS.contains(&k) || event_header.is_some_and(|e| e.eq_ignore_ascii_case(k)))
                && own.as_deref() != Some(k)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The header a scheme reads its credential from, lower case.
fn scheme_header(scheme: &Scheme) -> Option<String> {
    match scheme {
        Scheme::SharedToken { header } => Some(header.to_ascii_lowercase()),
        Scheme::GithubSha256 => Some("x-hub-signature-256".into()),
        Scheme::GithubSha1 => Some("x-hub-signature".into()),
        Scheme::PagerDutyV3 => Some("x-pagerduty-signature".into()),
        Scheme::Sentry => Some("sentry-hook-signature".into()),
        Scheme::Grafana => Some("x-grafana-alerting-signature".into()),
        Scheme::SlackV0 => Some("x-slack-signature".into()),
        Scheme::Stripe { .. } => Some("stripe-signature".into()),
        Scheme::StandardWebhooks => Some("webhook-signature".into()),
        Scheme::Basic | Scheme::Bearer | Scheme::GoogleOidc { .. } => Some("authorization".into()),
        Scheme::None => None,
    }
}

/// Whether a browser sent the request: browsers add `Origin` to every
/// cross-site POST (and most others) and `Sec-Fetch-Site` to every request;
/// monitoring tools send neither. A web page open in the user's browser
/// can post to loopback, so its requests are refused outright. (Node's
/// `fetch` sends `Sec-Fetch-Mode` alone, so that one says nothing.)
pub fn from_browser(h: &BTreeMap<String, String>) -> bool {
    h.contains_key("origin") || h.contains_key("sec-fetch-site")
}

/// `type/subtype` of a `Content-Type` value, lower case, without parameters;
/// `None` when it is not of that shape.
fn media_type(value: &str) -> Option<(String, String)> {
    let essence = value.split(';').next()?.trim().to_ascii_lowercase();
    let (t, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    (token(t) && token(sub)).then(|| (t.to_string(), sub.to_string()))
}

/// Whether a declared media type is one the descriptor takes: exactly one
/// of its `contentTypes`, where `application/json` also admits the
/// `application/*+json` family. Parameters (`charset`) do not matter; a
/// type that merely mentions JSON (`text/plain;charset=json`) is not JSON.
fn media_type_taken(declared: &str, taken: &[String]) -> bool {
    let Some((t, sub)) = media_type(declared) else {
        return false;
    };
    taken
        .iter()
        .filter_map(|m| media_type(m))
        .any(|(mt, msub)| {
            (mt == t && msub == sub)
                || (mt == "application"
                    && msub == "json"
                    && t == "application"
                    && sub.ends_with("+json"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_json_media_types_are_json() {
        let json = ["application/json".to_string()];
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
        ] {
            assert!(media_type_taken(ok, &json), "{ok}");
        }
        for no in [
            "text/plain;charset=json",
            "multipart/form-data; boundary=json",
            "application/x-www-form-urlencoded; json=1",
            "text/json-ish",
            "application/jsonp",
            "json",
            "",
        ] {
            assert!(!media_type_taken(no, &json), "{no}");
        }
        // A descriptor that says text/plain (SNS) takes it.
        let sns = ["application/json".to_string(), "text/plain".to_string()];
        assert!(media_type_taken("text/plain; charset=UTF-8", &sns));
    }

    #[test]
    fn a_browser_request_is_told_apart() {
        assert!(from_browser(&headers(&[(
            "origin",
            "https://evil.example"
        )])));
        assert!(from_browser(&headers(&[("sec-fetch-site", "cross-site")])));
        // A tool on Node's fetch.
        assert!(!from_browser(&headers(&[
            ("user-agent", "node"),
            ("sec-fetch-mode", "cors")
        ])));
        assert!(!from_browser(&headers(&[(
            "user-agent",
            "Alertmanager/0.27.0"
        )])));
    }

    #[test]
    fn kept_headers_are_an_allow_list_without_the_schemes_own() {
        let h = headers(&[
            ("content-type", "application/json"),
            ("x-webhook-pass", "s3cret-token"),
            ("x-github-event", "push"),
            ("x-github-delivery", "d1"),
            ("x-hub-signature-256", "sha256=00"),
            ("x-custom-event", "deploy"),
        ]);
        let kept = kept_headers(&h, &Scheme::GithubSha256, Some("X-Custom-Event"));
        assert_eq!(
            kept.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "content-type",
                "x-custom-event",
                "x-github-delivery",
                "x-github-event"
            ]
        );
        // A shared token in an allow-listed header is still dropped.
        let token = Scheme::SharedToken {
            header: "X-Request-Id".into(),
        };
        let h = headers(&[("x-request-id", "s3cret-token")]);
        assert!(kept_headers(&h, &token, None).is_empty());
    }
}
