use super::*;

const SECRET: &str = "s3cr3t-🔑-value-that-must-not-leak";

#[test]
fn handles_name_the_place_not_the_value() {
    let h = handle_for("am-prod", "bearer_token");
    assert_eq!(h.as_str(), "instance/am-prod/bearer_token");
    assert_eq!(h.to_string(), "instance/am-prod/bearer_token");
    assert_eq!(
        serde_json::to_string(&h).unwrap(),
        "\"instance/am-prod/bearer_token\""
    );
    let back: SecretHandle = serde_json::from_str("\"instance/am-prod/bearer_token\"").unwrap();
    assert_eq!(back, h);
    assert_eq!(SecretHandle::new("probe/x").as_str(), "probe/x");
}

/// The mapping from `keyring` errors, with a platform message that (wrongly)
/// echoes the value and an undecodable entry that carries it.
#[test]
fn mapped_errors_never_carry_the_value() {
    let h = handle_for("i1", "token");
    let echoing = std::io::Error::other(format!("backend choked on {SECRET}"));
    let errors = [
        map_error(keyring::Error::NoEntry, &h, Some(SECRET)),
        map_error(
            keyring::Error::PlatformFailure(Box::new(echoing)),
            &h,
            Some(SECRET),
        ),
        map_error(
            keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("locked"))),
            &h,
            Some(SECRET),
        ),
        map_error(
            keyring::Error::BadEncoding(SECRET.as_bytes().to_vec()),
            &h,
            None,
        ),
        map_error(
            keyring::Error::Invalid("password".into(), format!("bad: {SECRET}")),
            &h,
            Some(SECRET),
        ),
        map_error(
            keyring::Error::TooLong("password".into(), 2560),
            &h,
            Some(SECRET),
        ),
    ];
    for e in &errors {
        let shown = format!("{e:?} {e}");
        assert!(!shown.contains(SECRET), "value leaked: {shown}");
        assert!(
            !shown.contains("s3cr3t"),
            "part of the value leaked: {shown}"
        );
    }
    assert_eq!(errors[0], SecretError::NotFound { handle: h.clone() });
    assert!(
        matches!(&errors[1], SecretError::Unavailable(m) if m.contains(HOW_TO_FIX) && m.contains("***"))
    );
    assert!(matches!(&errors[2], SecretError::Unavailable(m) if m.contains(HOW_TO_FIX)));
    assert!(matches!(&errors[3], SecretError::Other(m) if m.contains("instance/i1/token")));
}

/// Against the real Secret Service: gnome-keyring on a private bus.
#[cfg(target_os = "linux")]
mod real_keychain {
    use super::*;
    use causeway_testkit::keyring::{ensure, stored_items, StoredItem};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A service name of its own for every test, so tests never see each
    /// other's entries (and would never touch a user's real ones).
    fn keychain() -> Keychain {
        static N: AtomicU32 = AtomicU32::new(0);
        ensure();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Keychain::new(&format!(
            "causeway-test-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }

    fn secret(s: &str) -> Sensitive<String> {
        Sensitive::new(s.to_string())
    }

    fn only_item(kc: &Keychain) -> StoredItem {
        let mut items = stored_items(kc.service());
        assert_eq!(items.len(), 1, "expected one item: {items:?}");
        items.remove(0)
    }

    #[test]
    fn round_trip_of_a_4kb_unicode_value_lands_in_gnome_keyring() {
        let kc = keychain();
        let h = handle_for("am-prod", "bearer_token");
        let mut value = String::new();
        while value.len() < 4096 {
            value.push_str("ключ 🔑 密钥 clé \"quoted\"\n\t\\ ");
        }
        kc.put(&h, &secret(&value)).unwrap();

        let read = kc.get(&h).unwrap();
        assert_eq!(read.expose(), &value);
        assert!(read.expose().len() >= 4096);

        // Seen by gnome-keyring itself, not only through our own client.
        let item = only_item(&kc);
        assert_eq!(item.secret, value.as_bytes());
        assert_eq!(item.attributes["service"], kc.service());
        assert_eq!(item.attributes["username"], "instance/am-prod/bearer_token");
    }

    #[test]
    fn put_overwrites_in_place() {
        let kc = keychain();
        let h = handle_for("i1", "token");
        kc.put(&h, &secret("first")).unwrap();
        kc.put(&h, &secret("second")).unwrap();
        assert_eq!(kc.get(&h).unwrap().expose(), "second");
        assert_eq!(only_item(&kc).secret, b"second");
    }

    #[test]
    fn get_after_delete_is_not_found() {
        let kc = keychain();
        let h = handle_for("i1", "token");
        kc.put(&h, &secret("v")).unwrap();
        kc.delete(&h).unwrap();
        assert_eq!(kc.get(&h).unwrap_err(), SecretError::NotFound { handle: h });
        assert!(stored_items(kc.service()).is_empty());
    }

    #[test]
    fn deleting_a_missing_entry_is_ok() {
        let kc = keychain();
        let h = handle_for("never", "stored");
        kc.delete(&h).unwrap();
        kc.put(&h, &secret("v")).unwrap();
        kc.delete(&h).unwrap();
        kc.delete(&h).unwrap();
    }

    #[test]
    fn delete_instance_removes_exactly_that_instances_secrets() {
        let kc = keychain();
        let a_token = handle_for("a", "token");
        let a_key = handle_for("a", "signing_key");
        let b_token = handle_for("b", "token");
        kc.put(&a_token, &secret("a-token")).unwrap();
        kc.put(&a_key, &secret("a-key")).unwrap();
        kc.put(&b_token, &secret("b-token")).unwrap();
        assert_eq!(kc.get(&a_token).unwrap().expose(), "a-token");
        assert_eq!(kc.get(&b_token).unwrap().expose(), "b-token");

        // A field that was never set is no error.
        kc.delete_instance("a", &["token", "signing_key", "never_set"])
            .unwrap();

        assert!(matches!(
            kc.get(&a_token),
            Err(SecretError::NotFound { .. })
        ));
        assert!(matches!(kc.get(&a_key), Err(SecretError::NotFound { .. })));
        assert_eq!(kc.get(&b_token).unwrap().expose(), "b-token");
        assert_eq!(only_item(&kc).attributes["username"], "instance/b/token");
    }

    /// Two data folders both have an instance `github-gh`: each keeps its
    /// own secret, and deleting one's leaves the other's.
    #[test]
    fn two_scopes_keep_their_own_secrets_under_the_same_handle() {
        let kc = keychain();
        let (first, second) = (kc.scoped("0a1b"), kc.scoped("9f8e"));
        let h = handle_for("github-gh", "webhookSecret");
        first.put(&h, &secret("first-folder")).unwrap();
        second.put(&h, &secret("second-folder")).unwrap();
        assert_eq!(first.get(&h).unwrap().expose(), "first-folder");
        assert_eq!(second.get(&h).unwrap().expose(), "second-folder");
        assert!(matches!(kc.get(&h), Err(SecretError::NotFound { .. })));
        second
            .delete_instance("github-gh", &["webhookSecret"])
            .unwrap();
        assert_eq!(first.get(&h).unwrap().expose(), "first-folder");
        assert_eq!(
            only_item(&kc).attributes["username"],
            "0a1b/instance/github-gh/webhookSecret"
        );
    }

    #[test]
    fn check_passes_and_leaves_nothing_behind() {
        let kc = keychain();
        kc.check().unwrap();
        kc.check().unwrap();
        assert!(stored_items(kc.service()).is_empty());
    }

    #[test]
    fn the_backend_is_the_secret_service_not_a_mock() {
        ensure();
        let entry = keyring::Entry::new("causeway-test-backend", "probe").unwrap();
        assert!(entry
            .get_credential()
            .downcast_ref::<keyring::secret_service::SsCredential>()
            .is_some());
    }

    #[test]
    fn debug_output_never_shows_the_value() {
        let kc = keychain();
        let h = handle_for("i1", "token");
        kc.put(&h, &secret(SECRET)).unwrap();
        let value = kc.get(&h).unwrap();
        kc.delete(&h).unwrap();
        let not_found = kc.get(&h).unwrap_err();
        let shown = format!(
            "{h:?} {h} {kc:?} {value:?} {value} {not_found:?} {not_found} {:?}",
            kc.get(&h)
        );
        assert!(!shown.contains(SECRET), "value leaked: {shown}");
        assert!(!shown.contains("s3cr3t"), "value leaked: {shown}");
        assert!(shown.contains("instance/i1/token"));
    }

    const CHILD_MODE: &str = "CAUSEWAY_KEYCHAIN_TEST_DEAD_BUS";
    const CHILD_SAW: &str = "child saw Unavailable:";

    /// With the session bus address pointing at a socket nobody listens on,
    /// `check()` says the keychain is unavailable and how to fix it. Runs in
    /// a child process (this test binary, this one test) so that the other
    /// tests keep their bus.
    #[test]
    fn check_is_unavailable_with_a_dead_session_bus() {
        if std::env::var_os(CHILD_MODE).is_some() {
            let err = Keychain::new("causeway-test-dead-bus").check().unwrap_err();
            let SecretError::Unavailable(message) = &err else {
                panic!("expected Unavailable, got {err:?}");
            };
            assert!(message.contains("gnome-keyring"), "{message}");
            assert!(message.contains("dbus-run-session"), "{message}");
            assert!(
                message.contains("gnome-keyring-daemon --unlock"),
                "{message}"
            );
            println!("{CHILD_SAW} {err}");
            return;
        }

        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("dead-bus");
        // A socket file that nothing listens on any more.
        drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
        let module = module_path!().split_once("::").unwrap().1;
        let name = format!("{module}::check_is_unavailable_with_a_dead_session_bus");
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_MODE, "1")
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", socket.display()),
            )
            .env_remove("DISPLAY")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let report = format!(
            "child {:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{report}");
        // It really ran this one test (a wrong filter would pass 0 tests).
        assert!(stdout.contains("1 passed"), "{report}");
        // libtest prints "test <name> ... " and then our line, on one line.
        let line = stdout
            .lines()
            .find_map(|l| l.split_once(CHILD_SAW).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("{report}"));
        assert!(line.contains("keychain unavailable: no Secret Service on the session bus"));
        assert!(
            line.contains("dead-bus"),
            "the cause names the socket: {line}"
        );
    }
}
