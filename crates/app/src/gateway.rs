//! The webhook gateway's decisions, host-agnostic: which instance takes a
//! body, whether its signature holds (checked on the raw bytes, before any
//! parsing), whether it is a re-send, and then the commit to the inbox that
//! must happen before the sender is answered.

use crate::metrics::label;
use crate::views::ChangeEvent;
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

/// The keychain fields holding an instance's webhook secrets: the current
/// one and, during a rotation, the previous one.
pub const SECRET_FIELDS: &[&str] = &["webhookSecret", "webhookSecretPrevious"];

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
        let rejected = |app: &App| {
            app.metrics.add(
                "causeway_events_rejected_total",
                &label("connector", connector),
                1,
            )
        };
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
        if let Err(retry_after_secs) = self.limits.check(&instance.id, receiver.per_minute) {
            rejected(self);
            return Err(WebhookRejection::RateLimited { retry_after_secs });
        }
        let delivery = if receiver.scheme == Scheme::None {
            causeway_connectors::verify::delivery_id(&|h: &str| headers.get(h).cloned())
        } else {
            let lookup = |h: &str| headers.get(&h.to_ascii_lowercase()).cloned();
            match verify(
                &receiver.scheme,
                &receiver.secrets,
                &lookup,
                &body,
                Utc::now(),
            ) {
                Ok(v) => v.delivery_id,
                Err(e) => {
                    rejected(self);
                    return Err(WebhookRejection::Unauthorized(e.to_string()));
                }
            }
        };

        let declared = headers
            .get("content-type")
            .filter(|ct| !ct.to_ascii_lowercase().contains("json"))
            .cloned();
        let kept = serde_json::to_string(&kept_headers(&headers)).unwrap_or_else(|_| "{}".into());
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
            self.metrics.add(
                "causeway_events_dead_lettered_total",
                &label("connector", connector),
                1,
            );
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
        self.metrics.add(
            "causeway_events_received_total",
            &label("connector", connector),
            1,
        );
        self.wake.notify_one();
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

/// Headers worth keeping with the raw body: content type, user agent and the
/// provider's event/delivery ids. Never credentials or signatures.
pub fn kept_headers(h: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    const SECRET_HINTS: &[&str] = &["auth", "signature", "token", "secret", "key", "cookie"];
    h.iter()
        .filter(|(k, _)| {
            (k.as_str() == "content-type"
                || k.as_str() == "user-agent"
                || k.starts_with("x-")
                || k.starts_with("webhook-id"))
                && !SECRET_HINTS.iter().any(|s| k.contains(s))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
