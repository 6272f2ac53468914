-- The correlation engine's state is no longer saved with every batch (that
-- cost more than the batch itself in a storm) but every few seconds, with the
-- processing position it includes. After a crash the engine is brought back
-- by deciding again on the payloads processed after that position, in the
-- order they were first processed: `processed_seq` records that order.
ALTER TABLE inbox ADD COLUMN processed_seq INTEGER;
CREATE INDEX inbox_processed_seq ON inbox(processed_seq) WHERE processed_seq IS NOT NULL;
UPDATE inbox SET processed_seq = id WHERE processed_at IS NOT NULL;

ALTER TABLE engine_state ADD COLUMN processed_seq INTEGER NOT NULL DEFAULT 0;
-- A state saved before this migration included everything processed so far.
UPDATE engine_state SET processed_seq = (SELECT COALESCE(MAX(id), 0) FROM inbox WHERE processed_at IS NOT NULL);
