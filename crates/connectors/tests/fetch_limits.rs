//! What a hostile or broken upstream can do to a poll: send an answer too
//! big to hold, or redirect a request that carries credentials to another
//! host. Local HTTP servers play the upstream.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use causeway_connectors::poll::http::{Fetcher, Request};
use causeway_connectors::poll::settings::RunSettings;
use causeway_connectors::runtime::{stop_pair, ErrorClass};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn serve(app: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    base
}

fn fetcher(config: serde_json::Value) -> Fetcher {
    Fetcher {
        client: causeway_connectors::runtime::http_client().unwrap(),
        settings: RunSettings::from_config(&config, Duration::from_secs(60), 0),
        pacer: Default::default(),
        overrides: Default::default(),
        record: None,
    }
}

/// An endless answer (1 MB chunks, no length) and one that announces 20 MB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_over_the_limit_fails_the_poll_unread() {
    let endless = || async {
        let chunks = futures_util::stream::repeat_with(|| {
            Ok::<_, std::io::Error>(axum::body::Bytes::from(vec![b'x'; 1024 * 1024]))
        });
        Body::from_stream(chunks)
    };
    let announced = || async {
        let len = 20 * 1024 * 1024;
        ([("content-length", len.to_string())], vec![b'y'; len])
    };
    let base = serve(
        Router::new()
            .route("/endless", get(endless))
            .route("/announced", get(announced)),
    )
    .await;
    let f = fetcher(json!({"maxRetries": 0, "maxResponseBytes": 4 * 1024 * 1024}));
    let (_keep, mut stop) = stop_pair();
    let started = Instant::now();
    for path in ["/endless", "/announced"] {
        let e = f
            .fetch(&Request::get(format!("{base}{path}")), &mut stop)
            .await
            .unwrap_err();
        assert_eq!(e.class, ErrorClass::Fail, "{path}: {e:?}");
        assert!(
            e.message.contains("over 4 MB") && e.message.contains("maxResponseBytes"),
            "{e:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    // The default is 16 MB: a 20 MB answer is refused without a setting.
    let e = fetcher(json!({"maxRetries": 0}))
        .fetch(&Request::get(format!("{base}/announced")), &mut stop)
        .await
        .unwrap_err();
    assert!(e.message.contains("over 16 MB"), "{e:?}");
}

/// A 302 to another port of the same host would carry `x-api-key` there:
/// refused, and the other side sees nothing. Within the origin, followed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_follow_a_redirect_to_another_origin() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let collect = {
        let seen = seen.clone();
        move |h: HeaderMap| {
            let seen = seen.clone();
            async move {
                let key = h.get("x-api-key").map(|v| v.to_str().unwrap().to_string());
                seen.lock().unwrap().push(key.unwrap_or_default());
                "[]"
            }
        }
    };
    let elsewhere = serve(Router::new().route("/collect", get(collect))).await;
    let to = format!("{elsewhere}/collect");
    let upstream = serve(
        Router::new()
            .route(
                "/away",
                get(move || async move { Redirect::temporary(&to) }),
            )
            .route("/moved", get(|| async { Redirect::permanent("/here") }))
            .route(
                "/here",
                get(|h: HeaderMap| async move {
                    let key = h.get("x-api-key").map(|v| v.to_str().unwrap().to_string());
                    axum::Json(json!({"key": key})).into_response()
                }),
            ),
    )
    .await;
    let f = fetcher(json!({"maxRetries": 2}));
    let (_keep, mut stop) = stop_pair();
    let with_key = |url: String| Request {
        headers: vec![("x-api-key".into(), "dd-secret-key".into())],
        secrets: vec!["dd-secret-key".into()],
        ..Request::get(url)
    };
    let e = f
        .fetch(&with_key(format!("{upstream}/away")), &mut stop)
        .await
        .unwrap_err();
    assert_eq!(e.class, ErrorClass::Fail, "not retried: {e:?}");
    assert!(e.message.contains("another origin"), "{e:?}");
    assert!(!e.message.contains("dd-secret-key"));
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    let ok = f
        .fetch(&with_key(format!("{upstream}/moved")), &mut stop)
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert!(String::from_utf8_lossy(&ok.body).contains("dd-secret-key"));
}
