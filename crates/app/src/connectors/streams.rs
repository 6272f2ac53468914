//! The app's side of connectors that hold a connection (a Kubernetes watch,
//! a Redis stream consumer, an IMAP mailbox): their settings are checked before they are
//! stored, a test shows what the next entries would become without taking
//! them, and the inbox's backlog is what a stream consumer waits on.

use crate::api::error::ApiError;
use crate::connectors::ops::{test_signals, TestResult};
use crate::App;
use causeway_connectors::runtime::InstanceInfo;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_connectors::sources::imap;
use causeway_connectors::sources::kubernetes;
use causeway_connectors::sources::redis_streams::{self, Settings};
use causeway_core::Sensitive;
use serde_json::Value;
use std::collections::BTreeMap;

/// Checks the settings of a connector whose source reads them at start,
/// so a mistake is refused when it is saved rather than shown later.
pub(crate) fn check_config(descriptor_id: &str, config: &Value) -> Result<(), ApiError> {
    match descriptor_id {
        kubernetes::CONNECTOR_ID => crate::connectors::kubernetes::check_config(config),
        redis_streams::ID => Settings::from_config(config)
            .map(|_| ())
            .map_err(ApiError::bad_request),
        imap::ID => imap::Settings::from_config(config)
            .map(|_| ())
            .map_err(ApiError::bad_request),
        _ => Ok(()),
    }
}

impl App {
    /// The dry run of a connector that holds a connection (this file is
    /// the one place the app tells those apart); `None` for the others,
    /// which the polling dry run or a webhook test covers.
    pub(crate) async fn test_held_connection(
        &self,
        info: &InstanceInfo,
        secrets: &Option<BTreeMap<String, Sensitive<String>>>,
    ) -> Option<TestResult> {
        match info.descriptor_id.as_str() {
            kubernetes::CONNECTOR_ID => Some(crate::connectors::kubernetes::test(info).await),
            redis_streams::ID | imap::ID => {
                Some(self.test_stream(info.clone(), secrets.clone()).await)
            }
            _ => None,
        }
    }

    /// Payloads committed and not yet processed.
    pub(crate) async fn backlog(&self) -> u64 {
        self.store()
            .read(causeway_store::inbox::pending_count)
            .await
            .map_or(0, |n| n.max(0) as u64)
    }

    /// "Test" for a Redis stream or a mailbox: the next entries the group
    /// would get (the next unseen messages), mapped, none acknowledged
    /// (none flagged seen).
    pub(crate) async fn test_stream(
        &self,
        info: InstanceInfo,
        secrets: Option<BTreeMap<String, Sensitive<String>>>,
    ) -> TestResult {
        let password = match secrets {
            Some(s) => s.get("password").cloned(),
            None => {
                let (k, h) = (self.keychain().clone(), handle_for(&info.id, "password"));
                match tokio::task::spawn_blocking(move || k.get(&h)).await {
                    Ok(Ok(v)) => Some(v),
                    Ok(Err(SecretError::NotFound { .. })) => None,
                    Ok(Err(e)) => {
                        return TestResult::failed(format!("cannot read the password: {e}"))
                    }
                    Err(e) => return TestResult::failed(format!("keychain task failed: {e}")),
                }
            }
        };
        let (ok, latency, message, payloads) = if info.descriptor_id == imap::ID {
            let settings = match imap::Settings::from_config(&info.config) {
                Ok(s) => s,
                Err(message) => return TestResult::failed(message),
            };
            let p = imap::probe(&settings, password).await;
            (p.ok, p.latency, p.message, p.payloads)
        } else {
            let settings = match Settings::from_config(&info.config) {
                Ok(s) => s,
                Err(message) => return TestResult::failed(message),
            };
            let p = redis_streams::probe(&settings, password).await;
            (p.ok, p.latency, p.message, p.payloads)
        };
        let mut sample = Vec::new();
        let mut unreadable = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let connector = p
                .connector_id
                .as_deref()
                .unwrap_or(info.descriptor_id.as_str());
            match test_signals(&info, i, connector, &p.headers, &p.body) {
                Ok(s) => sample.extend(s),
                Err(e) => unreadable.push(e.to_string()),
            }
        }
        let mut message = message;
        if !unreadable.is_empty() {
            message.push_str(&format!(
                " {} would go to dead letters: {}",
                unreadable.len(),
                unreadable.join("; ")
            ));
        }
        TestResult {
            ok,
            latency_ms: latency.as_millis() as u64,
            message,
            sample,
            requests: Vec::new(),
            error_class: (!ok).then(|| "fail".into()),
        }
    }
}
