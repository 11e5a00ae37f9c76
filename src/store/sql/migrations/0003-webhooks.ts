import type { Migration } from './types.js';

/**
 * Webhooks and their event subscriptions (soft-deleted like MLflow's), and a small settings table for values the
 * server generates once per database (the webhook secret key when no MLFLOW_WEBHOOK_SECRET_ENCRYPTION_KEY is set).
 * Frozen: never edit after release; add a new migration instead.
 */
export const m0003: Migration = {
  version: 3,
  name: 'webhooks',
  sqlite: `
CREATE TABLE webhooks (
  webhook_id TEXT PRIMARY KEY,
  workspace TEXT NOT NULL DEFAULT 'default',
  name TEXT NOT NULL,
  description TEXT,
  url TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ACTIVE','DISABLED')),
  secret TEXT,
  creation_timestamp INTEGER NOT NULL,
  last_updated_timestamp INTEGER NOT NULL,
  deleted_timestamp INTEGER
);
CREATE INDEX webhooks_listing ON webhooks (workspace, deleted_timestamp, creation_timestamp DESC, webhook_id);
CREATE TABLE webhook_events (
  webhook_id TEXT NOT NULL REFERENCES webhooks(webhook_id) ON DELETE CASCADE,
  entity TEXT NOT NULL,
  action TEXT NOT NULL,
  PRIMARY KEY (webhook_id, entity, action)
);
CREATE INDEX webhook_events_by_event ON webhook_events (entity, action, webhook_id);
CREATE TABLE mltrack_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`,
};
