-- Team mode (issue 14): what this member accepted and has not yet put on
-- the team's log. A webhook is answered once its body is here; the
-- forwarder moves it to the log (and deletes it here) when Redis answers,
-- so an outage delays the team's view and loses nothing. Each member then
-- takes every entry of the log, its own included, into its inbox in the
-- log's order. How far it has read is `store_meta` 'team_cursor:<team>';
-- its identity among members is 'team_member_id' (random, made once).
CREATE TABLE team_outbox (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  -- raw (a payload), decision (a person's), instance (a connector
  -- definition, never a secret) or settings (correlation settings).
  kind        TEXT NOT NULL,
  instance_id TEXT,
  connector_id TEXT,
  project_id  TEXT,
  received_at TEXT NOT NULL,
  headers     TEXT NOT NULL DEFAULT '{}',
  body        BLOB NOT NULL,
  encoding    TEXT
);
INSERT INTO store_meta (key, value) VALUES ('team_member_id', lower(hex(randomblob(8))));
