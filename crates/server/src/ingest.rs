//! `POST /v1/incidents/ingest`: Bearer token with scope `ingest` or `admin`.

use crate::api::refusal;
use crate::auth::token_hash;
use crate::body::{self, BODY_DEADLINE};
use crate::webhooks::too_many;
use crate::Ctx;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use causeway_app::pipeline::ingest::IngestRejection;
use causeway_app::pipeline::limits::INGEST;
use causeway_app::Code;
use serde_json::json;

fn error(status: StatusCode, code: Code, message: &str) -> Response {
    refusal(status, code, message)
}

pub async fn ingest(State(ctx): State<Ctx>, headers: HeaderMap, body: Body) -> Response {
    let Some(hash) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_hash(t.trim()))
    else {
        return error(
            StatusCode::UNAUTHORIZED,
            Code::Unauthorized,
            "send `Authorization: Bearer <token>`; issue one with `causeway token issue --scope ingest`",
        );
    };
    let key = hash.clone();
    let scope = ctx
        .app
        .store()
        .read(move |c| causeway_store::tokens::scope_of(c, &key))
        .await;
    match scope {
        Ok(Some(s)) if s == "ingest" || s == "admin" => {}
        Ok(Some(_)) => {
            return error(
                StatusCode::FORBIDDEN,
                Code::Forbidden,
                "this token's scope may not ingest",
            )
        }
        Ok(None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                Code::Unauthorized,
                "unknown or revoked token",
            )
        }
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Storage,
                &e.to_string(),
            )
        }
    }
    if let Err(wait) = ctx.app.limits().check(&format!("ingest:{hash}"), INGEST) {
        return too_many(wait, "this token's ingest rate limit");
    }
    // Read only for a sender with a token, and only so long.
    let body = match body::read(&headers, body, crate::BODY_LIMIT, BODY_DEADLINE).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    match ctx.app.ingest(body.to_vec()).await {
        Ok(a) => {
            let status = if a.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(a)).into_response()
        }
        Err(IngestRejection::Invalid(errors)) => {
            (StatusCode::BAD_REQUEST, Json(json!({"errors": errors}))).into_response()
        }
        Err(IngestRejection::Storage(m)) => error(StatusCode::INTERNAL_SERVER_ERROR, Code::Storage, &m),
        Err(IngestRejection::Queued) => (
            StatusCode::ACCEPTED,
            Json(json!({"status": "queued", "message": "the team log does not answer: the request is kept and is processed (on every member) once it is on the log; send it again later for its incident"})),
        )
            .into_response(),
    }
}
