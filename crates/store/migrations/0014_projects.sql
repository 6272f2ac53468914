-- Projects of their own: every list is read for one project, newest first.
-- (The signal list was the only reader of `signals_received`: replaced, so
-- a signal's insert still updates as many indexes.)
CREATE INDEX incidents_project_updated ON incidents(project_id, updated_at, id);
DROP INDEX IF EXISTS signals_received;
CREATE INDEX signals_project_received ON signals(project_id, received_at);
