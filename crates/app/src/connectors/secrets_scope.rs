//! Secrets filed before each data folder had a keychain scope.
//!
//! They sit under the bare handle (`instance/<id>/<field>`), where any data
//! folder with an instance of the same id would find them. A folder made
//! before scoping (the migration marks it) copies each of its instances'
//! secrets under its scope once, the first time it opens with a keychain.
//! The bare entries stay: another old folder may still need its copy; the
//! README says how to remove them.

use crate::connectors::instances::secret_fields;
use crate::connectors::webhook_secrets::SECRET_FIELDS;
use causeway_connectors::poll::auth::{ACCESS_TOKEN, EXPIRES_AT, REFRESH_TOKEN};
use causeway_connectors::secrets::{handle_for, Keychain, SecretError};
use causeway_store::{instances, meta, Store};

/// Every keychain field an instance may have written.
pub(crate) fn all_fields(config: &serde_json::Value) -> Vec<String> {
    let mut fields = secret_fields(config);
    for f in SECRET_FIELDS
        .iter()
        .chain(&[ACCESS_TOKEN, REFRESH_TOKEN, EXPIRES_AT])
    {
        if !fields.iter().any(|x| x == f) {
            fields.push(f.to_string());
        }
    }
    fields
}

/// Copies the unscoped secrets of this folder's instances under `keychain`'s
/// scope, once. Without a keychain it says so and tries at the next start.
pub(crate) fn adopt_unscoped(store: &Store, keychain: &Keychain) {
    let pending = store.read_blocking(|c| meta::get(c, meta::KEYCHAIN_UNSCOPED));
    if !matches!(pending, Ok(Some(_))) {
        return;
    }
    match copy_all(store, keychain) {
        Ok(copied) => {
            tracing::info!(
                copied,
                "secrets filed before keychain scoping copied under this data folder's scope"
            );
            if let Err(e) = store.write_blocking(|c| meta::remove(c, meta::KEYCHAIN_UNSCOPED)) {
                tracing::warn!(error = %e, "could not note that the secrets were copied; will look again");
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "secrets filed before keychain scoping not copied yet; will try at the next start")
        }
    }
}

fn copy_all(store: &Store, keychain: &Keychain) -> Result<usize, String> {
    let list = store
        .read_blocking(instances::list)
        .map_err(|e| e.to_string())?;
    let bare = Keychain::new(keychain.service());
    let mut copied = 0;
    for inst in list {
        let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
        for field in all_fields(&config) {
            let h = handle_for(&inst.id, &field);
            match keychain.get(&h) {
                Ok(_) => continue,
                Err(SecretError::NotFound { .. }) => {}
                Err(e) => return Err(e.to_string()),
            }
            match bare.get(&h) {
                Ok(v) => {
                    keychain.put(&h, &v).map_err(|e| e.to_string())?;
                    copied += 1;
                }
                Err(SecretError::NotFound { .. }) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    Ok(copied)
}
