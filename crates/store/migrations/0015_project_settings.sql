-- Each project has its own correlation settings (auto-incident rules included).
ALTER TABLE correlation_settings ADD COLUMN project_id TEXT NOT NULL DEFAULT 'default';
