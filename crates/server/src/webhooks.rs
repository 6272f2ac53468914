//! `POST /webhooks/{connectorId}/{projectId}`: commit the raw body, then 202.

use crate::api::refusal;
use crate::body::{self, BODY_DEADLINE};
use crate::Ctx;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use causeway_app::{Code, WebhookRejection};
use serde_json::json;
use std::collections::BTreeMap;

pub async fn receive(
    State(ctx): State<Ctx>,
    Path((connector, project)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match body::read(&headers, body, crate::BODY_LIMIT, BODY_DEADLINE).await {
        Ok(b) => b,
        Err(e) => {
            causeway_app::telemetry::events::RequestRejected {
                connector: &connector,
                reason: "body",
            }
            .emit(ctx.app.metrics());
            warn(&ctx, e.status(), Code::BodyRejected, &e.message());
            return e.into_response();
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
        Err(r) => rejection(&ctx, r),
    }
}

/// Logs a refusal, a few a minute at most: senders choose the URL and how
/// often they call, and must not be able to fill the log. Says how many
/// were not logged since the last line.
fn warn(ctx: &Ctx, status: StatusCode, code: Code, message: &str) {
    if let Some(held) = ctx.app.refusal_log().allow() {
        let message: String = message.chars().take(300).collect();
        tracing::warn!(status = status.as_u16(), code = code.as_str(), %message, not_logged_before = held, "webhook refused");
    }
}

fn rejection(ctx: &Ctx, r: WebhookRejection) -> Response {
    let (status, code, message) = match r {
        WebhookRejection::FromBrowser => (
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "webhooks come from monitoring tools, not from web pages: a request with Origin or Sec-Fetch-Site is refused".into(),
        ),
        WebhookRejection::NoInstance { connector, project } => {
            let cut = |s: &str| s.chars().take(80).collect::<String>();
            (
                StatusCode::NOT_FOUND,
                Code::NotFound,
                format!(
                    "no enabled '{}' connector in project '{}'",
                    cut(&connector),
                    cut(&project)
                ),
            )
        }
        WebhookRejection::NotJson { error, dead_letter } => (
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            format!("{error}; the body is kept as dead letter {dead_letter}"),
        ),
        WebhookRejection::NotJsonMediaType { content_type, dead_letter } => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            format!("content type '{content_type}' is not JSON; the body is kept as dead letter {dead_letter}"),
        ),
        WebhookRejection::Unauthorized(m) => (StatusCode::UNAUTHORIZED, Code::Unauthorized, m),
        WebhookRejection::RateLimited { retry_after_secs } => {
            let r = too_many(retry_after_secs, "this connector instance's rate limit");
            warn(ctx, r.status(), Code::RateLimited, "over an instance's rate limit");
            return r;
        }
        WebhookRejection::Storage(m) => (StatusCode::INTERNAL_SERVER_ERROR, Code::Storage, m),
    };
    warn(ctx, status, code, &message);
    refusal(status, code, message)
}

/// 429 with `Retry-After` and a `{code, message}` body.
pub fn too_many(retry_after_secs: u64, what: &str) -> Response {
    let message = format!("over {what}; retry in {retry_after_secs} s");
    let mut r = refusal(StatusCode::TOO_MANY_REQUESTS, Code::RateLimited, message);
    if let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string()) {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    r
}
