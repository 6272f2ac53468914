-- No query reads signals by fingerprint (the engine keeps that map itself),
-- yet every signal processed wrote a random page of this index: a storm
-- paid for it in every commit.
DROP INDEX IF EXISTS signals_fingerprint;
