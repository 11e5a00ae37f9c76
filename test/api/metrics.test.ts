import { beforeAll, describe, expect, it } from 'vitest';
import { createRun, getRun, type WireMetric } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

interface MetricsBody {
  metrics?: WireMetric[];
  next_page_token?: string;
}

const MAX = Number.MAX_VALUE;

async function logMetric(runId: string, key: string, value: unknown, timestamp: unknown, step?: unknown) {
  const body: Record<string, unknown> = { run_id: runId, key, value, timestamp };
  if (step !== undefined) body.step = step;
  return ok(await srv.api.post('/runs/log-metric', body));
}

describe('log-metric and get-history', () => {
  it('logs points and returns the history in (timestamp, step, value) order', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    expect(await logMetric(id, 'loss', 0.5, 30, 1)).toEqual({});
    await logMetric(id, 'loss', 0.7, 10, 2);
    await logMetric(id, 'loss', 0.1, 10, 2);
    await logMetric(id, 'loss', '0.9', '20');
    const body = ok<MetricsBody>(
      await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'loss' }),
    );
    expect(body).toEqual({
      metrics: [
        { key: 'loss', value: 0.1, timestamp: 10, step: 2 },
        { key: 'loss', value: 0.7, timestamp: 10, step: 2 },
        { key: 'loss', value: 0.9, timestamp: 20, step: 0 },
        { key: 'loss', value: 0.5, timestamp: 30, step: 1 },
      ],
    });
    // The latest point is the greatest (step, timestamp, value), not the last logged one.
    expect((await getRun(srv.api, id)).data.metrics).toEqual([
      { key: 'loss', value: 0.7, timestamp: 10, step: 2 },
    ]);
  });

  it('encodes NaN as "NaN" and stores ±Infinity as ±max double, everywhere', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    await logMetric(id, 'nan', 'NaN', 1);
    await logMetric(id, 'inf', 'Infinity', 1);
    await logMetric(id, 'ninf', '-Infinity', 1);
    const history = async (key: string) =>
      ok<MetricsBody>(await srv.ajax.get('/metrics/get-history', { run_uuid: id, metric_key: key })).metrics;
    expect(await history('nan')).toEqual([{ key: 'nan', value: 'NaN', timestamp: 1, step: 0 }]);
    expect(await history('inf')).toEqual([{ key: 'inf', value: MAX, timestamp: 1, step: 0 }]);
    expect(await history('ninf')).toEqual([{ key: 'ninf', value: -MAX, timestamp: 1, step: 0 }]);
    const latest = (await getRun(srv.api, id)).data.metrics ?? [];
    expect([...latest].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'inf', value: MAX, timestamp: 1, step: 0 },
      { key: 'nan', value: 'NaN', timestamp: 1, step: 0 },
      { key: 'ninf', value: -MAX, timestamp: 1, step: 0 },
    ]);
  });

  it('pages with max_results and page_token; no max_results means everything', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    ok(
      await srv.api.post('/runs/log-batch', {
        run_id: id,
        metrics: Array.from({ length: 7 }, (_, i) => ({ key: 'm', value: i, timestamp: 100 + i, step: i })),
      }),
    );
    const values: (number | string)[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const res = ok<MetricsBody>(
        await srv.api.get('/metrics/get-history', {
          run_id: id,
          metric_key: 'm',
          max_results: '3',
          page_token: token,
        }),
      );
      values.push(...(res.metrics ?? []).map((m) => m.value));
      token = res.next_page_token;
      pages++;
    } while (token !== undefined && pages < 10);
    expect(values).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pages).toBe(3);
    const all = ok<MetricsBody>(await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'm' }));
    expect(all.metrics).toHaveLength(7);
    expect(all.next_page_token).toBeUndefined();
    const none = ok<MetricsBody>(
      await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'never' }),
    );
    expect(none.metrics ?? []).toEqual([]);
  });

  it('streams a whole long series (no max_results) as the same JSON as its pages', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const n = 12_345;
    for (let i = 0; i < n; i += 1000) {
      const metrics = Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({
        key: 'long',
        value: i + j === 77 ? 'NaN' : (i + j) / 7,
        timestamp: 1_700_000_000_000 + ((i + j) % 5000),
        step: i + j,
      }));
      ok(await srv.api.post('/runs/log-batch', { run_id: id, metrics }));
    }
    const whole = await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'long' });
    const paged = ok<MetricsBody>(
      await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'long', max_results: 25000 }),
    );
    expect(paged.metrics).toHaveLength(n);
    expect(ok<MetricsBody>(whole)).toEqual(paged);
    expect(whole.text).toBe(JSON.stringify(paged));
    expect(whole.text).toContain('"value":"NaN"');
  });

  it('validates get-history requests', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const get = (q: Record<string, string | number>) => srv.api.get('/metrics/get-history', q);
    expectError(await get({ run_id: id }), 400, 'INVALID_PARAMETER_VALUE', "'metric_key'");
    expectError(await get({ metric_key: 'm' }), 400, 'INVALID_PARAMETER_VALUE', "'run_id'");
    expectError(
      await get({ run_id: id, metric_key: 'm', max_results: 'all' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(await get({ run_id: id, metric_key: 'm', max_results: -1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(
      await get({ run_id: id, metric_key: 'm', page_token: '???' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await get({ run_id: '0123456789abcdef0123456789abcdef', metric_key: 'm' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('rejects bad log-metric requests and writes nothing', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const cases: [Record<string, unknown>, string?][] = [
      [{ key: 'm', timestamp: 1 }, "Missing value for required parameter 'value'"],
      [{ key: 'm', value: 1 }, "Missing value for required parameter 'timestamp'"],
      [{ value: 1, timestamp: 1 }, "Missing value for required parameter 'key'"],
      [{ key: 'm', value: true, timestamp: 1 }, 'valid double'],
      [{ key: 'm', value: 'one', timestamp: 1 }, 'valid double'],
      [{ key: 'm', value: '', timestamp: 1 }],
      [{ key: 'm', value: [1], timestamp: 1 }],
      [{ key: 'm', value: 1, timestamp: -5 }, 'nonnegative'],
      [{ key: 'm', value: 1, timestamp: 1.5 }],
      [{ key: 'm', value: 1, timestamp: 1, step: 'two' }, 'Step must be a valid long'],
      [{ key: 'a//b', value: 1, timestamp: 1 }],
      [{ key: '../x', value: 1, timestamp: 1 }],
      [{ key: '/abs', value: 1, timestamp: 1 }],
      [{ key: 'x'.repeat(251), value: 1, timestamp: 1 }],
      [{ key: 5, value: 1, timestamp: 1 }],
    ];
    for (const [body, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(
          await srv.api.post('/runs/log-metric', { run_id: id, ...body }),
          400,
          'INVALID_PARAMETER_VALUE',
          message,
        );
      });
    }
    expectError(
      await srv.api.post('/runs/log-metric', {
        run_id: '0123456789abcdef0123456789abcdef',
        key: 'm',
        value: 1,
        timestamp: 1,
      }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('accepts negative steps and timestamp 0', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    await logMetric(id, 'm', 1, 0, -3);
    const body = ok<MetricsBody>(await srv.api.get('/metrics/get-history', { run_id: id, metric_key: 'm' }));
    expect(body.metrics).toEqual([{ key: 'm', value: 1, timestamp: 0, step: -3 }]);
  });

  it('rejects int64 fields outside the int64 range instead of storing them as doubles', async () => {
    // Bug: request-fields.ts optInt and inputs.ts metricFrom accept any integral JSON number (1e300); SQLite
    // stores it as REAL and the history comes back as `1e+300`, which protobuf clients cannot parse as int64.
    const id = (await createRun(srv.api)).info.run_id;
    await expectNoWrites(srv.store, async () => {
      expectError(
        await srv.api.post('/runs/log-metric', { run_id: id, key: 'big', value: 1, timestamp: 1e300 }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await srv.api.post('/runs/log-metric', {
          run_id: id,
          key: 'big',
          value: 1,
          timestamp: 1,
          step: 2 ** 64,
        }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(await srv.api.post('/runs/create', { start_time: 1e300 }), 400, 'INVALID_PARAMETER_VALUE');
    });
  });
});

describe('get-history-bulk-interval', () => {
  let a: string;
  let b: string;
  beforeAll(async () => {
    a = (await createRun(srv.api)).info.run_id;
    b = (await createRun(srv.api)).info.run_id;
    ok(
      await srv.api.post('/runs/log-batch', {
        run_id: a,
        metrics: Array.from({ length: 50 }, (_, i) => ({ key: 'm', value: i, timestamp: 1000 + i, step: i })),
      }),
    );
    ok(
      await srv.api.post('/runs/log-batch', {
        run_id: b,
        metrics: [
          { key: 'm', value: 'NaN', timestamp: 1, step: 0 },
          { key: 'm', value: 2, timestamp: 2, step: 1 },
        ],
      }),
    );
  });

  it('samples each run (first and last step kept) and tags points with run_id', async () => {
    const body = ok<MetricsBody>(
      await srv.api.get('/metrics/get-history-bulk-interval', {
        run_ids: [a, b],
        metric_key: 'm',
        max_results: 10,
      }),
    );
    const ofA = (body.metrics ?? []).filter((m) => m.run_id === a);
    const steps = ofA.map((m) => m.step);
    expect(steps.length).toBeLessThanOrEqual(11);
    expect(steps).toContain(0);
    expect(steps).toContain(49);
    for (const m of ofA)
      expect(Object.keys(m).sort()).toEqual(['key', 'run_id', 'step', 'timestamp', 'value']);
    expect((body.metrics ?? []).filter((m) => m.run_id === b)).toEqual([
      { key: 'm', value: 'NaN', timestamp: 1, step: 0, run_id: b },
      { key: 'm', value: 2, timestamp: 2, step: 1, run_id: b },
    ]);
    const ranged = ok<MetricsBody>(
      await srv.ajax.get('/metrics/get-history-bulk-interval', {
        run_ids: a,
        metric_key: 'm',
        start_step: '10',
        end_step: '20',
        max_results: '2500',
      }),
    );
    expect((ranged.metrics ?? []).map((m) => m.step)).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i));
  });

  it('validates its parameters with 400s (and 404 for unknown runs)', async () => {
    const get = (q: Record<string, string | number | string[]>) =>
      srv.api.get('/metrics/get-history-bulk-interval', q);
    const bad: [Record<string, string | number | string[]>, string?][] = [
      [{ metric_key: 'm' }, "Missing value for required parameter 'run_ids'."],
      [
        { run_ids: Array.from({ length: 101 }, () => a), metric_key: 'm' },
        'at most 100 run_ids. Received 101',
      ],
      [{ run_ids: a }, "'metric_key'"],
      [{ run_ids: a, metric_key: 'm', start_step: 1 }, 'both must be specified'],
      [{ run_ids: a, metric_key: 'm', end_step: 1 }, 'both must be specified'],
      [
        { run_ids: a, metric_key: 'm', start_step: 5, end_step: 1 },
        'end_step must be greater than start_step',
      ],
      [{ run_ids: a, metric_key: 'm', max_results: 0 }, 'max_results must be between 1 and 2500'],
      [{ run_ids: a, metric_key: 'm', max_results: 2501 }, 'max_results must be between 1 and 2500'],
      [{ run_ids: a, metric_key: 'm', max_results: 'x' }],
      [{ run_ids: a, metric_key: 'm', start_step: 'a', end_step: 'b' }],
    ];
    for (const [q, message] of bad) expectError(await get(q), 400, 'INVALID_PARAMETER_VALUE', message);
    expectError(
      await get({ run_ids: [a, '0123456789abcdef0123456789abcdef'], metric_key: 'm' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    ok(await get({ run_ids: Array.from({ length: 100 }, () => a), metric_key: 'm' }));
  });
});

describe('get-history-bulk (ajax only)', () => {
  it('returns several runs ordered by run id; is not mounted under /api', async () => {
    const ids = [(await createRun(srv.api)).info.run_id, (await createRun(srv.api)).info.run_id].sort();
    for (const [i, id] of ids.entries()) await logMetric(id, 'm', i, 10 + i);
    const body = ok<MetricsBody>(
      await srv.ajax.get('/metrics/get-history-bulk', { run_id: [...ids].reverse(), metric_key: 'm' }),
    );
    expect(body.metrics).toEqual([
      { key: 'm', value: 0, timestamp: 10, step: 0, run_id: ids[0] },
      { key: 'm', value: 1, timestamp: 11, step: 0, run_id: ids[1] },
    ]);
    expectError(
      await srv.api.get('/metrics/get-history-bulk', { run_id: ids, metric_key: 'm' }),
      404,
      'ENDPOINT_NOT_FOUND',
    );
    expectError(
      await srv.ajax.get('/metrics/get-history-bulk', { metric_key: 'm' }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await srv.ajax.get('/metrics/get-history-bulk', {
        run_id: Array.from({ length: 101 }, () => ids[0]!),
        metric_key: 'm',
      }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(
      await srv.ajax.get('/metrics/get-history-bulk', { run_id: ids }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('rejects a negative max_results', async () => {
    // Bug: routes/metrics.ts get-history-bulk passes max_results=-1 through; sqlite-metrics.ts bulk() then runs
    // `LIMIT -1` (SQLite: no limit) for the first run and stops, so the answer is the first run's full history.
    const ids = [(await createRun(srv.api)).info.run_id, (await createRun(srv.api)).info.run_id].sort();
    for (const id of ids) await logMetric(id, 'm', 1, 1);
    expectError(
      await srv.ajax.get('/metrics/get-history-bulk', { run_id: ids, metric_key: 'm', max_results: -1 }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });
});
