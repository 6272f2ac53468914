//! `causeway connectors add|list|test|remove` from a shell: a Statuspage
//! connector against a local fake serving a documented answer, and a
//! secret given through an environment variable that lands in the keychain
//! and nowhere in the data dir.

mod common;
use causeway_connectors::secrets::handle_for;
use causeway_testkit::keyring as test_keyring;
use common::*;
use std::process::Command;

fn causeway(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut c = Command::new(BIN);
    c.arg("connectors")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env("CAUSEWAY_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn connectors_are_added_tested_listed_and_removed_from_the_cli() {
    test_keyring::ensure();
    let service = format!("causeway-cli-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let body = std::fs::read(format!("{FIXTURES}/api/statuspage/incidents.json")).unwrap();
    let app = axum::Router::new().route(
        "/api/v2/incidents.json",
        axum::routing::get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();

    let config = format!(r#"{{"baseUrl": "{base}", "vendor": "GitHub"}}"#);
    let (ok, out, err) = tokio::task::spawn_blocking({
        let d = d.clone();
        move || {
            causeway(
                &d,
                &[
                    "add",
                    "--type",
                    "statuspage",
                    "--name",
                    "GitHub status",
                    "--config",
                    &config,
                ],
                &[],
            )
        }
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let id = out.trim().to_string();
    assert_eq!(id, "statuspage-github-status");

    let (ok, out, err) = tokio::task::spawn_blocking({
        let (d, id) = (d.clone(), id.clone());
        move || causeway(&d, &["test", &id], &[])
    })
    .await
    .unwrap();
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("GET ") && out.contains("/api/v2/incidents.json → 200"),
        "{out}"
    );
    assert!(
        out.contains("would signal: [firing] GitHub: Incident with Actions (high)"),
        "{out}"
    );
    assert!(
        out.contains("would signal: [resolved] GitHub: Disruption with some GitHub services"),
        "{out}"
    );

    // A secret from the environment goes to the keychain only.
    let token = "glpat-cli-secret-4242";
    let (ok, out, err) = tokio::task::spawn_blocking({
        let d = d.clone();
        move || {
            causeway(
                &d,
                &[
                    "add",
                    "--type",
                    "gitlab-issues",
                    "--name",
                    "cart",
                    "--config",
                    r#"{"project": "shop/cart"}"#,
                    "--secret-env",
                    "token=CW_CLI_TOKEN",
                ],
                &[("CW_CLI_TOKEN", token)],
            )
        }
    })
    .await
    .unwrap();
    assert!(ok, "{err}");
    let gl = out.trim().to_string();
    assert_eq!(
        keychain(&d)
            .get(&handle_for(&gl, "token"))
            .unwrap()
            .expose(),
        token
    );
    for e in std::fs::read_dir(&d).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            let b = std::fs::read(&p).unwrap();
            assert!(
                !b.windows(token.len()).any(|w| w == token.as_bytes()),
                "{}",
                p.display()
            );
        }
    }
    let (ok, out, _) = causeway(&d, &["list"], &[]);
    assert!(ok && out.contains(&id) && out.contains(&gl), "{out}");
    let (ok, out, _) = causeway(&d, &["export"], &[]);
    assert!(
        ok && out.contains("${GITLAB_ISSUES_CART_TOKEN}") && !out.contains(token),
        "{out}"
    );

    let (ok, _, err) = causeway(&d, &["remove", &gl], &[]);
    assert!(ok, "{err}");
    assert!(
        keychain(&d).get(&handle_for(&gl, "token")).is_err(),
        "its secret went with it"
    );
    let (_, out, _) = causeway(&d, &["list"], &[]);
    assert!(!out.contains(&gl));
    // A missing variable is named.
    let (ok, _, err) = causeway(
        &d,
        &[
            "add",
            "--type",
            "gitlab-issues",
            "--name",
            "x",
            "--secret-env",
            "token=CW_NOT_SET_ANYWHERE",
        ],
        &[],
    );
    assert!(!ok && err.contains("CW_NOT_SET_ANYWHERE"), "{err}");
}
