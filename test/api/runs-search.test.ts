import { beforeAll, describe, expect, it } from 'vitest';
import { createExperiment, createRun, type WireRun } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';

const srv = sharedTestServer();

interface SearchBody {
  runs?: WireRun[];
  next_page_token?: string;
}

const post = (path: string, body: unknown) => srv.api.post(path, body);

describe('runs: search', () => {
  let exp: string;
  let runs: string[];
  beforeAll(async () => {
    exp = await createExperiment(srv.api);
    runs = [];
    for (let i = 0; i < 5; i++) {
      const run = await createRun(srv.api, { experiment_id: exp, start_time: 1000 + i, run_name: `r${i}` });
      runs.push(run.info.run_id);
      ok(
        await post('/runs/log-batch', {
          run_id: run.info.run_id,
          metrics: [{ key: 'acc', value: i === 4 ? 'NaN' : i / 10, timestamp: 1 }],
          params: [{ key: 'i', value: String(i) }],
        }),
      );
    }
    ok(await post('/runs/delete', { run_id: runs[0] }));
  });

  it('POST and GET (repeated experiment_ids) give the same runs in wire form', async () => {
    const other = await createExperiment(srv.api);
    const body = ok<SearchBody>(
      await post('/runs/search', { experiment_ids: [exp, other], filter: "params.i = '4'" }),
    );
    expect(Object.keys(body)).toEqual(['runs']);
    expect(body.runs).toHaveLength(1);
    const [run] = body.runs as [WireRun];
    expect(run.info.run_id).toBe(runs[4]);
    expect(run.info).not.toHaveProperty('end_time');
    expect(run.data.metrics).toEqual([{ key: 'acc', value: 'NaN', timestamp: 1, step: 0 }]);
    const byGet = ok<SearchBody>(
      await srv.api.get('/runs/search', { experiment_ids: [exp, other], filter: "params.i = '4'" }),
    );
    expect(byGet).toEqual(body);
  });

  it('filters, orders, view types by name and number, numeric-string max_results', async () => {
    const ids = async (body: Record<string, unknown>) =>
      (ok<SearchBody>(await post('/runs/search', { experiment_ids: [exp], ...body })).runs ?? []).map(
        (r) => r.info.run_id,
      );
    expect(await ids({})).toEqual([runs[4], runs[3], runs[2], runs[1]]);
    expect(await ids({ filter: 'metrics.acc >= 0.2', order_by: ['metrics.acc DESC'] })).toEqual([
      runs[3],
      runs[2],
    ]);
    expect(await ids({ order_by: ['metrics.acc ASC'], max_results: '2' })).toEqual([runs[1], runs[2]]);
    expect(await ids({ run_view_type: 'DELETED_ONLY' })).toEqual([runs[0]]);
    expect(await ids({ run_view_type: 3 })).toHaveLength(5);
    expect(await ids({ run_view_type: '2' })).toEqual([runs[0]]);
  });

  it('pages through every run exactly once with next_page_token', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = ok<SearchBody>(
        await srv.ajax.get('/runs/search', {
          experiment_ids: exp,
          max_results: 2,
          run_view_type: 'ALL',
          page_token: token,
        }),
      );
      seen.push(...(res.runs ?? []).map((r) => r.info.run_id));
      token = res.next_page_token;
      if (token === undefined) break;
    }
    expect(token).toBeUndefined();
    expect([...seen].sort()).toEqual([...runs].sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('rejects bad searches with 400 INVALID_PARAMETER_VALUE', async () => {
    const bad: Record<string, unknown>[] = [
      { max_results: 0 },
      { max_results: 50001 },
      { max_results: -5 },
      { max_results: 'many' },
      { filter: 'metrics.acc > ' },
      { filter: "metrics.acc > 'x'" },
      { filter: 'params.i = 4' },
      { filter: "params.i = '1' OR params.i = '2'" },
      { filter: "experiment_id = '1'" },
      { filter: "status IN ('RUNNING')" },
      { filter: "foo.bar = 'x'" },
      { filter: "params.i = '1'; DROP TABLE runs" },
      { filter: 42 },
      { order_by: ['metrics.acc SIDEWAYS'] },
      { order_by: ['datasets.name'] },
      { order_by: ['metrics.acc', 'metrics.acc DESC'] },
      { order_by: [{ field: 'x' }] },
      { run_view_type: 'SOME' },
      { page_token: 'garbage!' },
      { page_token: Buffer.from('[1]').toString('base64') },
      { experiment_ids: ['abc'] },
      { experiment_ids: [{ id: 1 }] },
    ];
    for (const body of bad) {
      expectError(
        await post('/runs/search', { experiment_ids: [exp], ...body }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    }
  });

  it('accepts max_results 50000 and returns [] for unknown experiments', async () => {
    expect(ok(await post('/runs/search', { experiment_ids: [exp], max_results: 50000 })).runs).toHaveLength(
      4,
    );
    expect(ok(await post('/runs/search', { experiment_ids: ['987654'] }))).toEqual({ runs: [] });
  });
});

describe('runs: oversized but well-formed searches never give a 5xx', () => {
  // Each of these is a client mistake at worst: the answer must be a result or a 400, never INTERNAL_ERROR.
  const expect200or400 = (status: number) => expect([200, 400]).toContain(status);

  it('a filter of 1000 AND-ed attribute clauses (27 KB)', async () => {
    // Bug: no clause/length limit (limits.filterStringMax is never enforced) and sqlite-search-runs emits one AND
    // chain deeper than SQLite's expression-depth limit of 1000 -> 500 INTERNAL_ERROR.
    const filter = Array.from({ length: 1000 }, () => 'attributes.start_time > 1').join(' AND ');
    expect200or400((await post('/runs/search', { experiment_ids: ['0'], filter })).status);
  });

  it('64 order_by terms on metrics', async () => {
    // Bug: limits.orderByMax (20) is never enforced; each metric term adds a LEFT JOIN and SQLite allows at
    // most 64 tables in a join -> 500.
    const order_by = Array.from({ length: 64 }, (_, i) => `metrics.m${i}`);
    expect200or400((await post('/runs/search', { experiment_ids: ['0'], order_by })).status);
  });

  it('32767 experiment_ids', async () => {
    // Bug: one bind variable per id; SQLite's limit is 32766 variables -> "too many SQL variables" 500.
    const experiment_ids = Array.from({ length: 32767 }, () => '0');
    expect200or400((await post('/runs/search', { experiment_ids })).status);
  });

  it('a run_id IN list of 33000 values', async () => {
    // Bug: same bind-variable limit, reached through the filter's IN list -> 500.
    const filter = `run_id IN (${Array.from({ length: 33000 }, (_, i) => `'r${i}'`).join(',')})`;
    expect200or400((await post('/runs/search', { experiment_ids: ['0'], filter })).status);
  });

  it('20 order_by terms and 500 filter clauses work', async () => {
    const order_by = Array.from({ length: 20 }, (_, i) => `metrics.m${i}`);
    const filter = Array.from({ length: 500 }, () => 'attributes.start_time > 1').join(' AND ');
    ok(await post('/runs/search', { experiment_ids: ['0'], order_by, filter }));
  });
});
