-- Facts about this data folder itself.
CREATE TABLE store_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
-- The keychain scope: every secret of this data folder is filed under it, so
-- two data folders (a second profile, a test run) never read, replace or
-- delete each other's secrets although instance ids repeat. Random, made once.
INSERT INTO store_meta (key, value) VALUES ('keychain_scope', lower(hex(randomblob(16))));
-- A folder made before scoping may hold secrets under the old, unscoped
-- names: the app copies them under the scope once (keychain_unscoped).
INSERT INTO store_meta (key, value)
SELECT 'keychain_unscoped', '1'
WHERE EXISTS (SELECT 1 FROM connector_instances WHERE config LIKE '%secretFields%');

-- One-time login links of `causeway serve` (only SHA-256 hashes). A link is
-- traded once for a session; `expires_at` NULL lasts until the server stops.
CREATE TABLE login_tokens (
  token_hash  TEXT PRIMARY KEY,
  created_at  TEXT NOT NULL,
  expires_at  TEXT,
  used_at     TEXT
);
