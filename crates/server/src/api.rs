//! `/api`: the UI's JSON API. Every route is a [`Command`] run through
//! `causeway_app::dispatch`, the same function the desktop IPC calls.

use crate::auth::{cookie, token_hash, COOKIE};
use crate::errors::ApiResponse;
use crate::Ctx;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use causeway_app::{dispatch, ApiError, Code, Command};
use causeway_core::IncidentStatus;
use serde::Deserialize;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub fn routes(ctx: Ctx) -> Router<Ctx> {
    Router::new()
        .route(
            "/incidents",
            get(|s: State<Ctx>, Query(q): Query<ProjectQuery>| {
                run(s, Command::ListIncidents { project: q.project })
            }),
        )
        .route(
            "/incidents/{id}",
            get(|s: State<Ctx>, Path(id): Path<String>| run(s, Command::GetIncident { id })),
        )
        .route("/incidents/{id}/status", post(set_status))
        .route("/incidents/{id}/signals", get(incident_signals))
        .route("/signals", get(signals))
        .route(
            "/dead-letters",
            get(|s: State<Ctx>, Query(q): Query<ProjectQuery>| {
                run(s, Command::ListDeadLetters { project: q.project })
            }),
        )
        .route(
            "/dead-letters/{id}/replay",
            post(|s: State<Ctx>, Path(id): Path<i64>| run(s, Command::ReplayDeadLetter { id })),
        )
        .route(
            "/connectors/catalogue",
            get(|s: State<Ctx>| run(s, Command::ListCatalogue)),
        )
        .route(
            "/connectors/instances",
            get(|s: State<Ctx>, Query(q): Query<ProjectQuery>| {
                run(s, Command::ListInstances { project: q.project })
            })
            .post(create_instance),
        )
        .route(
            "/connectors/instances/{id}",
            axum::routing::delete(|s: State<Ctx>, Path(id): Path<String>| {
                run(s, Command::DeleteInstance { id })
            })
            .get(|s: State<Ctx>, Path(id): Path<String>| run(s, Command::GetInstance { id }))
            .patch(update_instance),
        )
        .route(
            "/connectors/instances/{id}/test",
            post(|s: State<Ctx>, Path(id): Path<String>| run(s, Command::TestInstance { id })),
        )
        .route(
            "/connectors/instances/{id}/webhook-secret",
            post(|s: State<Ctx>, Path(id): Path<String>| {
                run(s, Command::RotateWebhookSecret { id })
            }),
        )
        .route(
            "/connectors/instances/{id}/authorize",
            post(|s: State<Ctx>, Path(id): Path<String>| {
                run(
                    s,
                    Command::AuthorizeInstance {
                        id,
                        open_browser: false,
                    },
                )
            }),
        )
        .route("/connectors/test", post(test_connection))
        .route(
            "/connectors/export",
            get(|s: State<Ctx>| run(s, Command::ExportConnectors)),
        )
        .route("/incidents/{id}/evidence", post(collect_evidence))
        .route("/topology/impact", get(impact))
        .route(
            "/topology",
            get(|s: State<Ctx>, Query(q): Query<ProjectQuery>| {
                run(s, Command::GetTopology { project: q.project })
            }),
        )
        .route("/tokens", get(|s: State<Ctx>| run(s, Command::ListTokens)))
        .route(
            "/tokens/{id}/revoke",
            post(|s: State<Ctx>, Path(id): Path<String>| run(s, Command::RevokeToken { id })),
        )
        .route(
            "/settings",
            get(|s: State<Ctx>| run(s, Command::GetSettings)),
        )
        .route("/version", get(|s: State<Ctx>| run(s, Command::GetVersion)))
        .route(
            "/projects",
            get(|s: State<Ctx>| run(s, Command::ListProjects)).post(create_project),
        )
        .route(
            "/projects/{id}",
            get(|s: State<Ctx>, Path(id): Path<String>| run(s, Command::GetProject { id }))
                .patch(rename_project)
                .delete(|s: State<Ctx>, Path(id): Path<String>| {
                    run(s, Command::DeleteProject { id })
                }),
        )
        .route("/rpc", post(rpc))
        .route("/events", get(events))
        .layer(middleware::from_fn_with_state(ctx, require_session))
}

async fn run(State(ctx): State<Ctx>, command: Command) -> Response {
    match dispatch(&ctx.app, command).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => ApiResponse(e).into_response(),
    }
}

/// `?project=ID`: the lists' project (`default` when absent).
#[derive(Deserialize)]
struct ProjectQuery {
    project: Option<String>,
}

#[derive(Deserialize)]
struct SignalsQuery {
    #[serde(default)]
    unassigned: bool,
    project: Option<String>,
}

async fn signals(s: State<Ctx>, Query(q): Query<SignalsQuery>) -> Response {
    run(
        s,
        Command::ListSignals {
            unassigned: q.unassigned,
            project: q.project,
        },
    )
    .await
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    offset: i64,
    #[serde(default = "page_limit")]
    limit: i64,
}

fn page_limit() -> i64 {
    500
}

/// `GET /api/incidents/{id}/signals?offset=&limit=`: a page of its signals.
async fn incident_signals(
    s: State<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let (offset, limit) = (q.offset, q.limit);
    run(s, Command::ListIncidentSignals { id, offset, limit }).await
}

#[derive(Deserialize)]
struct NewProject {
    id: String,
    name: String,
}

/// `POST /api/projects` `{"id", "name"}`: 201 with the project and its
/// receiver's secret (shown this once).
async fn create_project(s: State<Ctx>, body: axum::body::Bytes) -> Response {
    let what = "body must be {\"id\": \"a-slug\", \"name\": \"…\"}";
    match parse::<NewProject>(&body, what) {
        Ok(p) => {
            let made = dispatch(
                &s.app,
                Command::CreateProject {
                    id: p.id,
                    name: p.name,
                },
            )
            .await;
            match made {
                Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
                Err(e) => ApiResponse(e).into_response(),
            }
        }
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize)]
struct ProjectName {
    name: String,
}

async fn rename_project(
    s: State<Ctx>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    match parse::<ProjectName>(&body, "body must be {\"name\": \"…\"}") {
        Ok(b) => run(s, Command::RenameProject { id, name: b.name }).await,
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize)]
struct ImpactQuery {
    entity: String,
}

async fn impact(s: State<Ctx>, Query(q): Query<ImpactQuery>) -> Response {
    run(s, Command::TopologyImpact { entity: q.entity }).await
}

#[derive(Deserialize)]
struct StatusBody {
    status: IncidentStatus,
}

/// A JSON body as `T`, or 400 naming where it is wrong (never the value).
fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> Result<T, ApiResponse> {
    causeway_app::api::error::from_json(body, what).map_err(ApiResponse)
}

async fn set_status(s: State<Ctx>, Path(id): Path<String>, body: axum::body::Bytes) -> Response {
    match parse::<StatusBody>(&body, "body must be {\"status\": …}") {
        Ok(b) => {
            run(
                s,
                Command::SetIncidentStatus {
                    id,
                    status: b.status,
                },
            )
            .await
        }
        Err(r) => r.into_response(),
    }
}

/// `POST /api/connectors/instances`: 201 with the instance (no secrets).
async fn create_instance(s: State<Ctx>, body: axum::body::Bytes) -> Response {
    let what = "not an instance (descriptorId, projectId, name, config, secrets)";
    let new = match parse(&body, what) {
        Ok(n) => n,
        Err(r) => return r.into_response(),
    };
    let mut r = run(s, Command::CreateInstance(new)).await;
    if r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::CREATED;
    }
    r
}

/// `PATCH /api/connectors/instances/{id}`.
async fn update_instance(
    s: State<Ctx>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    match parse(&body, "not an update (name, enabled, config, secrets)") {
        Ok(update) => run(s, Command::UpdateInstance { id, update }).await,
        Err(r) => r.into_response(),
    }
}

/// `POST /api/connectors/test`: a connection test before creating.
async fn test_connection(s: State<Ctx>, body: axum::body::Bytes) -> Response {
    let what = "not an instance (descriptorId, projectId, name, config, secrets)";
    match parse(&body, what) {
        Ok(new) => run(s, Command::TestConnection(new)).await,
        Err(r) => r.into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct EvidenceBody {
    #[serde(default)]
    window_minutes_before: Option<i64>,
    #[serde(default)]
    window_minutes_after: Option<i64>,
}

/// `POST /api/incidents/{id}/evidence`: Prometheus range queries over its window.
async fn collect_evidence(
    s: State<Ctx>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let b: EvidenceBody = if body.is_empty() {
        EvidenceBody::default()
    } else {
        match parse(&body, "body") {
            Ok(b) => b,
            Err(r) => return r.into_response(),
        }
    };
    run(
        s,
        Command::CollectEvidence {
            incident_id: id,
            window_minutes_before: b.window_minutes_before,
            window_minutes_after: b.window_minutes_after,
        },
    )
    .await
}

/// `POST /api/rpc`: the desktop IPC's command list over HTTP.
async fn rpc(s: State<Ctx>, body: axum::body::Bytes) -> Response {
    let parsed = causeway_app::api::error::from_json(&body, "body is not JSON")
        .and_then(causeway_app::api::commands::parse);
    match parsed {
        Ok(c) => run(s, c).await,
        Err(e) => ApiResponse(e).into_response(),
    }
}

/// `GET /api/events`: change notifications as server-sent events.
async fn events(State(ctx): State<Ctx>) -> impl IntoResponse {
    let stream = BroadcastStream::new(ctx.app.subscribe()).filter_map(|e| {
        // A lagging client skips to the next event; it refetches anyway.
        let e = e.ok()?;
        Some(Event::default().json_data(e).map_err(axum::Error::new))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `GET /metrics`: open on loopback (Prometheus on the same machine);
/// listening beyond it, only with an admin token or a session.
pub async fn metrics(State(ctx): State<Ctx>, req: Request) -> Response {
    if ctx.guard.remote {
        if let Err(refused) = authorize(&ctx, req.headers(), None).await {
            return refused;
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        ctx.app.metrics_text().await,
    )
        .into_response()
}

/// Whether the request may use the API: a live session cookie or an admin
/// Bearer token. With the cookie, a state-changing request must also come
/// from the UI itself (`guard::same_origin`), since the browser adds the
/// cookie to requests any page makes.
async fn authorize(
    ctx: &Ctx,
    headers: &HeaderMap,
    check_origin: Option<&Method>,
) -> Result<(), Response> {
    let by_cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| cookie(c, COOKIE))
        .is_some_and(|id| ctx.auth.check(id));
    if by_cookie {
        return match check_origin {
            Some(method) => {
                crate::guard::same_origin(method, headers).map_err(IntoResponse::into_response)
            }
            None => Ok(()),
        };
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| token_hash(t.trim()));
    let Some(hash) = bearer else {
        return Err(ApiResponse(ApiError::new(
            Code::Unauthorized,
            "sign in with the link `causeway serve` printed (or a new one from `causeway login`), or send an admin Bearer token",
        ))
        .into_response());
    };
    let scope = ctx
        .app
        .store()
        .read(move |c| causeway_store::tokens::scope_of(c, &hash))
        .await;
    match scope {
        Ok(Some(s)) if s == "admin" => Ok(()),
        Ok(Some(_)) => Err(ApiResponse(ApiError::new(
            Code::Forbidden,
            "this token's scope is not admin",
        ))
        .into_response()),
        Ok(None) => Err(ApiResponse(ApiError::new(
            Code::Unauthorized,
            "unknown or revoked token",
        ))
        .into_response()),
        Err(e) => Err(ApiResponse(e.into()).into_response()),
    }
}

/// Lets a request through with a session or an admin Bearer token, its
/// body read whole (within the size limit and deadline) before any handler.
async fn require_session(State(ctx): State<Ctx>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if let Err(refused) = authorize(&ctx, &parts.headers, Some(&parts.method)).await {
        return refused;
    }
    match crate::body::read(
        &parts.headers,
        body,
        crate::API_BODY_LIMIT,
        crate::body::BODY_DEADLINE,
    )
    .await
    {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                .await
        }
        Err(e) => e.into_response(),
    }
}
