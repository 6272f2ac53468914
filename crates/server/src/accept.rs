//! The server's accept loop: hyper's HTTP/1.1 with a header read timeout
//! and a cap on open connections (axum's own `serve` sets neither).
//!
//! A client that sends its request head a byte at a time, or opens
//! connections and says nothing, is cut after [`HEADER_TIMEOUT`]; an idle
//! keep-alive connection likewise. Past [`MAX_CONNECTIONS`] new connections
//! wait in the listen backlog until one closes. Bodies have their own
//! deadline (`body::read`).

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// How long a request head (or the next one on a kept-alive connection)
/// may take to arrive.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; the browser UI holds one per tab for its
/// event stream, a monitoring tool a few.
pub const MAX_CONNECTIONS: usize = 256;
/// After a shutdown signal, how long open requests get to finish.
const DRAIN: Duration = Duration::from_secs(3);

/// Serves `router` on `listener` until `shutdown` completes, then lets open
/// requests finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(router.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = tokio::time::timeout(DRAIN, conn).await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection's slot back means every connection is closed.
    let _ = tokio::time::timeout(
        DRAIN + Duration::from_secs(1),
        slots.acquire_many(MAX_CONNECTIONS as u32),
    )
    .await;
    Ok(())
}
