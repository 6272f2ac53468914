-- Causeway's first schema: the raw inbox, dead letters, signals, incidents and
-- their links, connector instances and their state, API tokens, and the
-- correlation engine's state.

CREATE TABLE projects (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE connector_instances (
  id            TEXT PRIMARY KEY,
  descriptor_id TEXT NOT NULL,
  project_id    TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  enabled       INTEGER NOT NULL DEFAULT 1,
  -- Non-secret configuration as JSON; secrets are keychain handles only.
  config        TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL,
  UNIQUE (descriptor_id, project_id, name)
);

CREATE TABLE connector_state (
  instance_id          TEXT PRIMARY KEY REFERENCES connector_instances(id) ON DELETE CASCADE,
  checkpoint           TEXT,
  last_poll_at         TEXT,
  last_success_at      TEXT,
  last_error           TEXT,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  items_received       INTEGER NOT NULL DEFAULT 0,
  items_dead_lettered  INTEGER NOT NULL DEFAULT 0
);

-- Every accepted payload, committed before the sender is answered.
CREATE TABLE inbox (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id   TEXT NOT NULL REFERENCES connector_instances(id) ON DELETE CASCADE,
  connector_id  TEXT NOT NULL,
  project_id    TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  headers       TEXT NOT NULL DEFAULT '{}',
  body          BLOB NOT NULL,
  processed_at  TEXT,
  outcome       TEXT
);
CREATE INDEX inbox_pending ON inbox(id) WHERE processed_at IS NULL;

-- Payloads that could not be taken in or normalized, with their exact bytes.
CREATE TABLE dead_letters (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  instance_id   TEXT,
  connector_id  TEXT NOT NULL,
  project_id    TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  error         TEXT NOT NULL,
  headers       TEXT NOT NULL DEFAULT '{}',
  raw           BLOB NOT NULL,
  inbox_id      INTEGER REFERENCES inbox(id) ON DELETE SET NULL,
  replayed_at   TEXT
);

CREATE TABLE signals (
  id                TEXT PRIMARY KEY,
  project_id        TEXT NOT NULL,
  instance_id       TEXT NOT NULL,
  source_type       TEXT NOT NULL,
  kind              TEXT NOT NULL,
  status            TEXT NOT NULL,
  severity          TEXT NOT NULL,
  title             TEXT NOT NULL,
  entity            TEXT,
  service           TEXT,
  fingerprint       TEXT NOT NULL,
  correlation_key   TEXT NOT NULL,
  occurred_at       TEXT NOT NULL,
  received_at       TEXT NOT NULL,
  last_seen_at      TEXT NOT NULL,
  ended_at          TEXT,
  notifications     INTEGER NOT NULL DEFAULT 1,
  unassigned_reason TEXT,
  -- The whole canonical Signal as JSON; the columns above are for queries.
  data              TEXT NOT NULL
);
CREATE INDEX signals_fingerprint ON signals(fingerprint);
CREATE INDEX signals_received ON signals(received_at);

CREATE TABLE incidents (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL,
  title         TEXT NOT NULL,
  severity      TEXT NOT NULL,
  status        TEXT NOT NULL,
  pattern       TEXT,
  group_key     TEXT,
  root_cause    TEXT,
  signal_count  INTEGER NOT NULL DEFAULT 0,
  opened_at     TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  resolved_at   TEXT
);
CREATE INDEX incidents_updated ON incidents(updated_at);

CREATE TABLE incident_signals (
  incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  signal_id    TEXT NOT NULL REFERENCES signals(id) ON DELETE CASCADE,
  strategy     TEXT NOT NULL,
  confidence   TEXT NOT NULL,
  score        REAL NOT NULL,
  explanation  TEXT NOT NULL,
  decided_at   TEXT NOT NULL,
  PRIMARY KEY (incident_id, signal_id)
);
CREATE INDEX incident_signals_signal ON incident_signals(signal_id);

CREATE TABLE api_tokens (
  id          TEXT PRIMARY KEY,
  scope       TEXT NOT NULL CHECK (scope IN ('ingest', 'admin')),
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);

-- The correlation engine's state, written in the same transaction as the
-- decisions it made, so a crash never leaves the two apart.
CREATE TABLE engine_state (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  state  TEXT NOT NULL
);

INSERT INTO projects (id, name, created_at) VALUES ('default', 'Default', '1970-01-01T00:00:00Z');
-- Out of the box the default project takes Alertmanager webhooks on loopback.
INSERT INTO connector_instances (id, descriptor_id, project_id, name, enabled, config, created_at)
VALUES ('default-alertmanager', 'alertmanager', 'default', 'Alertmanager', 1, '{}', '1970-01-01T00:00:00Z');
INSERT INTO connector_state (instance_id) VALUES ('default-alertmanager');
