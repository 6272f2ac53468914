//! A Prometheus server's HTTP API as a pull connector sees it (one firing
//! alert, no rules), counting the alert requests it gets: enough to tell
//! how many pollers ask, and how often.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A running fake; it serves until the test's runtime ends.
pub struct FakePrometheus {
    pub base: String,
    requests: Arc<AtomicUsize>,
}

impl FakePrometheus {
    /// Starts one on a free loopback port.
    pub async fn start() -> FakePrometheus {
        let requests = Arc::new(AtomicUsize::new(0));
        let counted = requests.clone();
        let app = Router::new()
            .route(
                "/api/v1/alerts",
                get(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async {
                        Json(json!({"status": "success", "data": {"alerts": [{
                            "labels": {"alertname": "HighErrorRate", "namespace": "shop",
                                       "deployment": "checkout", "severity": "critical"},
                            "annotations": {"summary": "checkout errors"},
                            "state": "firing", "activeAt": "2026-11-20T03:00:00Z", "value": "1"
                        }]}}))
                    }
                }),
            )
            .route(
                "/api/v1/rules",
                get(|| async { Json(json!({"status": "success", "data": {"groups": []}})) }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakePrometheus { base, requests }
    }

    /// Alert requests so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}
