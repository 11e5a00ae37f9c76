/**
 * The W4 data set written straight into a peer server's own schema (benchmarks reference: "a seeded generator
 * that writes straight to the DB (not over HTTP) for the read workloads"): MLflow's SQLAlchemy schema (MLflow
 * 3.17.2 on SQLite and PostgreSQL, mlflow-go-backend 0.2.2 on PostgreSQL, whose tables are MLflow 3.1.4's) and
 * FastTrackML 0.6.0's GORM schema (SQLite and PostgreSQL). The rows are what each server writes itself for
 * createRun + logBatch + updateRun(FINISHED), checked against rows it wrote over HTTP on a fresh database.
 */
import { randomUUID } from 'node:crypto';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type pg from 'pg';
import { type BenchDatabase, pgClient } from './lib/backends.js';
import type { PeerName } from './lib/peers.js';
import { rng } from './lib/stats.js';
import { runData, W4_SEED, type W4RunData, w4RunName } from './w4-seed.js';

export type PeerSchema = 'mlflow' | 'fasttrackml';

/** Whose schema each peer keeps its runs in. */
export const PEER_SCHEMA: Record<PeerName, PeerSchema> = {
  mlflow: 'mlflow',
  'mlflow-go': 'mlflow',
  fasttrackml: 'fasttrackml',
};

/** Runs generated and written per batch (PostgreSQL: one INSERT per table and batch). */
const CHUNK = 1000;

export type Cell = string | number | boolean | null;
/** A table's columns with their PostgreSQL types (the unnest casts; SQLite takes the values as they are). */
export type Columns = readonly (readonly [name: string, pgType: string])[];

const T = 'text';
const TABLES: Record<PeerSchema, Record<string, Columns>> = {
  mlflow: {
    runs: [
      ['run_uuid', T],
      ['name', T],
      ['source_type', T],
      ['source_name', T],
      ['entry_point_name', T],
      ['user_id', T],
      ['status', T],
      ['start_time', 'int8'],
      ['end_time', 'int8'],
      ['source_version', T],
      ['lifecycle_stage', T],
      ['artifact_uri', T],
      ['experiment_id', 'int4'],
    ],
    params: [
      ['key', T],
      ['value', T],
      ['run_uuid', T],
    ],
    tags: [
      ['key', T],
      ['value', T],
      ['run_uuid', T],
    ],
    metrics: [
      ['key', T],
      ['value', 'float8'],
      ['timestamp', 'int8'],
      ['run_uuid', T],
      ['step', 'int8'],
      ['is_nan', 'bool'],
    ],
    latest_metrics: [
      ['key', T],
      ['value', 'float8'],
      ['timestamp', 'int8'],
      ['step', 'int8'],
      ['is_nan', 'bool'],
      ['run_uuid', T],
    ],
  },
  fasttrackml: {
    runs: [
      ['run_uuid', T],
      ['name', T],
      ['source_type', T],
      ['source_name', T],
      ['user_id', T],
      ['status', T],
      ['start_time', 'int8'],
      ['end_time', 'int8'],
      ['lifecycle_stage', T],
      ['artifact_uri', T],
      ['experiment_id', 'int4'],
      ['row_num', 'int8'],
    ],
    params: [
      ['key', T],
      ['value_str', T],
      ['run_uuid', T],
    ],
    tags: [
      ['key', T],
      ['value', T],
      ['run_uuid', T],
    ],
    metrics: [
      ['key', T],
      ['value', 'float8'],
      ['timestamp', 'int8'],
      ['run_uuid', T],
      ['step', 'int8'],
      ['is_nan', 'bool'],
      ['iter', 'int8'],
      ['context_id', 'int8'],
    ],
    latest_metrics: [
      ['key', T],
      ['value', 'float8'],
      ['timestamp', 'int8'],
      ['step', 'int8'],
      ['is_nan', 'bool'],
      ['run_uuid', T],
      ['last_iter', 'int8'],
      ['context_id', 'int8'],
    ],
  },
};

/** What every run of the data set shares in one peer database. */
interface SeedContext {
  experimentId: number;
  artifactLocation: string;
  /** FastTrackML: the default metric context's id and the first free row_num. */
  contextId: number;
  rowNumBase: number;
}

type Rows = Record<string, Cell[][]>;

/** Appends run i's rows to `out`, table by table, as the peer's own create/log-batch/update code writes them. */
function addRun(schema: PeerSchema, c: SeedContext, i: number, name: string, d: W4RunData, out: Rows): void {
  const id = randomUUID().replaceAll('-', '');
  // MLflow's create_run appends the run_name as the mlflow.runName tag; FastTrackML's does not (it keeps the name
  // in runs.name only), but stores the tag when the client sends it, as mlflow.start_run(run_name=…) does. Its
  // tags.mlflow.runName filters read the tags table, so the tag is there for both (20 tags, as for mltrack).
  const tags = [...d.tags, { key: 'mlflow.runName', value: name }];
  // both append "<run id>/artifacts" to the experiment's artifact_location (append_to_uri_path, url.JoinPath)
  const artifactUri = `${c.artifactLocation.replace(/\/+$/, '')}/${id}/artifacts`;
  const tag = (k: string) => tags.find((t) => t.key === k)?.value ?? '';
  if (schema === 'mlflow') {
    // SqlAlchemyStore.create_run: source fields are fixed, the tags carry the client's values
    out.runs!.push([
      id,
      name,
      'UNKNOWN',
      '',
      '',
      'bench',
      'FINISHED',
      d.startTime,
      d.endTime,
      '',
      'active',
      artifactUri,
      c.experimentId,
    ]);
    for (const p of d.params) out.params!.push([p.key, p.value, id]);
    for (const m of d.metrics) {
      out.metrics!.push([m.key, m.value, m.timestamp, id, m.step, false]);
      out.latest_metrics!.push([m.key, m.value, m.timestamp, m.step, false, id]);
    }
  } else {
    // ConvertCreateRunRequestToDBModel: source_type/source_name come from the mlflow.source.* tags; the first
    // run gets row_num 0 ("(SELECT COALESCE(MAX(row_num), -1) FROM runs) + 1")
    out.runs!.push([
      id,
      name,
      tag('mlflow.source.type') || 'UNKNOWN',
      tag('mlflow.source.name'),
      'bench',
      'FINISHED',
      d.startTime,
      d.endTime,
      'active',
      artifactUri,
      c.experimentId,
      c.rowNumBase + i,
    ]);
    // a param logged over the MLflow API fills value_str only (value_int/value_float stay NULL)
    for (const p of d.params) out.params!.push([p.key, p.value, id]);
    // one value per key: iteration 1 of the metric in the default context
    for (const m of d.metrics) {
      out.metrics!.push([m.key, m.value, m.timestamp, id, m.step, false, 1, c.contextId]);
      out.latest_metrics!.push([m.key, m.value, m.timestamp, m.step, false, id, 1, c.contextId]);
    }
  }
  for (const t of tags) out.tags!.push([t.key, t.value, id]);
}

/**
 * The database side: one-row lookups, and the data set's rows written chunk by chunk in one transaction. One
 * transaction, not one per chunk: every chunk's random run ids touch most pages of the run_uuid indexes, so a
 * commit per 1000 runs rewrites those pages again and again (SQLite, 20k runs into FastTrackML's schema on this
 * 2-core machine under load: 41 s with a commit per chunk, 22 s with one commit).
 */
export interface Writer {
  one(sql: string, params: Cell[]): Promise<Record<string, unknown> | undefined>;
  begin(): Promise<void>;
  insert(table: string, cols: Columns, rows: Cell[][]): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

function sqliteWriter(file: string): Writer {
  const db = new DatabaseSync(file);
  // the peer may hold the file open: wait for its locks rather than failing. The page cache holds the whole data
  // set (20k runs: ~470 MB) so the transaction does not spill; the rows are consistent by construction, so skip
  // the per-row foreign-key lookups (both settings are this connection's; the file's journal mode is untouched).
  db.exec('PRAGMA busy_timeout = 30000');
  db.exec('PRAGMA cache_size = -1048576');
  db.exec('PRAGMA foreign_keys = OFF');
  const cell = (v: Cell) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
  const stmts = new Map<string, StatementSync>();
  const prepared = (table: string, cols: Columns) => {
    let st = stmts.get(table);
    if (st === undefined) {
      const names = cols.map(([n]) => `"${n}"`).join(', ');
      st = db.prepare(`INSERT INTO "${table}" (${names}) VALUES (${cols.map(() => '?').join(', ')})`);
      stmts.set(table, st);
    }
    return st;
  };
  return {
    async one(sql, params) {
      return db.prepare(sql).get(...params.map(cell)) as Record<string, unknown> | undefined;
    },
    async begin() {
      db.exec('BEGIN IMMEDIATE');
    },
    async insert(table, cols, rows) {
      const st = prepared(table, cols);
      for (const row of rows) st.run(...row.map(cell));
    },
    async commit() {
      db.exec('COMMIT');
    },
    async rollback() {
      db.exec('ROLLBACK');
    },
    async close() {
      db.close();
    },
  };
}

function postgresWriter(c: pg.Client): Writer {
  return {
    async one(sql, params) {
      let n = 0;
      return (
        await c.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows[0];
    },
    async begin() {
      await c.query('BEGIN');
      // a superuser skips the foreign-key triggers (per row; the rows are consistent by construction); anyone
      // else keeps them
      await c.query('SAVEPOINT fk');
      try {
        await c.query('SET LOCAL session_replication_role = replica');
        await c.query('RELEASE SAVEPOINT fk');
      } catch {
        await c.query('ROLLBACK TO SAVEPOINT fk');
      }
    },
    async insert(table, cols, rows) {
      // one statement per table and chunk: the columns as arrays, unnest()ed back into rows
      const arrays = cols.map((_, k) => rows.map((row) => row[k]));
      const names = cols.map(([n]) => `"${n}"`).join(', ');
      const unnest = cols.map(([, type], k) => `$${k + 1}::${type}[]`).join(', ');
      await c.query(`INSERT INTO "${table}" (${names}) SELECT * FROM unnest(${unnest})`, arrays);
    },
    async commit() {
      await c.query('COMMIT');
    },
    async rollback() {
      await c.query('ROLLBACK');
    },
    close: () => c.end(),
  };
}

/** A Writer on a peer's database (SQLite or PostgreSQL, the backends the peers run on). */
export async function peerWriter(db: BenchDatabase): Promise<Writer> {
  if (db.backend === 'sqlite') return sqliteWriter(db.file!);
  if (db.backend === 'postgres') return postgresWriter(await pgClient(db.uri));
  throw new Error(`no peer runs on ${db.backend}`);
}

async function seedContext(schema: PeerSchema, w: Writer, experimentId: string, pg: boolean) {
  const exp = await w.one('SELECT artifact_location FROM experiments WHERE experiment_id = ?', [
    Number(experimentId),
  ]);
  if (exp === undefined)
    throw new Error(`seedW4Peer: no experiment ${experimentId} (create it over HTTP first)`);
  const c: SeedContext = {
    experimentId: Number(experimentId),
    artifactLocation: String(exp.artifact_location),
    contextId: 0,
    rowNumBase: 0,
  };
  if (schema === 'fasttrackml') {
    // FastTrackML's migrations create the default context {} (CreateDefaultMetricContext)
    const ctx = await w.one(`SELECT id FROM contexts WHERE json = ${pg ? "'{}'::jsonb" : "'{}'"}`, []);
    if (ctx === undefined) throw new Error('seedW4Peer: FastTrackML default metric context {} not found');
    c.contextId = Number(ctx.id);
    const rn = await w.one('SELECT COALESCE(MAX(row_num), -1) + 1 AS n FROM runs', []);
    c.rowNumBase = Number(rn?.n ?? 0);
  }
  return c;
}

/** A data set's runs: names and data of run i, from rng(seed) consumed in run order (W4's by default; W7 has its own). */
export interface RunGenerator {
  seed: number;
  name(i: number): string;
  data(i: number, r: () => number): W4RunData;
}

export const W4_GENERATOR: RunGenerator = { seed: W4_SEED, name: w4RunName, data: runData };

/**
 * Writes the W4 data set (the same runs, values and names as seedW4: runData with rng(W4_SEED) consumed in run
 * order) into a peer's own schema on `db`, in one transaction. Each run: 50 params, 20 tags (the 19 of
 * runData + mlflow.runName = sweep-<i>), 30 metrics (one history row each, plus its latest_metrics row), status
 * FINISHED, user 'bench', run ids random 32-hex like the peers' own.
 *
 * Preconditions: the peer has been started on `db` at least once (its own migrations created the schema) and the
 * experiment was created over HTTP (`POST /api/2.0/mlflow/experiments/create {"name": "w4-search"}`); pass its
 * id. The peer may keep running meanwhile (nothing is measured while seeding): none of them caches runs, the
 * runs appear at the commit, and on SQLite this waits for the server's locks (busy_timeout) and then holds the
 * write lock until the commit. On PostgreSQL the five tables are ANALYZEd at the end. `ms` is the whole call.
 */
export async function seedW4Peer(
  schema: PeerSchema,
  db: BenchDatabase,
  experimentId: string,
  runs: number,
  gen: RunGenerator = W4_GENERATOR,
): Promise<{ ms: number }> {
  const t0 = performance.now();
  const w = await peerWriter(db);
  try {
    const c = await seedContext(schema, w, experimentId, db.backend === 'postgres');
    const tables = TABLES[schema];
    const r = rng(gen.seed);
    await w.begin();
    try {
      for (let base = 0; base < runs; base += CHUNK) {
        const rows: Rows = Object.fromEntries(Object.keys(tables).map((t) => [t, []]));
        for (let i = base; i < Math.min(runs, base + CHUNK); i++)
          addRun(schema, c, i, gen.name(i), gen.data(i, r), rows);
        for (const [table, cols] of Object.entries(tables)) await w.insert(table, cols, rows[table]!);
      }
      await w.commit();
    } catch (e) {
      await w.rollback();
      throw e;
    }
    // fresh statistics for the planner, as autovacuum would gather them a little later
    if (db.backend === 'postgres') await w.one('ANALYZE runs, params, tags, metrics, latest_metrics', []);
  } finally {
    await w.close();
  }
  return { ms: performance.now() - t0 };
}
