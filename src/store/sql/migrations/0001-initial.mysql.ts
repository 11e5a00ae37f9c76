/**
 * Migration 0001 (initial) for MySQL/MariaDB: the same tables as the SQLite DDL in 0001-initial.ts, with VARCHAR
 * lengths and prefix indexes that fit InnoDB's index limit, and utf8mb4_bin (case-sensitive, as on SQLite).
 */
export const mysql0001 = `
CREATE TABLE experiments (
  experiment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  workspace VARCHAR(250) NOT NULL DEFAULT 'default',
  name VARCHAR(500) NOT NULL,
  artifact_location TEXT NOT NULL,
  lifecycle_stage VARCHAR(32) NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL,
  UNIQUE KEY experiments_workspace_name (workspace, name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL,
  "key" VARCHAR(250) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  PRIMARY KEY (experiment_id, "key"),
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE runs (
  run_pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_uuid VARCHAR(64) NOT NULL,
  experiment_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status VARCHAR(64) NOT NULL,
  start_time BIGINT,
  end_time BIGINT,
  deleted_time BIGINT,
  lifecycle_stage VARCHAR(32) NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  artifact_uri TEXT NOT NULL,
  UNIQUE KEY runs_run_uuid (run_uuid),
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX runs_experiment_start ON runs (experiment_id, lifecycle_stage, start_time DESC, run_uuid);
CREATE TABLE run_tags (
  run_pk BIGINT NOT NULL,
  "key" VARCHAR(250) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  PRIMARY KEY (run_pk, "key"),
  FOREIGN KEY (run_pk) REFERENCES runs(run_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX run_tags_key_value ON run_tags ("key", value(191));
CREATE TABLE params (
  run_pk BIGINT NOT NULL,
  "key" VARCHAR(250) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  PRIMARY KEY (run_pk, "key"),
  FOREIGN KEY (run_pk) REFERENCES runs(run_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX params_key_value ON params ("key", value(191));
CREATE TABLE metric_keys (
  key_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  "key" VARCHAR(250) NOT NULL,
  UNIQUE KEY metric_keys_key ("key")
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE metrics (
  run_pk BIGINT NOT NULL,
  key_id BIGINT NOT NULL,
  step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL,
  value DOUBLE NOT NULL,
  is_nan BIGINT NOT NULL,
  PRIMARY KEY (run_pk, key_id, step, timestamp, value, is_nan)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE latest_metrics (
  run_pk BIGINT NOT NULL,
  key_id BIGINT NOT NULL,
  step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL,
  value DOUBLE NOT NULL,
  is_nan BIGINT NOT NULL,
  PRIMARY KEY (run_pk, key_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX latest_metrics_key_value ON latest_metrics (key_id, value, run_pk);
CREATE TABLE datasets (
  dataset_pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  dataset_uuid VARCHAR(64) NOT NULL,
  experiment_id BIGINT NOT NULL,
  name VARCHAR(500) NOT NULL,
  digest VARCHAR(64) NOT NULL,
  source_type TEXT NOT NULL,
  source MEDIUMTEXT NOT NULL,
  "schema" LONGTEXT,
  profile LONGTEXT,
  UNIQUE KEY datasets_experiment_name_digest (experiment_id, name, digest),
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE run_inputs (
  run_pk BIGINT NOT NULL,
  dataset_pk BIGINT NOT NULL,
  PRIMARY KEY (run_pk, dataset_pk),
  FOREIGN KEY (run_pk) REFERENCES runs(run_pk) ON DELETE CASCADE,
  FOREIGN KEY (dataset_pk) REFERENCES datasets(dataset_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE input_tags (
  run_pk BIGINT NOT NULL,
  dataset_pk BIGINT NOT NULL,
  name VARCHAR(255) NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_pk, dataset_pk, name),
  FOREIGN KEY (run_pk, dataset_pk) REFERENCES run_inputs(run_pk, dataset_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE run_model_inputs (
  run_pk BIGINT NOT NULL,
  model_id VARCHAR(250) NOT NULL,
  PRIMARY KEY (run_pk, model_id),
  FOREIGN KEY (run_pk) REFERENCES runs(run_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE run_outputs (
  run_pk BIGINT NOT NULL,
  model_id VARCHAR(250) NOT NULL,
  step BIGINT NOT NULL,
  PRIMARY KEY (run_pk, model_id),
  FOREIGN KEY (run_pk) REFERENCES runs(run_pk) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE logged_models (
  model_id VARCHAR(250) NOT NULL PRIMARY KEY,
  experiment_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  artifact_location TEXT NOT NULL,
  creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL,
  status VARCHAR(64) NOT NULL,
  lifecycle_stage VARCHAR(32) NOT NULL CHECK (lifecycle_stage IN ('active','deleted')),
  model_type TEXT,
  source_run_id TEXT,
  status_message MEDIUMTEXT,
  creator_id TEXT,
  FOREIGN KEY (experiment_id) REFERENCES experiments(experiment_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX logged_models_experiment ON logged_models (experiment_id, creation_timestamp_ms DESC);
CREATE TABLE logged_model_params (
  model_id VARCHAR(250) NOT NULL,
  "key" VARCHAR(250) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  PRIMARY KEY (model_id, "key"),
  FOREIGN KEY (model_id) REFERENCES logged_models(model_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE logged_model_tags (
  model_id VARCHAR(250) NOT NULL,
  "key" VARCHAR(250) NOT NULL,
  value MEDIUMTEXT NOT NULL,
  PRIMARY KEY (model_id, "key"),
  FOREIGN KEY (model_id) REFERENCES logged_models(model_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TABLE logged_model_metrics (
  model_id VARCHAR(250) NOT NULL,
  metric_name VARCHAR(250) NOT NULL,
  timestamp BIGINT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE NOT NULL,
  is_nan BIGINT NOT NULL,
  run_id VARCHAR(64) NOT NULL,
  dataset_name TEXT,
  dataset_digest TEXT,
  PRIMARY KEY (model_id, metric_name, timestamp, step, run_id),
  FOREIGN KEY (model_id) REFERENCES logged_models(model_id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
`;
