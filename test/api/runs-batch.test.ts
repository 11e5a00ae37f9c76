import { describe, expect, it } from 'vitest';
import { createRun, getRun, tagOf } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

const post = (path: string, body: unknown) => srv.api.post(path, body);

describe('runs: log-batch', () => {
  const metric = (i: number) => ({ key: `m${i % 7}`, value: i, timestamp: 1000 + i, step: i });
  const kv = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: `${i}` }));

  it('writes metrics, params and tags; accepts exactly the limits', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    expect(
      ok(
        await post('/runs/log-batch', {
          run_id: id,
          metrics: [{ key: 'acc', value: '0.5', timestamp: '10', step: '2' }],
          params: [
            { key: 'p', value: 'x' },
            { key: 'p', value: 'x' },
          ],
          tags: [{ key: 't', value: 'y' }],
        }),
      ),
    ).toEqual({});
    const run = await getRun(srv.api, id);
    expect(run.data.metrics).toEqual([{ key: 'acc', value: 0.5, timestamp: 10, step: 2 }]);
    expect(run.data.params).toEqual([{ key: 'p', value: 'x' }]);
    expect(tagOf(run.data.tags, 't')).toBe('y');

    const full = (await createRun(srv.api)).info.run_id;
    ok(
      await post('/runs/log-batch', {
        run_id: full,
        metrics: Array.from({ length: 1000 }, (_, i) => metric(i)),
      }),
    );
    ok(
      await post('/runs/log-batch', {
        run_id: full,
        metrics: Array.from({ length: 800 }, (_, i) => metric(i + 5000)),
        params: kv('p', 100),
        tags: kv('t', 100),
      }),
    );
    expect((await getRun(srv.api, full)).data.params).toHaveLength(100);
  });

  it('rejects batches over the limits, with MLflow messages, writing nothing', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const cases: [Record<string, unknown>, string][] = [
      [
        { metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) },
        'at most 1000 metrics. Got 1001 metrics',
      ],
      [{ params: kv('p', 101) }, 'at most 100 params. Got 101 params'],
      [{ tags: kv('t', 101) }, 'at most 100 tags. Got 101 tags'],
      [
        { metrics: Array.from({ length: 901 }, (_, i) => metric(i)), params: kv('p', 50), tags: kv('t', 50) },
        'at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags',
      ],
    ];
    for (const [body, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(
          await post('/runs/log-batch', { run_id: id, ...body }),
          400,
          'INVALID_PARAMETER_VALUE',
          message,
        );
      });
    }
  });

  it('rejects invalid elements with 400 and writes nothing (not even the valid ones)', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    ok(await post('/runs/log-parameter', { run_id: id, key: 'fixed', value: 'old' }));
    const good = { metrics: [{ key: 'ok', value: 1, timestamp: 1 }], tags: [{ key: 'ok', value: 'v' }] };
    const cases: [Record<string, unknown>, string?][] = [
      [{ ...good, params: [{ key: 'fixed', value: 'new' }] }, 'Changing param values is not allowed'],
      [
        {
          ...good,
          params: [
            { key: 'dup', value: '1' },
            { key: 'dup', value: '2' },
          ],
        },
        'Duplicate parameter keys',
      ],
      [{ ...good, params: [{ key: 'a//b', value: '1' }] }],
      [{ ...good, params: [{ key: '../x', value: '1' }] }],
      [{ ...good, params: [{ key: '/abs', value: '1' }] }],
      [{ ...good, tags: [{ key: 'a//b', value: '1' }] }],
      [{ ...good, metrics: [{ key: '../x', value: 1, timestamp: 1 }] }],
      [{ ...good, metrics: [{ key: 'm', value: true, timestamp: 1 }] }, 'valid double'],
      [{ ...good, metrics: [{ key: 'm', value: 'abc', timestamp: 1 }] }, 'valid double'],
      [{ ...good, metrics: [{ key: 'm', value: {}, timestamp: 1 }] }],
      [{ ...good, metrics: [{ key: 'm', value: 1, timestamp: -1 }] }, 'Timestamp must be a nonnegative long'],
      [{ ...good, metrics: [{ key: 'm', value: 1, timestamp: 'now' }] }],
      [{ ...good, metrics: [{ key: 'm', value: 1, timestamp: 1, step: 1.5 }] }, 'Step must be a valid long'],
      [
        { ...good, metrics: [{ key: 'm', value: 1 }] },
        "Missing value for required parameter 'metrics[0].timestamp'",
      ],
      [
        { ...good, metrics: [{ key: 'm', timestamp: 1 }] },
        "Missing value for required parameter 'metrics[0].value'",
      ],
      [
        { ...good, metrics: [{ value: 1, timestamp: 1 }] },
        "Missing value for required parameter 'metrics[0].key'",
      ],
      [{ ...good, metrics: [null] }],
      [{ ...good, metrics: 'm' }],
      [{ ...good, params: [{ value: '1' }] }, "'params[0].key'"],
    ];
    for (const [body, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(
          await post('/runs/log-batch', { run_id: id, ...body }),
          400,
          'INVALID_PARAMETER_VALUE',
          message,
        );
      });
    }
  });

  it('validates the run id: missing, malformed, unknown, deleted', async () => {
    expectError(await post('/runs/log-batch', {}), 400, 'INVALID_PARAMETER_VALUE', "'run_id'");
    for (const runId of ['../x', '/abs', 'a b', '-x']) {
      expectError(await post('/runs/log-batch', { run_id: runId }), 400, 'INVALID_PARAMETER_VALUE');
    }
    expectError(
      await post('/runs/log-batch', {
        run_id: '0123456789abcdef0123456789abcdef',
        params: [{ key: 'a', value: 'b' }],
      }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});
