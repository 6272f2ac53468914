-- The correlation engine's decision ledger, people's overrides, what
-- auto-incident rules assigned, and the settings applied after a back-test.

-- Every decision about an incident, the engine's or a person's, with why.
CREATE TABLE incident_ledger (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  at           TEXT NOT NULL,
  action       TEXT NOT NULL,
  signal_id    TEXT,
  actor        TEXT NOT NULL CHECK (actor IN ('engine', 'person')),
  text         TEXT NOT NULL
);
CREATE INDEX incident_ledger_incident ON incident_ledger(incident_id, id);

-- Moves, merges and splits people made: feedback later decisions respect.
CREATE TABLE correlation_feedback (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  at    TEXT NOT NULL,
  kind  TEXT NOT NULL CHECK (kind IN ('moved', 'merged', 'split')),
  -- The feedback as JSON (causeway_core::Feedback).
  data  TEXT NOT NULL
);

-- What the auto-incident rule that opened an incident gave it.
CREATE TABLE incident_assignments (
  incident_id  TEXT PRIMARY KEY REFERENCES incidents(id) ON DELETE CASCADE,
  rule         TEXT,
  assignee     TEXT,
  team         TEXT,
  runbook      TEXT
);

-- Correlation settings applied (after a back-test), newest last.
CREATE TABLE correlation_settings (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  applied_at  TEXT NOT NULL,
  -- causeway_core::CorrelationConfig as JSON.
  config      TEXT NOT NULL
);
