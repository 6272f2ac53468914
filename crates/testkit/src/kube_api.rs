//! A fake Kubernetes API server for tests: what cannot run here (a cluster),
//! serving recorded API objects with the list and watch semantics a real
//! API server has.
//!
//! - Every change gets the next `resourceVersion`; a list answers with the
//!   current one (and pages with `limit`/`continue`), its items without
//!   `kind`/`apiVersion` as the real server sends them.
//! - `?watch=true&resourceVersion=N` streams newline-delimited
//!   `ADDED`/`MODIFIED`/`DELETED` events after N (history first, then live),
//!   ending after `timeoutSeconds`.
//! - A watch from a version older than the history kept ([`FakeApi::compact`])
//!   gets what etcd compaction gives a real client: HTTP 200, then one
//!   `ERROR` event with a `Status` of code 410 ("too old resource version").
//! - [`FakeApi::drop_watches`] breaks every open watch mid-stream, as a
//!   network failure or an API server restart does.
//! - A bearer token is required (401 otherwise) and namespaces can be
//!   forbidden (403 with the API server's wording).

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// A served kind: (kind, API prefix, plural, namespaced).
type Served = (&'static str, &'static str, &'static str, bool);

/// Where each kind is served.
const KINDS: &[Served] = &[
    ("Pod", "api/v1", "pods", true),
    ("Service", "api/v1", "services", true),
    ("ConfigMap", "api/v1", "configmaps", true),
    ("Event", "api/v1", "events", true),
    ("Node", "api/v1", "nodes", false),
    ("Deployment", "apis/apps/v1", "deployments", true),
    ("ReplicaSet", "apis/apps/v1", "replicasets", true),
    ("StatefulSet", "apis/apps/v1", "statefulsets", true),
    ("DaemonSet", "apis/apps/v1", "daemonsets", true),
    (
        "EndpointSlice",
        "apis/discovery.k8s.io/v1",
        "endpointslices",
        true,
    ),
];

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
}

impl Request {
    pub fn is_watch(&self) -> bool {
        matches!(
            self.query.get("watch").map(String::as_str),
            Some("true" | "1")
        )
    }
}

#[derive(Debug, Clone)]
struct Change {
    rv: u64,
    kind: &'static str,
    resource: String,
    namespace: String,
    object: Value,
}

#[derive(Debug, Clone, Copy)]
enum Control {
    Change,
    Drop,
}

#[derive(Debug, Default)]
struct Inner {
    rv: u64,
    /// (resource, namespace, name) → object as last written.
    objects: BTreeMap<(String, String, String), Value>,
    history: Vec<Change>,
    /// Watches may resume from this version on; older ones get 410.
    oldest: u64,
    token: String,
    forbidden: BTreeSet<String>,
    requests: Vec<Request>,
    open_watches: usize,
    /// Watches answered with 410 Gone.
    gone: usize,
}

struct Shared {
    inner: Mutex<Inner>,
    live: broadcast::Sender<Control>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A running fake; stops when dropped.
pub struct FakeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.shared.live.send(Control::Drop);
    }
}

/// Reads every `*.json` object of a folder, in file name order.
pub fn load_dir(dir: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn served(kind: &str) -> Option<(&'static str, &'static str, bool)> {
    KINDS.iter().find(|k| k.0 == kind).map(|k| (k.1, k.2, k.3))
}

impl FakeApi {
    /// Serves `objects` on a loopback port; requests must carry `token`.
    pub async fn start(objects: Vec<Value>, token: &str) -> FakeApi {
        let (live, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                token: token.to_string(),
                ..Default::default()
            }),
            live,
        });
        let fake_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = fake_listener.local_addr().expect("local addr");
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(fake_listener, router).await;
        });
        let fake = FakeApi { addr, shared, task };
        for o in objects {
            fake.apply(o);
        }
        // What was loaded is the starting state, not history to replay.
        let mut i = fake.shared.lock();
        i.oldest = i.rv;
        i.history.clear();
        drop(i);
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig with one context, `fake`, for this server and
    /// `token`; returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, token: &str) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake-cluster\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake-cluster\n    user: tester\nusers:\n- name: tester\n  user:\n    token: {token}\n",
            self.url()
        );
        std::fs::write(&path, text).expect("write kubeconfig");
        path
    }

    /// Creates or replaces an object (`ADDED` or `MODIFIED`); returns its
    /// new resourceVersion.
    pub fn apply(&self, mut object: Value) -> u64 {
        let kind = object["kind"].as_str().unwrap_or_default().to_string();
        let (prefix, plural, namespaced) =
            served(&kind).unwrap_or_else(|| panic!("the fake does not serve kind '{kind}'"));
        let mut i = self.shared.lock();
        i.rv += 1;
        let rv = i.rv;
        let meta = &mut object["metadata"];
        let name = meta["name"].as_str().unwrap_or_default().to_string();
        let namespace = if namespaced {
            meta["namespace"].as_str().unwrap_or("default").to_string()
        } else {
            String::new()
        };
        meta["resourceVersion"] = rv.to_string().into();
        if meta.get("uid").is_none() {
            meta["uid"] = format!("fake-uid-{kind}-{namespace}-{name}").into();
        }
        object["apiVersion"] = prefix
            .trim_start_matches("api/")
            .trim_start_matches("apis/")
            .into();
        let resource = format!("{prefix}/{plural}");
        let key = (resource.clone(), namespace.clone(), name);
        let kind = if i.objects.insert(key, object.clone()).is_some() {
            "MODIFIED"
        } else {
            "ADDED"
        };
        i.history.push(Change {
            rv,
            kind,
            resource,
            namespace,
            object,
        });
        drop(i);
        let _ = self.shared.live.send(Control::Change);
        rv
    }

    /// Deletes an object (`DELETED`); whether it existed.
    pub fn delete(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let (prefix, plural, namespaced) =
            served(kind).unwrap_or_else(|| panic!("the fake does not serve kind '{kind}'"));
        let resource = format!("{prefix}/{plural}");
        let ns = if namespaced { namespace } else { "" };
        let mut i = self.shared.lock();
        let Some(mut object) =
            i.objects
                .remove(&(resource.clone(), ns.to_string(), name.to_string()))
        else {
            return false;
        };
        i.rv += 1;
        let rv = i.rv;
        object["metadata"]["resourceVersion"] = rv.to_string().into();
        i.history.push(Change {
            rv,
            kind: "DELETED",
            resource,
            namespace: ns.to_string(),
            object,
        });
        drop(i);
        let _ = self.shared.live.send(Control::Change);
        true
    }

    /// Breaks every open watch mid-stream.
    pub fn drop_watches(&self) {
        let _ = self.shared.live.send(Control::Drop);
    }

    /// Forgets the history, as etcd compaction does: a watch resuming from
    /// a version before the current one gets 410 Gone and must list again.
    pub fn compact(&self) {
        let mut i = self.shared.lock();
        i.oldest = i.rv;
        i.history.clear();
    }

    pub fn forbid_namespace(&self, ns: &str) {
        self.shared.lock().forbidden.insert(ns.to_string());
    }

    pub fn set_token(&self, token: &str) {
        self.shared.lock().token = token.to_string();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    pub fn open_watches(&self) -> usize {
        self.shared.lock().open_watches
    }

    /// How many watches were answered 410 Gone.
    pub fn gone(&self) -> usize {
        self.shared.lock().gone
    }

    pub fn resource_version(&self) -> u64 {
        self.shared.lock().rv
    }
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = status_object(code.as_u16(), reason, message);
    (
        code,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn status_object(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code
    })
}

/// `api/v1/namespaces/shop/pods` → (`api/v1/pods`, Some("shop")).
fn route(path: &str) -> Option<(String, Option<String>, &'static Served)> {
    let path = path.trim_matches('/');
    for k in KINDS {
        let (prefix, plural) = (k.1, k.2);
        let Some(rest) = path.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        if rest == plural {
            return Some((format!("{prefix}/{plural}"), None, k));
        }
        if let Some(ns) = rest
            .strip_prefix("namespaces/")
            .and_then(|r| r.strip_suffix(&format!("/{plural}")))
        {
            if k.3 && !ns.contains('/') {
                return Some((format!("{prefix}/{plural}"), Some(ns.to_string()), k));
            }
        }
    }
    None
}

fn query(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: query(&uri),
    };
    let token = {
        let mut i = shared.lock();
        i.requests.push(request.clone());
        i.token.clone()
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth != format!("Bearer {token}") {
        return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
    }
    if method != Method::GET {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the fake only reads",
        );
    }
    if request.path == "/version" {
        let v = json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0", "platform": "linux/amd64"});
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response();
    }
    let Some((resource, ns, kind)) = route(&request.path) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let verb = if request.is_watch() { "watch" } else { "list" };
    if let Some(ns) = &ns {
        if shared.lock().forbidden.contains(ns) {
            let group = kind
                .1
                .strip_prefix("apis/")
                .map_or("", |g| g.split('/').next().unwrap_or(""));
            let message = format!(
                "{} is forbidden: User \"tester\" cannot {verb} resource \"{}\" in API group \"{group}\" in the namespace \"{ns}\"",
                kind.2, kind.2
            );
            return status(StatusCode::FORBIDDEN, "Forbidden", &message);
        }
    }
    if request.is_watch() {
        watch(shared, resource, ns, &request.query)
    } else {
        list(&shared, &resource, ns.as_deref(), kind.0, &request.query)
    }
}

fn list(
    shared: &Shared,
    resource: &str,
    ns: Option<&str>,
    kind: &str,
    q: &BTreeMap<String, String>,
) -> Response {
    let i = shared.lock();
    let all: Vec<Value> = i
        .objects
        .iter()
        .filter(|((r, n, _), _)| r == resource && ns.is_none_or(|ns| ns == n))
        .map(|(_, o)| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("kind");
                m.remove("apiVersion");
            }
            o
        })
        .collect();
    let start: usize = q
        .get("continue")
        .and_then(|c| c.strip_prefix("offset-"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let end = start.saturating_add(limit).min(all.len());
    let items = all.get(start..end).unwrap_or_default().to_vec();
    let mut metadata = json!({"resourceVersion": i.rv.to_string()});
    if end < all.len() {
        metadata["continue"] = format!("offset-{end}").into();
    }
    let api_version = resource
        .trim_start_matches("apis/")
        .trim_start_matches("api/")
        .rsplit_once('/')
        .map_or("v1", |(gv, _)| gv)
        .to_string();
    let body = json!({"kind": format!("{kind}List"), "apiVersion": api_version, "metadata": metadata, "items": items});
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut s = json!({"type": kind, "object": object}).to_string();
    s.push('\n');
    Bytes::from(s)
}

fn watch(
    shared: Arc<Shared>,
    resource: String,
    ns: Option<String>,
    q: &BTreeMap<String, String>,
) -> Response {
    let from: u64 = q
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let mut live = shared.live.subscribe();
    let (backlog, too_old) = {
        let mut i = shared.lock();
        i.open_watches += 1;
        let too_old = from != 0 && from < i.oldest;
        i.gone += usize::from(too_old);
        let backlog: Vec<Change> = i.history.iter().filter(|c| c.rv > from).cloned().collect();
        (backlog, too_old.then(|| (from, i.oldest)))
    };
    let matches =
        move |c: &Change| c.resource == resource && ns.as_ref().is_none_or(|n| *n == c.namespace);
    let task_shared = shared.clone();
    tokio::spawn(async move {
        let done = |s: &Shared| s.lock().open_watches -= 1;
        if let Some((from, oldest)) = too_old {
            let message = format!("too old resource version: {from} ({oldest})");
            let _ = tx
                .send(Ok(line("ERROR", &status_object(410, "Expired", &message))))
                .await;
            done(&task_shared);
            return;
        }
        let mut last = from;
        for c in backlog.iter().filter(|c| matches(c)) {
            if tx.send(Ok(line(c.kind, &c.object))).await.is_err() {
                done(&task_shared);
                return;
            }
            last = c.rv;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                // The client hung up.
                _ = tx.closed() => break,
                msg = live.recv() => match msg {
                    Ok(Control::Change) | Err(broadcast::error::RecvError::Lagged(_)) => {
                        let new: Vec<Change> = task_shared
                            .lock()
                            .history
                            .iter()
                            .filter(|c| c.rv > last)
                            .cloned()
                            .collect();
                        for c in new {
                            last = c.rv;
                            if matches(&c) && tx.send(Ok(line(c.kind, &c.object))).await.is_err() {
                                done(&task_shared);
                                return;
                            }
                        }
                    }
                    Ok(Control::Drop) | Err(broadcast::error::RecvError::Closed) => {
                        // An error in the body makes the server abort the
                        // connection: the client sees it break mid-stream.
                        let _ = tx
                            .send(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped")))
                            .await;
                        break;
                    }
                },
            }
        }
        done(&task_shared);
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
