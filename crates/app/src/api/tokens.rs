//! API tokens for scripts and the ingest API: issued from the Settings screen
//! (or `causeway token issue`), listed, revoked. A token is shown once, when
//! issued; only its SHA-256 is stored, so a lost token is revoked and
//! replaced, never recovered.

use crate::api::error::{ApiError, Code};
use crate::App;
use causeway_store::{tokens, ts, Connection, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

/// The scopes a token can have: `ingest` may only `POST /v1/incidents/ingest`;
/// `admin` may use the whole API.
pub const SCOPES: &[&str] = &["ingest", "admin"];

/// A token as listed: never the token, never its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    pub id: String,
    pub scope: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// The answer to issuing: the token itself, this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    #[serde(flatten)]
    pub view: TokenView,
    pub token: String,
}

impl From<tokens::TokenRow> for TokenView {
    fn from(r: tokens::TokenRow) -> Self {
        TokenView {
            id: r.id,
            scope: r.scope,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A random token: `cw_` and 64 hex digits (256 bits).
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::new(Code::Internal, format!("no OS randomness: {e}")))?;
    Ok(format!("cw_{}", hex(&bytes)))
}

/// The stored form of a token: its SHA-256 in hex.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn check_scope(scope: &str) -> Result<(), ApiError> {
    if SCOPES.contains(&scope) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "scope must be 'ingest' or 'admin', not '{scope}'"
        )))
    }
}

/// Issues a token of `scope` into `store` (blocking: for the CLI).
pub fn issue_blocking(store: &Store, scope: &str) -> Result<IssuedToken, ApiError> {
    let (issued, row) = prepare(scope)?;
    store.write_blocking(move |c| insert(c, &row))?;
    Ok(issued)
}

/// A new token of `scope`, and the row to store for it (hash, not token).
fn prepare(scope: &str) -> Result<(IssuedToken, (TokenView, String)), ApiError> {
    check_scope(scope)?;
    let token = new_token()?;
    let hash = token_hash(&token);
    let view = TokenView {
        id: format!("tok-{}", &hash[..12]),
        scope: scope.to_string(),
        created_at: ts(chrono::Utc::now()),
        revoked_at: None,
    };
    Ok((
        IssuedToken {
            view: view.clone(),
            token,
        },
        (view, hash),
    ))
}

fn insert(c: &Connection, (v, hash): &(TokenView, String)) -> causeway_store::Result<()> {
    tokens::insert(c, &v.id, &v.scope, hash, &v.created_at)
}

impl App {
    pub async fn list_tokens(&self) -> Result<TokenList, ApiError> {
        let rows = self.store().read(tokens::list).await?;
        Ok(TokenList {
            tokens: rows.into_iter().map(TokenView::from).collect(),
        })
    }

    pub async fn issue_token(&self, scope: String) -> Result<IssuedToken, ApiError> {
        let (issued, row) = prepare(&scope)?;
        self.store().write(move |c| insert(c, &row)).await?;
        Ok(issued)
    }

    /// Revokes a token; it stops working with the next request.
    pub async fn revoke_token(&self, id: String) -> Result<TokenView, ApiError> {
        let at = ts(chrono::Utc::now());
        let key = id.clone();
        let row = self
            .store()
            .write(move |c| tokens::revoke(c, &key, &at))
            .await?;
        row.map(TokenView::from)
            .ok_or_else(|| ApiError::not_found(format!("no token {id}")))
    }
}

#[cfg(test)]
mod tests {
    use crate::App;
    use crate::{dispatch, Command};
    use causeway_store::tokens::scope_of;

    #[tokio::test]
    async fn issued_tokens_work_until_revoked_and_are_never_listed() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        let issued = dispatch(
            &app,
            Command::IssueToken {
                scope: "admin".into(),
            },
        )
        .await
        .unwrap();
        let token = issued["token"].as_str().unwrap().to_string();
        assert!(token.starts_with("cw_") && token.len() == 67, "{token}");
        let id = issued["id"].as_str().unwrap().to_string();
        let hash = super::token_hash(&token);
        let h = hash.clone();
        let scope = app.store().read(move |c| scope_of(c, &h)).await.unwrap();
        assert_eq!(scope.as_deref(), Some("admin"));

        let listed = dispatch(&app, Command::ListTokens).await.unwrap();
        let text = listed.to_string();
        assert!(!text.contains(&token) && !text.contains(&hash), "{text}");
        assert_eq!(listed["tokens"][0]["id"], id.as_str());
        assert!(listed["tokens"][0]["revokedAt"].is_null());

        let revoked = dispatch(&app, Command::RevokeToken { id: id.clone() })
            .await
            .unwrap();
        assert!(revoked["revokedAt"].is_string());
        let h = hash.clone();
        let scope = app.store().read(move |c| scope_of(c, &h)).await.unwrap();
        assert_eq!(scope, None, "a revoked token stops working");
        let listed = dispatch(&app, Command::ListTokens).await.unwrap();
        assert_eq!(listed["tokens"][0]["revokedAt"], revoked["revokedAt"]);
    }

    #[tokio::test]
    async fn unknown_scopes_and_ids_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::open(dir.path()).unwrap();
        let e = dispatch(
            &app,
            Command::IssueToken {
                scope: "root".into(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, crate::Code::BadRequest);
        assert!(e.message.contains("'root'"), "{}", e.message);
        let e = dispatch(
            &app,
            Command::RevokeToken {
                id: "tok-nope".into(),
            },
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, crate::Code::NotFound);
    }
}
