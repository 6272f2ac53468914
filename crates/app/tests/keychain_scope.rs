//! A data folder made before keychain scoping keeps its secrets: the first
//! open with a keychain copies them under its scope, once. Against the real
//! Secret Service (a private gnome-keyring).

use causeway_app::App;
use causeway_connectors::secrets::{handle_for, Keychain, SecretError};
use causeway_core::Sensitive;
use causeway_store::{instances, meta, Store};
use causeway_testkit::keyring as test_keyring;

#[test]
fn secrets_filed_before_scoping_are_adopted_once() {
    test_keyring::ensure();
    let service = format!("causeway-scope-test-{}", std::process::id());
    std::env::set_var("CAUSEWAY_KEYCHAIN_SERVICE", &service);
    let dir = tempfile::tempdir().unwrap();
    // An old folder: an instance with a secret under the bare handle.
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .write_blocking(|c| {
                instances::insert(
                    c,
                    &instances::Instance {
                        id: "github-gh".into(),
                        descriptor_id: "github".into(),
                        project_id: "default".into(),
                        name: "gh".into(),
                        enabled: true,
                        config: r#"{"secretFields":["webhookSecret"]}"#.into(),
                    },
                    "2026-01-01T00:00:00.000Z",
                )?;
                meta::set(c, meta::KEYCHAIN_UNSCOPED, "1")
            })
            .unwrap();
    }
    let bare = Keychain::new(&service);
    let h = handle_for("github-gh", "webhookSecret");
    bare.put(&h, &Sensitive::new("from-before".into())).unwrap();

    let app = App::open(dir.path()).unwrap();
    assert_eq!(app.keychain().get(&h).unwrap().expose(), "from-before");
    let pending = app
        .store()
        .read_blocking(|c| meta::get(c, meta::KEYCHAIN_UNSCOPED))
        .unwrap();
    assert_eq!(pending, None, "done once");
    // The bare entry stays (another old folder may need it); this folder no
    // longer reads it.
    bare.put(&h, &Sensitive::new("changed-elsewhere".into()))
        .unwrap();
    drop(app);
    let app = App::open(dir.path()).unwrap();
    assert_eq!(app.keychain().get(&h).unwrap().expose(), "from-before");

    // A new folder reads nothing of the bare entries.
    let fresh = tempfile::tempdir().unwrap();
    let other = App::open(fresh.path()).unwrap();
    assert!(matches!(
        other.keychain().get(&h),
        Err(SecretError::NotFound { .. })
    ));
}
