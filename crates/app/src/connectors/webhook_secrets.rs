//! Webhook secrets Causeway makes itself: the shipped `default` Alertmanager
//! receiver's bearer secret, made at the first start, and a new secret for
//! any receiver whose tool takes one from us (rotation).
//!
//! Out of the box the default receiver verified nothing, so any web page in
//! the user's browser, or anyone on the network when listening beyond
//! loopback, could open incidents. Now it verifies `Authorization: Bearer`
//! like every Alertmanager instance, with a secret made here and shown once
//! (with the snippet to paste); only its keychain entry keeps it.

use crate::api::error::{ApiError, Code};
use crate::connectors::instances::keychain_error;
use crate::App;
use causeway_connectors::descriptor::ConnectorDescriptor;
use causeway_connectors::secrets::{handle_for, SecretError};
use causeway_connectors::verify::Scheme;
use causeway_core::Sensitive;
use causeway_store::instances;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The receiver every new data folder has.
pub const DEFAULT_RECEIVER: &str = "default-alertmanager";

/// A webhook secret just made: shown in this answer, and never again.
#[derive(Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewWebhookSecret {
    pub instance_id: String,
    pub descriptor_id: String,
    /// The value to paste into the sending tool (this answer is the only
    /// place it leaves the keychain; `Debug` shows `***`).
    pub secret: String,
    /// Where the tool sends, when the server is listening.
    pub webhook_url: Option<String>,
    /// The secret it replaces still verifies until the next rotation, so
    /// the tool can be switched over without losing a delivery.
    pub previous_kept: bool,
}

impl std::fmt::Debug for NewWebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhookSecret")
            .field("instance_id", &self.instance_id)
            .field("secret", &"***")
            .field("webhook_url", &self.webhook_url)
            .finish()
    }
}

/// 32 random bytes as hex.
fn generate() -> Result<Sensitive<String>, ApiError> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b)
        .map_err(|e| ApiError::new(Code::Internal, format!("no OS randomness: {e}")))?;
    Ok(Sensitive::new(
        b.iter().map(|x| format!("{x:02x}")).collect(),
    ))
}

/// Whether the sending tool takes a secret we make (as opposed to one its
/// provider issues, like PagerDuty's or Stripe's signing secrets).
fn we_make_it(scheme: &Scheme) -> bool {
    matches!(
        scheme,
        Scheme::Bearer
            | Scheme::SharedToken { .. }
            | Scheme::GithubSha256
            | Scheme::GithubSha1
            | Scheme::Grafana
    )
}

/// The Alertmanager receiver to paste into `alertmanager.yml`.
pub fn alertmanager_snippet(url: &str, secret: &str) -> String {
    format!(
        "receivers:\n  - name: causeway\n    webhook_configs:\n      - url: {url}\n        \
         send_resolved: true\n        http_config:\n          authorization:\n            \
         credentials: {secret}\n"
    )
}

impl App {
    /// Gives the default receiver its bearer secret when it verifies with
    /// one and has none yet (a new data folder). Returns the secret to show
    /// once; `None` when there was nothing to do.
    pub async fn ensure_default_receiver_secret(
        &self,
    ) -> Result<Option<NewWebhookSecret>, ApiError> {
        let id = DEFAULT_RECEIVER.to_string();
        let key = id.clone();
        let Some(inst) = self.store().read(move |c| instances::get(c, &key)).await? else {
            return Ok(None);
        };
        if self.scheme_of(&inst)? != Scheme::Bearer {
            return Ok(None);
        }
        let (keychain, h) = (self.keychain.clone(), handle_for(&id, "webhookSecret"));
        let have = tokio::task::spawn_blocking(move || match keychain.get(&h) {
            Ok(_) => Ok(true),
            Err(SecretError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
        .map_err(keychain_error)?;
        if have {
            return Ok(None);
        }
        self.rotate_webhook_secret(id).await.map(Some)
    }

    /// Makes a new webhook secret for receiver `id`: it verifies from now
    /// on, the one before it still does until the next rotation, and the
    /// answer is the only place the new one is ever shown.
    pub async fn rotate_webhook_secret(&self, id: String) -> Result<NewWebhookSecret, ApiError> {
        let mut inst = self.stored_instance(&id).await?;
        if !causeway_connectors::descriptor::takes_webhooks(&inst.descriptor_id) {
            return Err(ApiError::bad_request(format!(
                "{id} takes no webhooks, so it has no webhook secret"
            )));
        }
        let scheme = self.scheme_of(&inst)?;
        if !we_make_it(&scheme) {
            return Err(ApiError::bad_request(format!(
                "{id} verifies with a secret its provider issues ({}): set that one in its settings",
                serde_json::to_value(&scheme).unwrap_or_default()["type"]
                    .as_str()
                    .unwrap_or_default()
            )));
        }
        let secret = generate()?;
        let (keychain, kid, new) = (self.keychain.clone(), id.clone(), secret.clone());
        let previous_kept = tokio::task::spawn_blocking(move || {
            let current = handle_for(&kid, "webhookSecret");
            let previous = handle_for(&kid, "webhookSecretPrevious");
            let kept = match keychain.get(&current) {
                Ok(old) => {
                    keychain.put(&previous, &old)?;
                    true
                }
                Err(SecretError::NotFound { .. }) => false,
                Err(e) => return Err(e),
            };
            keychain.put(&current, &new)?;
            Ok(kept)
        })
        .await
        .map_err(|e| ApiError::new(Code::Internal, e.to_string()))?
        .map_err(keychain_error)?;
        let mut config: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&inst.config).unwrap_or_default();
        let mut fields =
            crate::connectors::instances::secret_fields(&serde_json::Value::Object(config.clone()));
        for f in ["webhookSecret", "webhookSecretPrevious"] {
            if (f == "webhookSecret" || previous_kept) && !fields.iter().any(|x| x == f) {
                fields.push(f.to_string());
            }
        }
        config.insert("secretFields".into(), serde_json::json!(fields));
        inst.config = serde_json::Value::Object(config).to_string();
        let row = inst.clone();
        self.store()
            .write(move |c| instances::update(c, &row).map(|_| ()))
            .await?;
        self.forget_receivers();
        tracing::info!(instance = %id, previous_kept, "new webhook secret made (shown once, kept in the keychain)");
        self.emit(crate::api::views::ChangeEvent::ConnectorsChanged);
        let view = self.get_instance(id.clone()).await?;
        Ok(NewWebhookSecret {
            instance_id: id,
            descriptor_id: inst.descriptor_id,
            secret: secret.into_inner(),
            webhook_url: view.webhook_url,
            previous_kept,
        })
    }

    fn scheme_of(&self, inst: &instances::Instance) -> Result<Scheme, ApiError> {
        let config: serde_json::Value = serde_json::from_str(&inst.config).unwrap_or_default();
        crate::connectors::webhook_secrets::effective_scheme(
            &config,
            causeway_connectors::descriptor::builtin_or_user(&inst.descriptor_id),
        )
        .map_err(|e| {
            ApiError::bad_request(format!("{} has an unusable 'verify' setting: {e}", inst.id))
        })
    }
}

/// How an instance verifies its webhooks: its `verify` setting, and when it
/// has none (or `null`), its descriptor's scheme. Turning verification off
/// takes an explicit `{"type": "none"}`: a missing or cleared setting must
/// never quietly let unsigned deliveries in.
pub(crate) fn effective_scheme(
    config: &serde_json::Value,
    descriptor: Option<&ConnectorDescriptor>,
) -> Result<Scheme, serde_json::Error> {
    match config.get("verify") {
        None | Some(serde_json::Value::Null) => Ok(descriptor
            .and_then(|d| d.auth.scheme.clone())
            .unwrap_or(Scheme::None)),
        Some(v) => serde_json::from_value(v.clone()),
    }
}

/// The keychain fields holding an instance's webhook secrets: the current
/// one and, during a rotation, the previous one.
pub const SECRET_FIELDS: &[&str] = &["webhookSecret", "webhookSecretPrevious"];
