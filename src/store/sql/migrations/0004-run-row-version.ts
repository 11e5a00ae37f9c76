import type { Migration } from './types.js';

/**
 * runs.row_version: a counter every write to a run raises (its row, params, tags, metrics, inputs, outputs), in
 * the write's own transaction. A server keeps snapshots of complete runs keyed by (run, row_version) and reuses
 * one only while the version it reads with the run's row is the same, so snapshots stay correct when several
 * servers write one PostgreSQL/MySQL database. Frozen: never edit after release; add a new migration instead.
 */
export const m0004: Migration = {
  version: 4,
  name: 'run-row-version',
  sqlite: 'ALTER TABLE runs ADD COLUMN row_version INTEGER NOT NULL DEFAULT 0',
  postgres: 'ALTER TABLE runs ADD COLUMN row_version BIGINT NOT NULL DEFAULT 0',
  mysql: 'ALTER TABLE runs ADD COLUMN row_version BIGINT NOT NULL DEFAULT 0',
};
