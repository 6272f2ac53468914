//! The user's kubeconfig: which contexts it offers (for the setup form's
//! context picker), and a client for the chosen one.
//!
//! The file is read where it is, each time the connector starts: its
//! credentials (tokens, client keys, exec plugins) stay in the user's
//! kubeconfig and are never copied into Causeway's database or keychain.

use super::problems::chain;
use crate::runtime::Problem;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::Serialize;
use std::path::PathBuf;

/// The contexts of a kubeconfig, for the setup form.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextList {
    /// Where they were read from: the given path, `$KUBECONFIG`'s files, or
    /// the default `~/.kube/config`.
    pub source: String,
    /// The file's `current-context`, the connector's default.
    pub current: Option<String>,
    pub contexts: Vec<ContextInfo>,
}

/// One context: names only, never credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextInfo {
    pub name: String,
    pub cluster: String,
    /// The cluster's API server URL, when the file names it.
    pub server: Option<String>,
    /// The context's default namespace.
    pub namespace: Option<String>,
    pub user: Option<String>,
}

/// Reads the kubeconfig at `path` (or `$KUBECONFIG`, else `~/.kube/config`).
/// Blocking: a file read.
fn read(path: Option<&str>) -> Result<(Kubeconfig, String), String> {
    match path.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let path = expand_home(p);
            Kubeconfig::read_from(&path)
                .map(|k| (k, path.display().to_string()))
                .map_err(|e| {
                    format!(
                        "cannot use the kubeconfig {}: {}",
                        path.display(),
                        chain(&e)
                    )
                })
        }
        None => {
            let source = match std::env::var("KUBECONFIG") {
                Ok(v) if !v.is_empty() => format!("$KUBECONFIG ({v})"),
                _ => "~/.kube/config".to_string(),
            };
            Kubeconfig::read()
                .map(|k| (k, source.clone()))
                .map_err(|e| format!("cannot use the kubeconfig {source}: {}", chain(&e)))
        }
    }
}

/// `~/x` → `$HOME/x`: a path typed in a form, not by a shell.
fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The contexts the user's kubeconfig offers. Blocking: a file read.
pub fn list_contexts(path: Option<&str>) -> Result<ContextList, String> {
    let (k, source) = read(path)?;
    let server = |cluster: &str| {
        k.clusters
            .iter()
            .find(|c| c.name == cluster)
            .and_then(|c| c.cluster.as_ref())
            .and_then(|c| c.server.clone())
    };
    let contexts = k
        .contexts
        .iter()
        .map(|c| {
            let ctx = c.context.as_ref();
            let cluster = ctx.map(|x| x.cluster.clone()).unwrap_or_default();
            ContextInfo {
                name: c.name.clone(),
                server: server(&cluster),
                cluster,
                namespace: ctx.and_then(|x| x.namespace.clone()),
                user: ctx.and_then(|x| x.user.clone()),
            }
        })
        .collect();
    Ok(ContextList {
        source,
        current: k.current_context.clone(),
        contexts,
    })
}

/// A client for the context, with the context's name and server URL for
/// messages. Errors say what to fix in the kubeconfig.
pub(crate) async fn client(
    path: Option<&str>,
    context: Option<&str>,
) -> Result<(Client, String, String), Problem> {
    let fatal = |message: String| Problem {
        message,
        fatal: true,
        reload: false,
    };
    let path = path.map(str::to_string);
    let (k, source) = tokio::task::spawn_blocking(move || read(path.as_deref()))
        .await
        .map_err(|e| fatal(e.to_string()))?
        .map_err(fatal)?;
    let name = match context.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.to_string(),
        None => k.current_context.clone().ok_or_else(|| {
            fatal(format!(
                "the kubeconfig {source} has no current-context: choose a context for this connector"
            ))
        })?,
    };
    if !k.contexts.iter().any(|c| c.name == name) {
        let known: Vec<&str> = k.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(fatal(format!(
            "the kubeconfig {source} has no context '{name}' (it has: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let options = KubeConfigOptions {
        context: Some(name.clone()),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(k, &options)
        .await
        .map_err(|e| {
            fatal(format!(
                "cannot use context '{name}' of {source}: {}",
                chain(&e)
            ))
        })?;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = Client::try_from(config).map_err(|e| {
        fatal(format!(
            "cannot set up a client for context '{name}': {}",
            chain(&e)
        ))
    })?;
    Ok((client, name, server))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
apiVersion: v1
kind: Config
current-context: staging
clusters:
- name: prod-cluster
  cluster: {server: "https://prod.example:6443"}
- name: staging-cluster
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: alice, namespace: shop}
- name: staging
  context: {cluster: staging-cluster, user: alice}
users:
- name: alice
  user: {token: not-shown}
"#;

    #[test]
    fn contexts_are_listed_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, TWO).unwrap();
        let list = list_contexts(Some(path.to_str().unwrap())).unwrap();
        assert_eq!(list.current.as_deref(), Some("staging"));
        assert_eq!(list.contexts.len(), 2);
        assert_eq!(list.contexts[0].name, "prod");
        assert_eq!(
            list.contexts[0].server.as_deref(),
            Some("https://prod.example:6443")
        );
        assert_eq!(list.contexts[0].namespace.as_deref(), Some("shop"));
        let json = serde_json::to_string(&list).unwrap();
        assert!(!json.contains("not-shown"), "no credential in {json}");
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let e = list_contexts(Some("/nonexistent/kubeconfig")).unwrap_err();
        assert!(
            e.starts_with("cannot use the kubeconfig /nonexistent/kubeconfig"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn an_unknown_context_names_the_ones_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(&path, TWO).unwrap();
        let e = client(path.to_str(), Some("dev")).await.err().unwrap();
        assert!(e.fatal);
        assert!(
            e.message
                .ends_with("has no context 'dev' (it has: prod, staging)"),
            "{}",
            e.message
        );
        let (_, name, server) = client(path.to_str(), None).await.unwrap();
        assert_eq!(
            (name.as_str(), server.as_str()),
            ("staging", "https://127.0.0.1:6443")
        );
    }
}
