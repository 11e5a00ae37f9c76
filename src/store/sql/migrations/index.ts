import type { Dialect } from '../sql-db.js';
import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-model-registry.js';
import { m0003 } from './0003-webhooks.js';
import { m0004 } from './0004-run-row-version.js';
import { m0005 } from './0005-latest-metrics-nan-index.js';
import type { Migration } from './types.js';

/** Every migration in order. The schema version of this build is the last one's. */
export const migrations: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005];
export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]?.version ?? 0;

/** The table that records applied migrations, per dialect (`CREATE TABLE IF NOT EXISTS`: safe to run every start). */
export const SCHEMA_VERSION_DDL: Readonly<Record<Dialect, string>> = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS mltrack_schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres:
    'CREATE TABLE IF NOT EXISTS mltrack_schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  mysql:
    'CREATE TABLE IF NOT EXISTS mltrack_schema_version (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(250) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
};
