-- An incident's signals are read a page at a time in the order they joined
-- it: this index holds each incident's links in that order (rowid), so a
-- page is a walk of its length, however big the incident.
CREATE INDEX incident_signals_joined ON incident_signals(incident_id);
