//! The error codes of docs/http-api.md are the `Code` enum's: the table
//! between the `error-codes` markers is generated from it, and this test
//! fails when the two drift apart. `UPDATE_DOCS=1 cargo test -p
//! causeway-app --test error_codes` rewrites the table.

use causeway_app::Code;
use std::path::PathBuf;

const BEGIN: &str = "<!-- error-codes: generated from causeway_app::Code -->\n";
const END: &str = "<!-- /error-codes -->";

fn table() -> String {
    let mut t = String::from("| code | HTTP status | meaning |\n|---|---|---|\n");
    for c in Code::ALL {
        t.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.as_str(),
            c.http_status(),
            c.meaning()
        ));
    }
    t
}

#[test]
fn the_documented_error_codes_are_the_enums() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/http-api.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let start = doc
        .find(BEGIN)
        .expect("docs/http-api.md has the error-codes markers")
        + BEGIN.len();
    let end = start + doc[start..].find(END).expect("the error-codes table ends");
    let want = table();
    if doc[start..end] != want {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, format!("{}{want}{}", &doc[..start], &doc[end..])).unwrap();
            return;
        }
        panic!(
            "docs/http-api.md's error codes differ from causeway_app::Code; \
             run UPDATE_DOCS=1 cargo test -p causeway-app --test error_codes"
        );
    }
    // Every code serializes as the documented text.
    for c in Code::ALL {
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!(c.as_str())
        );
    }
}
