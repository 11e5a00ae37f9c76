import type { Dialect } from './sql-db.js';

/**
 * The primary key of every table written with an upsert or an insert-if-absent: the conflict target on SQLite and
 * PostgreSQL, and what decides which columns an upsert updates on all three.
 */
const KEYS: Readonly<Record<string, readonly string[]>> = {
  experiments: ['experiment_id'],
  experiment_tags: ['experiment_id', 'key'],
  run_tags: ['run_pk', 'key'],
  params: ['run_pk', 'key'],
  metric_keys: ['key'],
  metrics: ['run_pk', 'key_id', 'step', 'timestamp', 'value', 'is_nan'],
  latest_metrics: ['run_pk', 'key_id'],
  datasets: ['experiment_id', 'name', 'digest'],
  run_inputs: ['run_pk', 'dataset_pk'],
  input_tags: ['run_pk', 'dataset_pk', 'name'],
  run_model_inputs: ['run_pk', 'model_id'],
  run_outputs: ['run_pk', 'model_id'],
  logged_model_params: ['model_id', 'key'],
  logged_model_tags: ['model_id', 'key'],
  logged_model_metrics: ['model_id', 'metric_name', 'timestamp', 'step', 'run_id'],
  registered_model_tags: ['model_pk', 'key'],
  model_version_tags: ['model_pk', 'version', 'key'],
  registered_model_aliases: ['model_pk', 'alias'],
  webhook_events: ['webhook_id', 'entity', 'action'],
  mltrack_settings: ['key'],
};

/** Column names that are reserved words somewhere (MySQL: KEY, SCHEMA) are always written quoted. */
export const q = (id: string): string => `"${id}"`;

const cols = (c: readonly string[]) => c.map(q).join(', ');

function keyOf(table: string, extra: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const k = extra[table] ?? KEYS[table];
  if (k === undefined) throw new Error(`no key known for table ${table}`);
  return k;
}

/**
 * Statement text that differs by dialect. `source` replaces the default `VALUES (?, …)` (e.g. a `SELECT … WHERE
 * EXISTS` guard). MySQL sessions run with ANSI_QUOTES, so double-quoted identifiers work on all three.
 */
export class Statements {
  private readonly cache = new Map<string, string>();
  /** `keys` adds or overrides primary keys (tests use tables of their own). */
  constructor(
    readonly dialect: Dialect,
    private readonly keys: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  private memo(k: string, make: () => string): string {
    let s = this.cache.get(k);
    if (s === undefined) {
      s = make();
      this.cache.set(k, s);
    }
    return s;
  }

  private head(table: string, columns: readonly string[], source?: string): string {
    return `INSERT INTO ${table} (${cols(columns)}) ${source ?? `VALUES (${columns.map(() => '?').join(', ')})`}`;
  }

  /** Inserts the row, or replaces the non-key columns of the row with the same key. */
  upsert(table: string, columns: readonly string[], source?: string): string {
    return this.memo(`u|${table}|${columns.join(',')}|${source ?? ''}`, () => {
      const key = keyOf(table, this.keys);
      const rest = columns.filter((c) => !key.includes(c));
      if (rest.length === 0) return this.insertIgnore(table, columns, source);
      if (this.dialect === 'mysql') {
        return `${this.head(table, columns, source)} ON DUPLICATE KEY UPDATE ${rest.map((c) => `${q(c)} = VALUES(${q(c)})`).join(', ')}`;
      }
      // SQLite needs a WHERE on INSERT … SELECT to parse ON CONFLICT unambiguously.
      const src =
        source !== undefined && this.dialect === 'sqlite' && !/\bWHERE\b/i.test(source)
          ? `${source} WHERE true`
          : source;
      return `${this.head(table, columns, src)} ON CONFLICT (${cols(key)}) DO UPDATE SET ${rest.map((c) => `${q(c)} = excluded.${q(c)}`).join(', ')}`;
    });
  }

  /** Inserts the row unless one with the same key exists (never hides other errors, unlike MySQL's INSERT IGNORE). */
  insertIgnore(table: string, columns: readonly string[], source?: string): string {
    return this.memo(`i|${table}|${columns.join(',')}|${source ?? ''}`, () => {
      const key = keyOf(table, this.keys);
      if (this.dialect === 'mysql') {
        const k = q(key[0] as string);
        return `${this.head(table, columns, source)} ON DUPLICATE KEY UPDATE ${k} = ${k}`;
      }
      return `${this.head(table, columns, source)} ON CONFLICT (${cols(key)}) DO NOTHING`;
    });
  }

  /**
   * MLflow's latest-metric rule as one statement for `rows` points of distinct keys: insert each key's latest
   * point, or replace the stored one only when the new point is greater in (step, timestamp, value). Parameters
   * per row: run_pk, key_id, step, timestamp, value, is_nan. The (run_pk, key_id) pairs must be distinct
   * (PostgreSQL refuses to update one row twice in a statement).
   */
  latestMetricUpsert(rows = 1): string {
    return this.memo(`latest|${rows}`, () => {
      const tuples = Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ');
      const head = `INSERT INTO latest_metrics (run_pk, key_id, step, "timestamp", value, is_nan) VALUES ${tuples}`;
      if (this.dialect === 'mysql') {
        // No WHERE on ON DUPLICATE KEY UPDATE, and assignments see the columns already updated: decide once per
        // row (in the first assignment, before step/timestamp/value change), then apply it to every column.
        const newer = '(VALUES(step), VALUES("timestamp"), VALUES(value)) > (step, "timestamp", value)';
        return `${head} ON DUPLICATE KEY UPDATE is_nan = IF(@mltrack_newer := ${newer}, VALUES(is_nan), is_nan),
          value = IF(@mltrack_newer, VALUES(value), value), "timestamp" = IF(@mltrack_newer, VALUES("timestamp"), "timestamp"),
          step = IF(@mltrack_newer, VALUES(step), step)`;
      }
      return `${head} ON CONFLICT (run_pk, key_id) DO UPDATE SET step = excluded.step, "timestamp" = excluded."timestamp",
        value = excluded.value, is_nan = excluded.is_nan
        WHERE (excluded.step, excluded."timestamp", excluded.value) > (latest_metrics.step, latest_metrics."timestamp", latest_metrics.value)`;
    });
  }

  /**
   * Row lock suffix for a SELECT inside a transaction: PostgreSQL and MySQL lock the row until commit (so
   * concurrent writers on the same parent queue up); SQLite already serializes writers, and has no FOR UPDATE.
   */
  forUpdate(): string {
    return this.dialect === 'sqlite' ? '' : ' FOR UPDATE';
  }

  /** The bound value of `LIMIT ?` that means "no limit": SQLite -1, PostgreSQL NULL (ALL), MySQL a huge count. */
  noLimit(): number | null {
    return this.dialect === 'sqlite' ? -1 : this.dialect === 'postgres' ? null : Number.MAX_SAFE_INTEGER;
  }
}

const BY_DIALECT = new Map<Dialect, Statements>();

/** The (cached) statement builder for a connection's dialect. */
export function st(db: { readonly dialect: Dialect }): Statements {
  let s = BY_DIALECT.get(db.dialect);
  if (s === undefined) {
    s = new Statements(db.dialect);
    BY_DIALECT.set(db.dialect, s);
  }
  return s;
}
