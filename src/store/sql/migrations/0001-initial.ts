import { mysql0001 } from './0001-initial.mysql.js';
import { postgres0001 } from './0001-initial.postgres.js';
import type { Migration } from './types.js';

/**
 * The first schema. Designed for ingest speed (benchmarks.md §5): runs get an integer surrogate key and metric
 * names an integer id, so the metric history's key is (run, key, step, timestamp, value, is_nan) of integers and
 * doubles in a WITHOUT ROWID table: appends stay local and a point costs well under 100 bytes. MLflow's
 * uniqueness rule (an identical point is a no-op) is kept as the primary key.
 * Frozen: never edit after release; add a new migration instead.
 */
export const m0001: Migration = {
  version: 1,
  name: 'initial',
  sqlite: `
CREATE TABLE experiments (
  experiment_id INTEGER PRIMARY KEY,
  workspace TEXT NOT NULL DEFAULT 'default',
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  creation_time INTEGER NOT NULL,
  last_update_time INTEGER NOT NULL,
  UNIQUE (workspace, name)
);
CREATE TABLE experiment_tags (
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key)
) WITHOUT ROWID;
CREATE TABLE runs (
  run_pk INTEGER PRIMARY KEY,
  run_uuid TEXT NOT NULL UNIQUE,
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time INTEGER,
  end_time INTEGER,
  deleted_time INTEGER,
  lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  artifact_uri TEXT NOT NULL
);
CREATE INDEX runs_experiment_start ON runs (experiment_id, lifecycle_stage, start_time DESC, run_uuid);
CREATE TABLE run_tags (
  run_pk INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;
CREATE INDEX run_tags_key_value ON run_tags (key, value);
CREATE TABLE params (
  run_pk INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_pk, key)
) WITHOUT ROWID;
CREATE INDEX params_key_value ON params (key, value);
CREATE TABLE metric_keys (
  key_id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE
);
CREATE TABLE metrics (
  run_pk INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  value REAL NOT NULL,
  is_nan INTEGER NOT NULL,
  PRIMARY KEY (run_pk, key_id, step, timestamp, value, is_nan)
) WITHOUT ROWID;
CREATE TABLE latest_metrics (
  run_pk INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  step INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  value REAL NOT NULL,
  is_nan INTEGER NOT NULL,
  PRIMARY KEY (run_pk, key_id)
) WITHOUT ROWID;
CREATE INDEX latest_metrics_key_value ON latest_metrics (key_id, value, run_pk);
CREATE TABLE datasets (
  dataset_pk INTEGER PRIMARY KEY,
  dataset_uuid TEXT NOT NULL,
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  source_type TEXT NOT NULL,
  source TEXT NOT NULL,
  schema TEXT,
  profile TEXT,
  UNIQUE (experiment_id, name, digest)
);
CREATE TABLE run_inputs (
  run_pk INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
  dataset_pk INTEGER NOT NULL REFERENCES datasets(dataset_pk) ON DELETE CASCADE,
  PRIMARY KEY (run_pk, dataset_pk)
) WITHOUT ROWID;
CREATE TABLE input_tags (
  run_pk INTEGER NOT NULL,
  dataset_pk INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_pk, dataset_pk, name),
  FOREIGN KEY (run_pk, dataset_pk) REFERENCES run_inputs(run_pk, dataset_pk) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE run_model_inputs (
  run_pk INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  PRIMARY KEY (run_pk, model_id)
) WITHOUT ROWID;
CREATE TABLE run_outputs (
  run_pk INTEGER NOT NULL REFERENCES runs(run_pk) ON DELETE CASCADE,
  model_id TEXT NOT NULL,
  step INTEGER NOT NULL,
  PRIMARY KEY (run_pk, model_id)
) WITHOUT ROWID;
CREATE TABLE logged_models (
  model_id TEXT PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  creation_timestamp_ms INTEGER NOT NULL,
  last_updated_timestamp_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  model_type TEXT,
  source_run_id TEXT,
  status_message TEXT,
  creator_id TEXT
);
CREATE INDEX logged_models_experiment ON logged_models (experiment_id, creation_timestamp_ms DESC);
CREATE TABLE logged_model_params (
  model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;
CREATE TABLE logged_model_tags (
  model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;
CREATE TABLE logged_model_metrics (
  model_id TEXT NOT NULL REFERENCES logged_models(model_id) ON DELETE CASCADE,
  metric_name TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL NOT NULL,
  is_nan INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  dataset_name TEXT,
  dataset_digest TEXT,
  PRIMARY KEY (model_id, metric_name, timestamp, step, run_id)
) WITHOUT ROWID;
`,
  postgres: postgres0001,
  mysql: mysql0001,
};
