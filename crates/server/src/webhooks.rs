//! `POST /webhooks/{connectorId}/{projectId}`: commit the raw body, then 202.

use crate::Ctx;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use causeway_app::WebhookRejection;
use serde_json::json;
use std::collections::BTreeMap;

pub async fn receive(
    State(ctx): State<Ctx>,
    Path((connector, project)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let label = causeway_app::metrics::label("connector", &connector);
            ctx.app
                .metrics()
                .add("causeway_events_rejected_total", &label, 1);
            let status = e.status();
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the body is over the {} KB limit", crate::BODY_LIMIT / 1024)
            } else {
                e.body_text()
            };
            tracing::warn!(connector, status = status.as_u16(), %message, "webhook refused");
            return (
                status,
                Json(json!({"code": "body_rejected", "message": message})),
            )
                .into_response();
        }
    };
    let all: BTreeMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    match ctx
        .app
        .accept_webhook(&connector, &project, all, body.to_vec())
        .await
    {
        Ok(a) if a.duplicate => (
            StatusCode::OK,
            Json(json!({"accepted": 0, "duplicate": true})),
        )
            .into_response(),
        Ok(a) => {
            tracing::debug!(
                connector,
                project,
                accepted = a.accepted,
                inbox_id = a.inbox_id,
                "webhook accepted"
            );
            (StatusCode::ACCEPTED, Json(json!({"accepted": a.accepted}))).into_response()
        }
        Err(r) => rejection(r),
    }
}

fn rejection(r: WebhookRejection) -> Response {
    let (status, code, message) = match r {
        WebhookRejection::NoInstance { connector, project } => (
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no enabled '{connector}' connector in project '{project}'"),
        ),
        WebhookRejection::NotJson { error, dead_letter } => (
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("{error}; the body is kept as dead letter {dead_letter}"),
        ),
        WebhookRejection::NotJsonMediaType { content_type, dead_letter } => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type '{content_type}' is not JSON; the body is kept as dead letter {dead_letter}"),
        ),
        WebhookRejection::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "unauthorized", m),
        WebhookRejection::RateLimited { retry_after_secs } => {
            return too_many(retry_after_secs, "this connector instance's rate limit");
        }
        WebhookRejection::Storage(m) => (StatusCode::INTERNAL_SERVER_ERROR, "storage", m),
    };
    tracing::warn!(status = status.as_u16(), code, %message, "webhook refused");
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

/// 429 with `Retry-After` and a `{code, message}` body.
pub fn too_many(retry_after_secs: u64, what: &str) -> Response {
    let message = format!("over {what}; retry in {retry_after_secs} s");
    tracing::warn!(retry_after_secs, %message, "rate limited");
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(
            axum::http::header::RETRY_AFTER,
            retry_after_secs.to_string(),
        )],
        Json(json!({"code": "rate_limited", "message": message})),
    )
        .into_response()
}
