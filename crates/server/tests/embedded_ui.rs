//! One binary: a `causeway` copied alone to an empty folder serves the
//! whole web UI from inside itself — gzip-compressed, with ETags and 304s,
//! app routes answered with the page — and says its version on the command
//! line and at `/api/version`.

mod common;
use common::*;
use std::process::Command;

#[tokio::test]
async fn a_copied_binary_serves_the_embedded_ui_and_its_version() {
    let alone = tempfile::tempdir().unwrap();
    let bin = alone.path().join("causeway");
    std::fs::copy(BIN, &bin).unwrap();

    let out = Command::new(&bin).arg("--version").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(said, format!("causeway {}", env!("CARGO_PKG_VERSION")));

    let data = tempfile::tempdir().unwrap();
    let mut s = Server::spawn_bin(&bin, data.path(), &["--listen", "127.0.0.1:0"])
        .unwrap_or_else(|e| panic!("{e}"));
    s.session = s.trade(&s.token.clone()).expect("a session");
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // The page, compressed for a browser.
    let r = c
        .get(s.url("/"))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the UI is built into the binary");
    let h = r.headers().clone();
    assert_eq!(h["content-encoding"], "gzip");
    assert_eq!(h["cache-control"], "no-cache");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let etag = h["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let gz = r.bytes().await.unwrap();
    let mut page = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut page).unwrap();
    assert!(page.contains("<div id=\"root\">"), "{page}");

    // Asked again with its ETag: 304, no body.
    let r = c
        .get(s.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());

    // A client without gzip gets the same page plain; an app route gets it too.
    for path in ["/", "/incidents/inc-1"] {
        let r = c.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().get("content-encoding").is_none());
        assert_eq!(r.text().await.unwrap(), page, "{path}");
    }

    // The script the page names, cached for good under its hashed name.
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("index.html names its script")
        .trim_start_matches('.')
        .to_string();
    let r = c
        .get(s.url(&script))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{script}");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let compressed = r.bytes().await.unwrap().len();
    let plain = c
        .get(s.url(&script))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    assert!(compressed * 2 < plain, "gzip {compressed} vs {plain}");

    // What the UI shows.
    let v = s.get_json("/api/version").await;
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["name"], "Causeway");
}
