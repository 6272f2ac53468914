-- The engine's state is written as an LZ4 frame, compressed as it is
-- serialized, so a storm's state never sits in memory whole as text.
ALTER TABLE engine_state ADD COLUMN state_frame BLOB;
