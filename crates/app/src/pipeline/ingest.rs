//! `POST /v1/incidents/ingest`: a tool declares an incident in the generic
//! schema. The raw body goes to the inbox and is processed at once (the caller
//! is owed an incident id), through the same normalize → correlate path as a
//! webhook; (sourceType, sourceRef) makes it idempotent.

use crate::api::views::ChangeEvent;
use crate::pipeline::process::{process_item, Processed, Step, Touches};
use crate::telemetry::events::{PayloadDeadLettered, PayloadsReceived};
use crate::App;
use causeway_connectors::sources::causeway::{validate, FieldError};
use causeway_store::inbox::InboxItem;
use causeway_store::{dead_letters, inbox, ingest_requests, ts};
use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The instance the ingest API's payloads go through.
const INSTANCE: &str = "default-causeway";

/// A successful answer: 201 when `created`, else 200 with the same incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IngestAnswer {
    pub incident_id: String,
    pub status: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_bundle_id: Option<String>,
    #[serde(skip)]
    pub created: bool,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum IngestRejection {
    /// 400 with every bad field; the raw body is kept as a dead letter.
    Invalid(Vec<FieldError>),
    /// 500.
    Storage(String),
    /// In a team whose log does not answer: the request is kept and is
    /// processed (on every member) once it is on the log (202).
    Queued,
}

impl App {
    pub async fn ingest(&self, body: Vec<u8>) -> Result<IngestAnswer, IngestRejection> {
        let storage = |e: causeway_store::StoreError| IngestRejection::Storage(e.to_string());
        let parsed: Result<serde_json::Value, _> = serde_json::from_slice(&body);
        let errors = match &parsed {
            Ok(v) => validate(v),
            Err(e) => vec![FieldError {
                field: "body".into(),
                message: format!("is not JSON: {e}"),
            }],
        };
        let now = ts(Utc::now());
        if !errors.is_empty() {
            let text: Vec<String> = errors
                .iter()
                .map(|e| format!("{} {}", e.field, e.message))
                .collect();
            let error = format!("invalid ingest request: {}", text.join("; "));
            let error_text = error.clone();
            let at = now.clone();
            self.store()
                .write(move |c| {
                    dead_letters::insert(
                        c,
                        &dead_letters::NewDeadLetter {
                            instance_id: Some(INSTANCE),
                            connector_id: "causeway",
                            project_id: "default",
                            received_at: &at,
                            error: &error,
                            headers: "{}",
                            raw: &body,
                            inbox_id: None,
                        },
                    )
                })
                .await
                .map_err(storage)?;
            PayloadDeadLettered {
                connector: "causeway",
                inbox_id: None,
                error: &error_text,
            }
            .emit(self.metrics());
            self.emit(ChangeEvent::DeadLettersChanged);
            return Err(IngestRejection::Invalid(errors));
        }
        let value = parsed.unwrap_or_default();
        let source_type = value["sourceType"].as_str().unwrap_or_default().to_string();
        let source_ref = value["sourceRef"].as_str().unwrap_or_default().to_string();
        let answer = if let Some(team) = self.team() {
            self.ingest_through_team(team.now(), body, &source_type, &source_ref)
                .await?
        } else {
            self.ingest_processed(body, now).await?
        };
        let (incident_id, evidence_bundle_id, created) = answer;
        // collectionContext: evidence for the incident's window, in the
        // background (the caller is owed an answer now, not a query's time).
        let window = value
            .get("collectionContext")
            .filter(|c| c.is_object())
            .map(|c| {
                (
                    c["windowMinutesBefore"].as_i64(),
                    c["windowMinutesAfter"].as_i64(),
                )
            });
        if let Some((before, after)) = window {
            let (app, id) = (self.clone(), incident_id.clone());
            tokio::spawn(async move {
                if let Err(e) = app.collect_evidence(id, before, after).await {
                    tracing::warn!(error = %e.message, "evidence collection failed");
                }
            });
        }
        if created {
            PayloadsReceived {
                connector: "causeway",
                count: 1,
            }
            .emit(self.metrics());
            self.emit(ChangeEvent::IncidentsChanged {
                ids: vec![incident_id.clone()],
            });
            self.emit(ChangeEvent::SignalsChanged);
        }
        Ok(IngestAnswer {
            status: if created { "created" } else { "existing" }.into(),
            message: if created {
                "incident ingested".into()
            } else {
                "this (sourceType, sourceRef) was ingested before; same incident".into()
            },
            incident_id,
            evidence_bundle_id,
            created,
        })
    }
}

impl App {
    /// Processes an ingest request's body at once (the caller is owed an
    /// incident id): the answer (incident, evidence bundle, whether new).
    pub(crate) async fn ingest_processed(
        &self,
        body: Vec<u8>,
        now: String,
    ) -> Result<(String, Option<String>, bool), IngestRejection> {
        let storage = |e: causeway_store::StoreError| IngestRejection::Storage(e.to_string());
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let source_type = value["sourceType"].as_str().unwrap_or_default().to_string();
        let source_ref = value["sourceRef"].as_str().unwrap_or_default().to_string();
        let evidence = value
            .get("evidenceLite")
            .filter(|e| !e.is_null())
            .map(|e| e.to_string());
        let bundle = evidence.as_deref().map(evidence_bundle_id);
        let live = self.live();
        let step = self
            .store()
            .write(move |conn| {
                live.run(conn, |tx, engine, keeper, metrics| {
                    if let Some(r) = ingest_requests::find(tx, &source_type, &source_ref)? {
                        return Ok(Some(Ingested {
                            processed: Processed::default(),
                            answer: (r.incident_id, r.evidence_bundle_id, false),
                        }));
                    }
                    let id = inbox::insert(tx, INSTANCE, "causeway", "default", &now, "{}", &body)?;
                    let item = InboxItem {
                        id,
                        instance_id: INSTANCE.into(),
                        connector_id: "causeway".into(),
                        project_id: "default".into(),
                        received_at: now.clone(),
                        headers: "{}".into(),
                        body,
                    };
                    let processed = process_item(tx, &item, engine, keeper.next_seq(), metrics)?;
                    let (signal_id, incident_id) = match processed.placed.first() {
                        Some((s, Some(i))) => (s.clone(), i.clone()),
                        _ => {
                            return Err(causeway_store::StoreError::Invalid(
                                processed
                                    .error
                                    .unwrap_or_else(|| "the request opened no incident".into()),
                            ))
                        }
                    };
                    ingest_requests::insert(
                        tx,
                        &ingest_requests::IngestRecord {
                            source_type,
                            source_ref,
                            incident_id: incident_id.clone(),
                            signal_id,
                            evidence_bundle_id: bundle.clone(),
                            evidence,
                        },
                        &now,
                    )?;
                    Ok(Some(Ingested {
                        processed,
                        answer: (incident_id, bundle, true),
                    }))
                })
            })
            .await
            .map_err(storage)?;
        let Step::Did(Ingested { answer, .. }) = step else {
            return Err(IngestRejection::Storage(
                "the request was not processed".into(),
            ));
        };
        Ok(answer)
    }

    /// In a team (whose clock gave `now`): the request goes on the log (every member processes it
    /// where it lands), and the answer waits until this member has.
    async fn ingest_through_team(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        body: Vec<u8>,
        source_type: &str,
        source_ref: &str,
    ) -> Result<(String, Option<String>, bool), IngestRejection> {
        let storage = |e: causeway_store::StoreError| IngestRejection::Storage(e.to_string());
        let (t, r) = (source_type.to_string(), source_ref.to_string());
        let find = move |app: &App| {
            let (t, r) = (t.clone(), r.clone());
            let store = app.store().clone();
            async move { store.read(move |c| ingest_requests::find(c, &t, &r)).await }
        };
        if let Some(r) = find(self).await.map_err(storage)? {
            return Ok((r.incident_id, r.evidence_bundle_id, false));
        }
        self.to_outbox(causeway_store::team_outbox::NewOutbox {
            kind: "raw".into(),
            instance_id: Some(INSTANCE.into()),
            connector_id: Some("causeway".into()),
            project_id: Some("default".into()),
            received_at: ts(now),
            headers: "{}".into(),
            body,
        })
        .await
        .map_err(|e| IngestRejection::Storage(e.message))?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if let Some(r) = find(self).await.map_err(storage)? {
                return Ok((r.incident_id, r.evidence_bundle_id, true));
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        Err(IngestRejection::Queued)
    }
}

/// An ingest request's processing: the incidents it touched, and the answer
/// (incident, evidence bundle, whether it is new).
struct Ingested {
    processed: Processed,
    answer: (String, Option<String>, bool),
}

impl Touches for Ingested {
    fn touched(&self) -> &std::collections::BTreeMap<String, String> {
        &self.processed.incidents
    }
    fn added(&self) -> &std::collections::BTreeMap<String, i64> {
        &self.processed.added
    }
}

/// The content hash of the evidence: `ev-` and 32 hex digits of SHA-256 over
/// its canonical JSON (serde_json sorts keys).
fn evidence_bundle_id(evidence_json: &str) -> String {
    let canonical = serde_json::from_str::<serde_json::Value>(evidence_json)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| evidence_json.to_string());
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("ev-{hex}")
}
