-- Live processing at the intake rate (issue 12): compressed payloads,
-- retention, and the indexes the list queries need at a million signals.

-- Raw bodies, dead letters' bytes and the engine's state are stored
-- LZ4-compressed; rows written before carry no encoding and are read as they are.
ALTER TABLE inbox ADD COLUMN encoding TEXT;
ALTER TABLE dead_letters ADD COLUMN encoding TEXT;
ALTER TABLE engine_state ADD COLUMN state_lz4 BLOB;

-- Deleting an old inbox row looks up the dead letters pointing at it
-- (ON DELETE SET NULL); without this index each delete scans them all.
CREATE INDEX dead_letters_inbox ON dead_letters(inbox_id) WHERE inbox_id IS NOT NULL;
CREATE INDEX dead_letters_received ON dead_letters(received_at);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries(received_at);

-- The incident list's order (most recently active first, then id) read
-- straight from an index, without sorting ties.
DROP INDEX IF EXISTS incidents_updated;
CREATE INDEX incidents_updated_id ON incidents(updated_at, id);

-- Signals waiting in no incident, newest first, without walking every signal.
CREATE INDEX signals_unassigned ON signals(received_at) WHERE unassigned_reason IS NOT NULL;

-- An incident's analysis (causal graph, impact, insight) as JSON, written
-- when the incident is analysed: the detail view reads it instead of
-- analysing thousands of signals on every request. NULL until analysed.
ALTER TABLE incidents ADD COLUMN analysis TEXT;
