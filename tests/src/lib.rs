//! Checks over `tests/` itself. The end-to-end suites beside this crate are
//! run by `scripts/test`: `e2e/` (Playwright in Chromium against
//! `causeway serve`) and `desktop/` (the real app under Xvfb via tauri-driver).
//! `layout.rs` checks the rules of the source tree itself.

#[cfg(test)]
mod layout;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }

    /// Third-party payloads keep their attribution: every fixture file is
    /// named in `fixtures/SOURCES.md`, and every name there exists.
    #[test]
    fn every_fixture_is_attributed() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let sources = std::fs::read_to_string(root.join("SOURCES.md")).unwrap();
        let mut all = Vec::new();
        files(&root, &mut all);
        let mut checked = 0;
        for p in all {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel == "SOURCES.md" {
                continue;
            }
            assert!(
                sources.contains(&format!("`{rel}`")),
                "{rel} is not in fixtures/SOURCES.md"
            );
            checked += 1;
        }
        assert!(checked >= 8, "only {checked} fixtures found");
        for line in sources.lines().filter(|l| {
            ["| `webhooks/", "| `replay/", "| `topologies/"]
                .iter()
                .any(|p| l.starts_with(p))
        }) {
            let name = line.split('`').nth(1).unwrap();
            assert!(
                root.join(name).exists(),
                "SOURCES.md lists {name}, which is missing"
            );
        }
    }
}
