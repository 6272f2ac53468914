//! What a failure of the Kubernetes client means for a person: a sentence
//! that says what is wrong and what to do, and whether retrying alone can
//! fix it ([`Problem`], which the connection's [`Health`](super::Health)
//! turns into its state).

use crate::runtime::Problem;
use std::error::Error as StdError;

/// What a watch error means for a person. `what` names the scope ("pods in
/// namespace shop"); `server` and `context` say where.
pub(crate) fn describe_watch(
    err: &kube::runtime::watcher::Error,
    what: &str,
    server: &str,
    context: &str,
) -> Problem {
    use kube::runtime::watcher::Error as W;
    match err {
        W::InitialListFailed(e) | W::WatchStartFailed(e) | W::WatchFailed(e) => {
            describe_client(e, what, server, context)
        }
        W::WatchError(status) => {
            describe_status(status.code, &status.message, what, server, context)
        }
        W::NoResourceVersion => Problem {
            message: format!(
                "the API server at {server} listed {what} without a resourceVersion; listing again"
            ),
            fatal: false,
            reload: false,
        },
    }
}

/// What a client error means for a person.
pub(crate) fn describe_client(e: &kube::Error, what: &str, server: &str, context: &str) -> Problem {
    match e {
        kube::Error::Api(status) => describe_status(status.code, &status.message, what, server, context),
        kube::Error::Auth(a) => Problem {
            message: format!(
                "cannot get credentials for context '{context}': {}. Check the user entry of that context in your kubeconfig (an exec plugin must be installed and logged in)",
                chain(a)
            ),
            fatal: true,
            reload: true,
        },
        other => {
            let cause = chain(other);
            // rustls's errors, as they read through hyper's.
            let tls = [
                "certificate",
                "tls",
                "handshake",
                "unknownissuer",
                "corrupt message",
                "invalidcontenttype",
                "alertreceived",
            ]
            .iter()
            .any(|w| cause.to_ascii_lowercase().contains(w));
            if tls {
                Problem {
                    message: format!("TLS with the API server at {server} failed: {cause}. Check the server URL and the cluster's certificate-authority in your kubeconfig"),
                    fatal: true,
                    reload: false,
                }
            } else {
                Problem {
                    message: format!("cannot reach the API server at {server}: {cause}"),
                    fatal: false,
                    reload: false,
                }
            }
        }
    }
}

fn describe_status(code: u16, message: &str, what: &str, server: &str, context: &str) -> Problem {
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    match code {
        401 => Problem {
            message: format!(
                "the API server at {server} rejected the credentials of context '{context}' (401 Unauthorized): they have expired or are wrong. Log in to the cluster again (for example with your cloud CLI); Causeway keeps retrying"
            ),
            fatal: true,
            reload: true,
        },
        403 => Problem {
            message: format!(
                "not allowed to list and watch {what} (403 Forbidden){said}. Ask for list and watch permission, or leave that namespace out of this connector"
            ),
            fatal: true,
            reload: false,
        },
        404 => Problem {
            message: format!("the API server at {server} does not serve {what} (404){said}"),
            fatal: true,
            reload: false,
        },
        410 => Problem {
            message: format!("the watch of {what} fell behind the API server's history (410 Gone); listing again"),
            fatal: false,
            reload: false,
        },
        c => Problem {
            message: format!("the API server at {server} answered {c} for {what}{said}"),
            fatal: false,
            reload: false,
        },
    }
}

/// An error and its causes, outermost first, without repeating a cause its
/// wrapper already quotes.
pub(crate) fn chain(e: &dyn StdError) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn StdError> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        // kube's wrappers ("ServiceError: client error (Connect)") add little.
        let text = text
            .strip_prefix("ServiceError: ")
            .or_else(|| text.strip_prefix("HyperError: "))
            .unwrap_or(&text)
            .to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.retain(|p| !text.contains(p.as_str()));
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_sentences() {
        let p = describe_status(
            403,
            "pods is forbidden",
            "pods in namespace vault",
            "https://k",
            "prod",
        );
        assert!(p.fatal);
        assert!(p.message.starts_with("not allowed to list and watch pods in namespace vault (403 Forbidden): pods is forbidden"));
        let p = describe_status(401, "Unauthorized", "pods", "https://k", "prod");
        assert!(p.message.contains("context 'prod'") && p.message.contains("expired"));
        assert!(!describe_status(410, "too old", "pods", "https://k", "prod").fatal);
        assert!(!describe_status(503, "", "pods", "https://k", "prod").fatal);
    }
}
