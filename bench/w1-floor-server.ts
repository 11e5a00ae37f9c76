import { openStore } from '../src/store/registry.js';
import {
  type BenchBackend,
  type BenchDatabase,
  freshDatabase,
  mysqlClient,
  pgClient,
} from './lib/backends.js';
import { CpuMeter, type CpuShare } from './lib/cpu.js';
import { forEachPoint, type W1Plan } from './w1-data.js';

export interface ServerFloorResult {
  /** floor:postgres-unnest, floor:postgres-multirow+latest, … */
  name: string;
  /** Concurrent connections (the SQLite floors run serially: SQLite has one writer). */
  clients: number;
  rows: number;
  wallMs: number;
  rowsPerSec: number;
  dbBytes: number;
  cpu: CpuShare;
}

type Row = [number, number, number, number, number, number];

/** The rows of request j of client c, in body order, and the batch's latest point per key (log-batch's rule). */
function batchRows(c: number, j: number): { rows: Row[]; latest: Row[] } {
  const runPk = c + 1;
  const rows: Row[] = [];
  const latest: Row[] = [];
  forEachPoint(c, j, (k, step, ts, value) => {
    const r: Row = [runPk, k + 1, step, ts, value, 0];
    rows.push(r);
    latest[k] = r; // steps and timestamps only grow within a batch
  });
  return { rows, latest: latest.filter((r) => r !== undefined) };
}

const COLS = 'run_pk, key_id, step, "timestamp", value, is_nan';

/** `($1, …, $6), ($7, …)` for PostgreSQL, `(?, …), (…)` for MySQL. */
function valuesList(n: number, dollar: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = Array.from({ length: 6 }, (_, k) => (dollar ? `$${i * 6 + k + 1}` : '?'));
    out.push(`(${p.join(', ')})`);
  }
  return out.join(', ');
}

interface Conn {
  query(sql: string, params?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

async function connect(db: BenchDatabase): Promise<Conn> {
  if (db.backend === 'postgres') {
    const c = await pgClient(db.uri);
    return { query: (sql, p) => c.query(sql, p), close: () => c.end() };
  }
  const c = await mysqlClient(db.uri);
  return { query: (sql, p) => c.query(sql, p), close: () => c.end() };
}

/** One floor variant: what each batch sends, inside BEGIN … COMMIT on the client's own connection. */
interface Variant {
  name: string;
  batch(conn: Conn, rows: Row[], latest: Row[]): Promise<unknown>;
}

function variants(backend: BenchBackend): Variant[] {
  if (backend === 'postgres') {
    const unnest = `INSERT INTO metrics (${COLS}) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[],
      $4::bigint[], $5::float8[], $6::bigint[]) ON CONFLICT DO NOTHING`;
    const cols = (rows: Row[]) => Array.from({ length: 6 }, (_, k) => rows.map((r) => r[k]));
    const latestSql = (n: number) =>
      `INSERT INTO latest_metrics (${COLS}) VALUES ${valuesList(n, true)}
       ON CONFLICT (run_pk, key_id) DO UPDATE SET step = excluded.step, "timestamp" = excluded."timestamp",
         value = excluded.value, is_nan = excluded.is_nan
       WHERE (excluded.step, excluded."timestamp", excluded.value) > (latest_metrics.step, latest_metrics."timestamp", latest_metrics.value)`;
    return [
      { name: 'floor:postgres-unnest', batch: (c, rows) => c.query(unnest, cols(rows)) },
      {
        name: 'floor:postgres-unnest+latest',
        async batch(c, rows, latest) {
          await c.query(unnest, cols(rows));
          await c.query(latestSql(latest.length), latest.flat());
        },
      },
      {
        name: 'floor:postgres-multirow+latest',
        async batch(c, rows, latest) {
          await c.query(
            `INSERT INTO metrics (${COLS}) VALUES ${valuesList(rows.length, true)} ON CONFLICT DO NOTHING`,
            rows.flat(),
          );
          await c.query(latestSql(latest.length), latest.flat());
        },
      },
    ];
  }
  const insert = (n: number) =>
    `INSERT INTO metrics (${COLS}) VALUES ${valuesList(n, false)} ON DUPLICATE KEY UPDATE run_pk = run_pk`;
  const newer = '(VALUES(step), VALUES("timestamp"), VALUES(value)) > (step, "timestamp", value)';
  const latestSql = (n: number) =>
    `INSERT INTO latest_metrics (${COLS}) VALUES ${valuesList(n, false)} ON DUPLICATE KEY UPDATE
       is_nan = IF(@newer := ${newer}, VALUES(is_nan), is_nan), value = IF(@newer, VALUES(value), value),
       "timestamp" = IF(@newer, VALUES("timestamp"), "timestamp"), step = IF(@newer, VALUES(step), step)`;
  return [
    { name: 'floor:mysql-multirow', batch: (c, rows) => c.query(insert(rows.length), rows.flat()) },
    {
      name: 'floor:mysql-multirow+latest',
      async batch(c, rows, latest) {
        await c.query(insert(rows.length), rows.flat());
        await c.query(latestSql(latest.length), latest.flat());
      },
    },
  ];
}

/**
 * The W1 floors of a database server: the same rows as the HTTP run into mltrack's own tables (its migrations,
 * in a fresh database), from the same number of concurrent clients, each on its own connection, one transaction
 * per 1000-point batch. No HTTP, no JSON, no validation: only what the database must do.
 */
export async function serverFloors(
  backend: Exclude<BenchBackend, 'sqlite'>,
  plan: W1Plan,
  workDir: string,
  log: (msg: string) => void,
  quiet: (what: string) => Promise<void>,
): Promise<ServerFloorResult[]> {
  const out: ServerFloorResult[] = [];
  const pre = Array.from({ length: plan.clients }, (_, c) =>
    Array.from({ length: plan.requestsPerClient }, (_, j) => batchRows(c, j)),
  );
  for (const v of variants(backend)) {
    const db = await freshDatabase(backend, workDir);
    try {
      // mltrack's schema, created by the store itself
      const store = await openStore(db.uri, { defaultArtifactRoot: 'mlflow-artifacts:/', cwd: workDir });
      await store.close();
      await quiet(`W1 ${v.name}`);
      const conns = await Promise.all(pre.map(() => connect(db)));
      try {
        const meter = new CpuMeter([]);
        const t0 = performance.now();
        await Promise.all(
          conns.map(async (conn, c) => {
            for (const { rows, latest } of pre[c]!) {
              await conn.query('BEGIN');
              await v.batch(conn, rows, latest);
              await conn.query('COMMIT');
            }
          }),
        );
        const wallMs = performance.now() - t0;
        const cpu = meter.stop();
        const rows = await db.count('metrics');
        out.push({
          name: v.name,
          clients: plan.clients,
          rows,
          wallMs,
          rowsPerSec: rows / (wallMs / 1000),
          dbBytes: await db.bytes(),
          cpu,
        });
        log(`W1 ${v.name}: ${Math.round(rows / (wallMs / 1000))} rows/s`);
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    } finally {
      await db.drop();
    }
  }
  return out;
}
