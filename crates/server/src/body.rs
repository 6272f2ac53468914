//! Reading a request body with a size limit and a deadline.
//!
//! A client that announces a large body and sends it a byte at a time (or
//! never) would otherwise hold its connection, and a slot of the server's
//! connection cap, for as long as it likes. The whole body must arrive
//! within [`BODY_DEADLINE`]; the answer then closes the connection.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tokio_stream::StreamExt;

/// How long a whole request body may take to arrive.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Why a body could not be read.
#[derive(Debug, PartialEq)]
pub enum BodyError {
    /// Over `limit` bytes (announced or sent): 413.
    TooLarge { limit: usize },
    /// Not all there within the deadline: 408, and the connection closes.
    TooSlow,
    /// The connection broke or the framing was wrong: 400.
    Broken(String),
}

impl BodyError {
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            BodyError::Broken(_) => StatusCode::BAD_REQUEST,
        }
    }

    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge { limit } => {
                format!("the body is over the {} KB limit", limit / 1024)
            }
            BodyError::TooSlow => format!(
                "the body did not arrive within {} s",
                BODY_DEADLINE.as_secs()
            ),
            BodyError::Broken(e) => format!("the body could not be read: {e}"),
        }
    }
}

impl IntoResponse for BodyError {
    fn into_response(self) -> Response {
        let mut r = crate::api::refusal(
            self.status(),
            causeway_app::Code::BodyRejected,
            self.message(),
        );
        // The rest of a refused body is not worth reading: close.
        r.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        r
    }
}

/// The body, whole, if it is at most `limit` bytes and arrives within
/// `within`. An announced `Content-Length` over the limit is refused at once.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    within: Duration,
) -> Result<Bytes, BodyError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let deadline = tokio::time::Instant::now() + within;
    let mut stream = body.into_data_stream();
    let mut out = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return Err(BodyError::TooSlow),
            Ok(None) => return Ok(Bytes::from(out)),
            Ok(Some(Err(e))) => return Err(BodyError::Broken(e.to_string())),
            Ok(Some(Ok(chunk))) => {
                if out.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge { limit });
                }
                out.extend_from_slice(&chunk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_and_deadlines_hold() {
        let h = HeaderMap::new();
        let ok = read(&h, Body::from("hello"), 10, BODY_DEADLINE).await;
        assert_eq!(ok.unwrap(), Bytes::from("hello"));
        let big = read(&h, Body::from("0123456789a"), 10, BODY_DEADLINE).await;
        assert_eq!(big.unwrap_err(), BodyError::TooLarge { limit: 10 });
        let mut announced = HeaderMap::new();
        announced.insert(header::CONTENT_LENGTH, "10000000".parse().unwrap());
        let never = read(&announced, Body::from(""), 10, BODY_DEADLINE).await;
        assert_eq!(never.unwrap_err(), BodyError::TooLarge { limit: 10 });
        // A body that never ends.
        let (_tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
        let stalled = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
        let slow = read(&h, stalled, 10, Duration::from_millis(50)).await;
        assert_eq!(slow.unwrap_err(), BodyError::TooSlow);
    }
}
