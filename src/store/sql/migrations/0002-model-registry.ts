import type { Migration } from './types.js';

/**
 * The model registry. Registered models get an integer surrogate key, so a rename touches one row and versions,
 * tags and aliases follow by key. Version numbers are allocated as MAX(version)+1 inside the writer's transaction;
 * soft-deleted versions keep their row (stage Deleted_Internal), so a number is never reused.
 * Frozen: never edit after release; add a new migration instead.
 */
export const m0002: Migration = {
  version: 2,
  name: 'model-registry',
  sqlite: `
CREATE TABLE registered_models (
  model_pk INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL DEFAULT 'default',
  name TEXT NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  description TEXT,
  user_id TEXT,
  UNIQUE (workspace, name)
);
CREATE TABLE registered_model_tags (
  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_pk, key)
) WITHOUT ROWID;
CREATE TABLE model_versions (
  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  creation_time INTEGER NOT NULL,
  last_updated_time INTEGER NOT NULL,
  description TEXT,
  user_id TEXT,
  current_stage TEXT NOT NULL,
  source TEXT NOT NULL,
  storage_location TEXT,
  run_id TEXT,
  run_link TEXT,
  status TEXT NOT NULL,
  status_message TEXT,
  model_id TEXT,
  PRIMARY KEY (model_pk, version)
) WITHOUT ROWID;
CREATE INDEX model_versions_run ON model_versions (run_id);
CREATE TABLE model_version_tags (
  model_pk INTEGER NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_pk, version, key),
  FOREIGN KEY (model_pk, version) REFERENCES model_versions(model_pk, version) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE registered_model_aliases (
  model_pk INTEGER NOT NULL REFERENCES registered_models(model_pk) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model_pk, alias)
) WITHOUT ROWID;
`,
};
