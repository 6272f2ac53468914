-- Pull connectors: poll health beside the existing counters, per-item
-- version hashes (an unchanged item is not published again), instances
-- managed by connectors.json, and evidence collected for incidents.

ALTER TABLE connector_state ADD COLUMN last_error_class TEXT;
ALTER TABLE connector_state ADD COLUMN last_latency_ms INTEGER;
ALTER TABLE connector_state ADD COLUMN items_fetched INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connector_state ADD COLUMN items_published INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connector_state ADD COLUMN items_skipped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connector_state ADD COLUMN polls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE connector_state ADD COLUMN next_attempt_at TEXT;
ALTER TABLE connector_state ADD COLUMN quiet_since TEXT;

-- 'file' for instances that connectors.json declares (reloads own them).
ALTER TABLE connector_instances ADD COLUMN managed_by TEXT;

CREATE TABLE poll_items (
  instance_id  TEXT NOT NULL REFERENCES connector_instances(id) ON DELETE CASCADE,
  stream       TEXT NOT NULL,
  item_key     TEXT NOT NULL,
  version_hash TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (instance_id, stream, item_key)
) WITHOUT ROWID;

-- Signal counts per instance over time (health sparkline, quiet detection).
CREATE INDEX signals_instance_received ON signals(instance_id, received_at);

-- Range queries run for an incident's window (Prometheus), for its timeline.
CREATE TABLE incident_evidence (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id  TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  instance_id  TEXT NOT NULL,
  name         TEXT NOT NULL,
  query        TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  collected_at TEXT NOT NULL,
  -- [{"labels": {...}, "points": [[epoch_s, value], ...]}]
  series       TEXT NOT NULL,
  UNIQUE (incident_id, instance_id, query)
);
