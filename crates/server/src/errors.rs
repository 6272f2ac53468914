//! Errors as HTTP responses: every refusal of the server — the API, the
//! webhooks, the ingest API, the guard, the body limits — is a `{code,
//! message}` body built here, its code from [`Code`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use causeway_app::{ApiError, Code};

/// An [`ApiError`] as an HTTP response: fitting status, `{code, message}` body.
pub struct ApiResponse(pub ApiError);

impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

/// A refusal with a status the route chooses: `{code, message}` as every
/// error of the server, built in this one place.
pub fn refusal(status: StatusCode, code: Code, message: impl Into<String>) -> Response {
    (status, Json(ApiError::new(code, message))).into_response()
}
