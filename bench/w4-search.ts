import { type BenchDatabase, rawReader } from './lib/backends.js';
import { type HttpClient, runPool } from './lib/http-client.js';
import { summarize } from './lib/stats.js';

const SEARCH = '/api/2.0/mlflow/runs/search';

export interface QuerySpec {
  id: string;
  label: string;
  body: Record<string, unknown>;
}

export const FILTER_B = "metrics.val_loss < 0.5 AND params.optimizer = 'adam'";

export function w4Queries(experimentId: string): QuerySpec[] {
  const e = [experimentId];
  return [
    { id: 'W4a', label: 'no filter, max 1000', body: { experiment_ids: e, max_results: 1000 } },
    {
      id: 'W4b',
      label: "val_loss<0.5 AND optimizer='adam' ORDER BY val_loss, max 1000",
      body: { experiment_ids: e, filter: FILTER_B, order_by: ['metrics.val_loss ASC'], max_results: 1000 },
    },
    {
      id: 'W4d',
      label: "tags.mlflow.runName LIKE 'sweep-1%', max 100",
      body: { experiment_ids: e, filter: "tags.mlflow.runName LIKE 'sweep-1%'", max_results: 100 },
    },
    {
      id: 'W4e',
      label: 'ORDER BY attributes.start_time DESC, max 100',
      body: { experiment_ids: e, order_by: ['attributes.start_time DESC'], max_results: 100 },
    },
  ];
}

interface SearchPage {
  runs?: { info: { run_id: string } }[];
  next_page_token?: string;
}

export interface QueryTiming {
  lat: number[];
  wallMs: number;
  bytes: number;
  runsReturned: number;
  errors: number;
  runIds: string[];
}

/** One query: `warmups` untimed, then `iters` sequential (c=1) or spread over `concurrency` workers. */
export async function timeQuery(
  client: HttpClient,
  body: Record<string, unknown>,
  warmups: number,
  iters: number,
  concurrency = 1,
): Promise<QueryTiming> {
  const payload = Buffer.from(JSON.stringify(body));
  const first = await client.request('POST', SEARCH, payload, true);
  if (first.status !== 200)
    throw new Error(`search → ${first.status}: ${first.body?.toString().slice(0, 300)}`);
  const page = JSON.parse(first.body!.toString('utf8')) as SearchPage;
  const runIds = (page.runs ?? []).map((r) => r.info.run_id);
  await runPool(Math.max(0, warmups - 1), concurrency, async () => {
    await client.request('POST', SEARCH, payload);
  });
  const lat: number[] = [];
  let errors = 0;
  const wallMs = await runPool(iters, concurrency, async () => {
    const r = await client.request('POST', SEARCH, payload);
    lat.push(r.ms);
    if (r.status !== 200) errors++;
  });
  return { lat, wallMs, bytes: first.bytes, runsReturned: runIds.length, errors, runIds };
}

export interface PagingTiming {
  passMs: number[];
  pageLat: number[];
  pages: number;
  runs: number;
  bytes: number;
  errors: number;
}

/** W4c: page through the whole experiment with page_token, `pageSize` per page; `passes` timed passes. */
export async function timePaging(
  client: HttpClient,
  experimentId: string,
  pageSize: number,
  warmupPasses: number,
  passes: number,
): Promise<PagingTiming> {
  const out: PagingTiming = { passMs: [], pageLat: [], pages: 0, runs: 0, bytes: 0, errors: 0 };
  for (let p = 0; p < warmupPasses + passes; p++) {
    const timed = p >= warmupPasses;
    let token: string | undefined;
    let pages = 0;
    let runs = 0;
    let bytes = 0;
    const t0 = performance.now();
    do {
      const body: Record<string, unknown> = { experiment_ids: [experimentId], max_results: pageSize };
      if (token !== undefined) body.page_token = token;
      const r = await client.request('POST', SEARCH, JSON.stringify(body), true);
      if (r.status !== 200) {
        out.errors++;
        break;
      }
      const page = JSON.parse(r.body!.toString('utf8')) as SearchPage;
      if (timed) out.pageLat.push(r.ms);
      token = page.next_page_token;
      pages++;
      runs += page.runs?.length ?? 0;
      bytes += r.bytes;
    } while (token !== undefined && token !== '');
    if (timed) out.passMs.push(performance.now() - t0);
    out.pages = pages;
    out.runs = runs;
    out.bytes = bytes;
  }
  return out;
}

export interface FloorTiming {
  selectLat: number[];
  selectAndRowsLat: number[];
  runIds: string[];
}

/**
 * The W4b floor on the same database, from this process: (1) the run selection of query (b) as one hand-written
 * SQL query (ids in the right order), and (2) the same plus fetching those runs' params, tags and latest metrics
 * rows (what a response must carry), without any JSON.
 */
export async function floorW4b(
  db: BenchDatabase,
  experimentId: string,
  warmups: number,
  iters: number,
): Promise<FloorTiming> {
  const r = await rawReader(db);
  try {
    const select = `
      SELECT r.* FROM runs r
      JOIN latest_metrics lm ON lm.run_pk = r.run_pk
        AND lm.key_id = (SELECT key_id FROM metric_keys WHERE "key" = 'val_loss')
      JOIN params p ON p.run_pk = r.run_pk AND p."key" = 'optimizer'
      WHERE r.experiment_id = ? AND r.lifecycle_stage = 'active' AND lm.value < 0.5 AND p.value = 'adam'
      ORDER BY lm.is_nan ASC, lm.value ASC, r.start_time DESC, r.run_uuid ASC
      LIMIT 1001`;
    // SQLite: one JSON array parameter; PostgreSQL and MySQL: an IN list of the page's keys
    const inList = (n: number) =>
      db.backend === 'sqlite'
        ? 'IN (SELECT value FROM json_each(?))'
        : `IN (${Array(n).fill('?').join(', ')})`;
    const pkArgs = (pks: number[]) => (db.backend === 'sqlite' ? [JSON.stringify(pks)] : pks);
    const exp = Number(experimentId);
    const once = async (withRows: boolean): Promise<{ run_uuid: string }[]> => {
      const rows = ((await r.all(select, [exp])) as { run_pk: number; run_uuid: string }[]).slice(0, 1000);
      if (withRows && rows.length > 0) {
        const pks = rows.map((x) => Number(x.run_pk));
        const w = inList(pks.length);
        await r.all(`SELECT run_pk, "key", value FROM params WHERE run_pk ${w}`, pkArgs(pks));
        await r.all(`SELECT run_pk, "key", value FROM run_tags WHERE run_pk ${w}`, pkArgs(pks));
        await r.all(
          `SELECT l.run_pk, k."key", l.value, l."timestamp", l.step, l.is_nan FROM latest_metrics l
           JOIN metric_keys k ON k.key_id = l.key_id WHERE l.run_pk ${w}`,
          pkArgs(pks),
        );
      }
      return rows;
    };
    const timeIt = async (withRows: boolean): Promise<number[]> => {
      for (let i = 0; i < warmups; i++) await once(withRows);
      const lat: number[] = [];
      for (let i = 0; i < iters; i++) {
        const t0 = performance.now();
        await once(withRows);
        lat.push(performance.now() - t0);
      }
      return lat;
    };
    const runIds = (await once(false)).map((x) => x.run_uuid);
    return { selectLat: await timeIt(false), selectAndRowsLat: await timeIt(true), runIds };
  } finally {
    await r.close();
  }
}

export const latencyOf = (lat: number[]) => {
  const s = summarize(lat);
  return { p50: s.p50, p95: s.p95, p99: s.p99, mean: s.mean, n: s.n };
};
