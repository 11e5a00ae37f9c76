import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metric } from '../../src/domain/entities/metric.js';
import {
  type PointRow,
  type Series,
  sampleByNumbering,
  sampleBySkipping,
} from '../../src/store/sql/shared/metric-sampling.js';
import type { SqlStore } from '../../src/store/sql/shared/sql-store.js';
import type { SqlDb } from '../../src/store/sql/sql-db.js';
import { openSqliteTestStore } from '../helpers/sqlite.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

/**
 * The SQLite sampler (skipping along the primary key) against MLflow's rule written as window functions, on a
 * database file: NTILE(maxResults) buckets over the rows in (step, timestamp, value, is_nan) order, the first row of
 * each, the last row replacing the last pick when the page is full. The dialect-neutral numbering query (what
 * PostgreSQL and MySQL run) is held to the same reference.
 */

/** mulberry32: the same series on every run of the test. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const M = 10; // the max_results most series are shaped around

/** Series by name; each is logged to a run of its own under key 'm'. */
function seriesPoints(): Record<string, Metric[]> {
  const rnd = random(20240607);
  const pt = (value: number, timestamp: number, step: number): Metric => ({
    key: 'm',
    value,
    timestamp,
    step,
  });
  const unique = (n: number) => Array.from({ length: n }, (_, i) => pt(rnd(), 1000 + i, i));
  const out: Record<string, Metric[]> = {
    empty: [],
    one: unique(1),
    fewer: unique(M - 3),
    exact: unique(M),
    exactPlusOne: unique(M + 1),
    multiple: unique(7 * M),
    random: unique(M * 31 + Math.floor(rnd() * M)),
    long: unique(5000 + Math.floor(rnd() * 1000)),
    // one step, told apart by timestamp (points logged without a step)
    stepZero: Array.from({ length: 537 }, (_, i) => pt(rnd(), 1000 + i, 0)),
    // 1-6 points a step, with repeated timestamps, values and NaN
    duplicates: [],
    // long runs of unique steps between blocks of many points at one step
    blocks: [],
  };
  for (let step = 0; step < 400; step++) {
    const k = 1 + Math.floor(rnd() * 6);
    for (let j = 0; j < k; j++) {
      const r = rnd();
      const value = r < 0.1 ? Number.NaN : r < 0.2 ? 0 : r < 0.3 ? 1.5 : Math.round(rnd() * 1e6) / 1e3 - 500;
      out.duplicates!.push(pt(value, 5000 + Math.floor(rnd() * 3), step * 3 - 200));
    }
  }
  // the same step and time with value 0 and NaN (stored as value 0, is_nan 1): two rows, 0 first
  out.duplicates!.push(pt(0, 1, 7), pt(Number.NaN, 1, 7), pt(-1, 1, 7));
  for (let step = 0; step < 1200; step++) {
    const k = step % 300 === 150 ? 40 + (step % 7) : 1;
    for (let j = 0; j < k; j++) out.blocks!.push(pt(rnd(), 2000 + j, step));
  }
  return out;
}

interface Ranged {
  startStep?: number;
  endStep?: number;
}

const ORDER = 'ORDER BY step, timestamp, value, is_nan';

/** MLflow's rule, spelled out with NTILE and ROW_NUMBER. */
async function reference(db: SqlDb, s: Series, maxResults: number): Promise<PointRow[]> {
  const range = s.startStep !== undefined && s.endStep !== undefined;
  const rows = await db.all<PointRow & { rn: number; n: number }>(
    `SELECT value, timestamp, step, is_nan, rn, n FROM (
       SELECT value, timestamp, step, is_nan, ROW_NUMBER() OVER (${ORDER}) AS rn, COUNT(*) OVER () AS n,
         ROW_NUMBER() OVER (PARTITION BY bucket ${ORDER}) AS in_bucket
       FROM (SELECT *, NTILE(?) OVER (${ORDER}) AS bucket FROM metrics
             WHERE run_pk = ? AND key_id = ?${range ? ' AND step BETWEEN ? AND ?' : ''}) bucketed
     ) numbered WHERE in_bucket = 1 OR rn = n ORDER BY rn`,
    [maxResults, s.runPk, s.keyId, ...(range ? [s.startStep!, s.endStep!] : [])],
  );
  if (rows.length > maxResults) rows.splice(rows.length - 2, 1);
  return rows.map(({ value, timestamp, step, is_nan }) => ({ value, timestamp, step, is_nan }));
}

const asMetric = (r: PointRow, runId: string): Metric => ({
  key: 'm',
  value: r.is_nan ? Number.NaN : r.value,
  timestamp: r.timestamp,
  step: r.step,
  run_id: runId,
});

describe('SQLite bulk-interval sampling by skipping', () => {
  let dir: string;
  let store: SqlStore;
  const runs = new Map<string, { id: string; pk: number }>();
  let keyId: number;

  beforeAll(async () => {
    dir = await makeTempDir('mltrack-sampling-');
    store = (await openSqliteTestStore(dir)) as SqlStore;
    for (const [name, points] of Object.entries(seriesPoints())) {
      const run = await store.createRun({
        experimentId: '0',
        userId: 't',
        startTime: 1,
        tags: [],
        runName: name,
      });
      const id = run.info.run_id;
      for (let i = 0; i < points.length; i += 1000) {
        await store.logBatch(id, { metrics: points.slice(i, i + 1000), params: [], tags: [] });
      }
      const row = await store.db.get<{ run_pk: number }>('SELECT run_pk FROM runs WHERE run_uuid = ?', [id]);
      runs.set(name, { id, pk: row!.run_pk });
    }
    const key = await store.db.get<{ key_id: number }>('SELECT key_id FROM metric_keys WHERE key = ?', ['m']);
    keyId = key!.key_id;
  });

  /** The rows of a series (MLflow's rule needs both bounds for a range). */
  async function count(s: Series): Promise<number> {
    const range = s.startStep !== undefined && s.endStep !== undefined;
    const row = await store.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM metrics WHERE run_pk = ? AND key_id = ?${range ? ' AND step BETWEEN ? AND ?' : ''}`,
      [s.runPk, s.keyId, ...(range ? [s.startStep!, s.endStep!] : [])],
    );
    return row!.n;
  }

  afterAll(async () => {
    await store?.close();
    await removeDir(dir);
  });

  const ranges: Ranged[] = [
    {},
    { startStep: 3, endStep: 40 },
    { startStep: -150, endStep: 299 },
    { startStep: 150, endStep: 150 }, // one step (a block of rows in 'blocks')
    { startStep: 100_000, endStep: 200_000 }, // no rows
    { startStep: 5 }, // one bound alone is no range
  ];
  const maxResultsList = [1, 2, 3, M - 1, M, M + 1, 64, 320];

  it('picks exactly the reference rows, for every series, max_results and step range', async () => {
    let compared = 0;
    for (const [name, run] of runs) {
      for (const range of ranges) {
        for (const maxResults of maxResultsList) {
          const series: Series = { runPk: run.pk, keyId, ...range };
          const want = await reference(store.db, series, maxResults);
          const label = `${name} ${JSON.stringify(range)} max_results ${maxResults}`;
          const got = await store.getMetricHistoryBulkInterval({
            runIds: [run.id],
            key: 'm',
            maxResults,
            ...range,
          });
          expect(got, label).toEqual(want.map((r) => asMetric(r, run.id)));
          const n = await count(series);
          if (n > maxResults) {
            expect(await sampleBySkipping(store.db, series, n, maxResults), label).toEqual(want);
            expect(await sampleByNumbering(store.db, series, n, maxResults), label).toEqual(want);
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('samples several runs in one request, in the order asked', async () => {
    const names = ['long', 'empty', 'duplicates', 'exactPlusOne', 'stepZero', 'blocks', 'one'];
    for (const maxResults of [2, M, 320]) {
      for (const range of [{}, { startStep: 0, endStep: 500 }]) {
        const want: Metric[] = [];
        for (const name of names) {
          const run = runs.get(name)!;
          const rows = await reference(store.db, { runPk: run.pk, keyId, ...range }, maxResults);
          want.push(...rows.map((r) => asMetric(r, run.id)));
        }
        const runIds = names.map((name) => runs.get(name)!.id);
        const got = await store.getMetricHistoryBulkInterval({ runIds, key: 'm', maxResults, ...range });
        expect(got, `max_results ${maxResults} ${JSON.stringify(range)}`).toEqual(want);
      }
    }
  });

  it('gives real rows in order, ending with the last, when points are logged while it samples', async () => {
    const run = await store.createRun({ experimentId: '0', userId: 't', startTime: 1, tags: [] });
    const id = run.info.run_id;
    const point = (i: number, timestamp: number, step: number) => ({ key: 'm', value: i, timestamp, step });
    for (let i = 0; i < 5000; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => point(i + j, 1000, i + j));
      await store.logBatch(id, { metrics: batch, params: [], tags: [] });
    }
    const pk = (await store.db.get<{ run_pk: number }>('SELECT run_pk FROM runs WHERE run_uuid = ?', [id]))!
      .run_pk;
    const series: Series = { runPk: pk, keyId };
    const n = await count(series);
    // after the 50th statement a batch lands: points before the picks so far and after them, in steps that had
    // one point (now two) and past the end
    const db = store.db;
    let statements = 0;
    const all: SqlDb['all'] = async (sql, params) => {
      statements++;
      if (statements === 50) {
        const added = Array.from({ length: 3000 }, (_, i) => point(i, 1, i % 2 === 0 ? i : 100_000 + i));
        await store.logBatch(id, { metrics: added, params: [], tags: [] });
      }
      return db.all(sql, params);
    };
    const racing = new Proxy(db, {
      get: (target, prop) => {
        if (prop === 'all') return all;
        const v: unknown = Reflect.get(target, prop);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const got = await sampleBySkipping(racing, series, n, 320);
    expect(statements).toBeGreaterThan(50);
    expect(got.length).toBeLessThanOrEqual(320);
    const rows = await db.all<PointRow>(
      `SELECT value, timestamp, step, is_nan FROM metrics WHERE run_pk = ? AND key_id = ? ${ORDER}`,
      [pk, keyId],
    );
    expect(rows.length).toBe(n + 3000);
    const position = new Map(rows.map((r, i) => [JSON.stringify(r), i]));
    const positions = got.map((r) => position.get(JSON.stringify(r)) ?? -1);
    expect(positions.every((p) => p >= 0)).toBe(true);
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeGreaterThan(positions[i - 1]!);
    expect(positions.at(-1)).toBe(rows.length - 1);
  });
});
