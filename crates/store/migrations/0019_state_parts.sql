-- The engine's state frame, in parts of at most a mebibyte, written as it
-- is compressed: a storm's state is tens of megabytes compressed, and as one
-- blob it was held whole by the writer and copied whole twice by SQLite
-- (bound, then made into its row) with every save.
CREATE TABLE engine_state_parts (
  part INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);
