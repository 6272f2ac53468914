-- Providers re-send a webhook when they are unsure it arrived; their delivery
-- id lets us take it once.
CREATE TABLE webhook_deliveries (
  instance_id  TEXT NOT NULL REFERENCES connector_instances(id) ON DELETE CASCADE,
  delivery_id  TEXT NOT NULL,
  inbox_id     INTEGER,
  received_at  TEXT NOT NULL,
  PRIMARY KEY (instance_id, delivery_id)
);
