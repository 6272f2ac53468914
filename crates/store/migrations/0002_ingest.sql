-- The incident ingest API: one row per (sourceType, sourceRef), so a repeated
-- request answers with the incident it created the first time.

CREATE TABLE ingest_requests (
  source_type        TEXT NOT NULL,
  source_ref         TEXT NOT NULL,
  incident_id        TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  signal_id          TEXT NOT NULL,
  evidence_bundle_id TEXT,
  -- evidenceLite as sent, for the incident's timeline.
  evidence           TEXT,
  created_at         TEXT NOT NULL,
  PRIMARY KEY (source_type, source_ref)
);
CREATE INDEX ingest_requests_incident ON ingest_requests(incident_id);

-- The instance the ingest API's payloads go through (inbox, dead letters).
INSERT INTO connector_instances (id, descriptor_id, project_id, name, enabled, config, created_at)
VALUES ('default-causeway', 'causeway', 'default', 'Incident ingest API', 1, '{}', '1970-01-01T00:00:00Z');
INSERT INTO connector_state (instance_id) VALUES ('default-causeway');
