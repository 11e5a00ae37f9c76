import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExperiment,
  createRun,
  getRun,
  tagOf,
  uniqueName,
  type WireRun,
} from '../helpers/api-fixtures.js';
import { expectError, ok, startTestServer, type TestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

let srv: TestServer;
beforeAll(async () => {
  srv = await startTestServer();
});
afterAll(async () => {
  await srv.close();
});

interface SearchBody {
  runs?: WireRun[];
  next_page_token?: string;
}

const post = (path: string, body: unknown) => srv.api.post(path, body);

describe('runs: create / get', () => {
  it('create returns the full run in MLflow wire form (snake_case, end_time omitted, empty lists)', async () => {
    const exp = await createExperiment(srv.api);
    const run = ok<{ run: WireRun }>(
      await post('/runs/create', {
        experiment_id: exp,
        user_id: 'alice',
        run_name: 'my-run',
        start_time: 1_700_000_000_000,
        tags: [{ key: 'team', value: 'x' }],
      }),
    ).run;
    const id = run.info.run_id;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toEqual({
      run_id: id,
      run_uuid: id,
      run_name: 'my-run',
      experiment_id: exp,
      user_id: 'alice',
      status: 'RUNNING',
      start_time: 1_700_000_000_000,
      artifact_uri: `mlflow-artifacts:/${exp}/${id}/artifacts`,
      lifecycle_stage: 'active',
    });
    expect(run.data.metrics ?? []).toEqual([]);
    expect(run.data.params ?? []).toEqual([]);
    expect(run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'x' },
        { key: 'mlflow.runName', value: 'my-run' },
      ]),
    );
    expect(run.inputs?.dataset_inputs ?? []).toEqual([]);
    expect(run.inputs?.model_inputs ?? []).toEqual([]);
    expect(run.outputs?.model_outputs ?? []).toEqual([]);
    expect(await getRun(srv.api, id)).toEqual(run);
  });

  it('defaults: experiment "0", user_id from the mlflow.user tag, a generated name; int64 as strings', async () => {
    const run = ok<{ run: WireRun }>(
      await post('/runs/create', {
        start_time: '1700000000001',
        tags: [{ key: 'mlflow.user', value: 'bob' }],
      }),
    ).run;
    expect(run.info.experiment_id).toBe('0');
    expect(run.info.user_id).toBe('bob');
    expect(run.info.start_time).toBe(1_700_000_000_001);
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(tagOf(run.data.tags, 'mlflow.runName')).toBe(run.info.run_name);
  });

  it('get accepts run_id or the legacy run_uuid, under /api and /ajax-api', async () => {
    const run = await createRun(srv.api);
    const a = ok(await srv.api.get('/runs/get', { run_id: run.info.run_id }));
    const b = ok(await srv.ajax.get('/runs/get', { run_uuid: run.info.run_id }));
    expect(b).toEqual(a);
    expectError(
      await srv.api.get('/runs/get'),
      400,
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'run_id'",
    );
    expectError(
      await srv.api.get('/runs/get', { run_id: '0123456789abcdef0123456789abcdef' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      'Run with id=0123456789abcdef0123456789abcdef not found',
    );
    expectError(await srv.api.get('/runs/get', { run_id: '../../etc' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('rejects bad creates with 400/404 and creates nothing', async () => {
    const gone = await createExperiment(srv.api);
    ok(await post('/experiments/delete', { experiment_id: gone }));
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [
        { run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] },
        400,
        'INVALID_PARAMETER_VALUE',
        'run_name',
      ],
      [{ experiment_id: gone }, 400, 'INVALID_PARAMETER_VALUE', "must be in the 'active' state"],
      [{ experiment_id: '987654' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [{ experiment_id: 'abc' }, 404, 'RESOURCE_DOES_NOT_EXIST'],
      [{ start_time: 'yesterday' }, 400, 'INVALID_PARAMETER_VALUE', 'start_time'],
      [{ start_time: 1.5 }, 400, 'INVALID_PARAMETER_VALUE', 'start_time'],
      [{ tags: [{ key: 'a//b', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ key: '../x', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ key: '/abs', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ key: 'bad*char', value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ key: 'x'.repeat(251), value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ value: 'v' }] }, 400, 'INVALID_PARAMETER_VALUE', "'tags[0].key'"],
      [{ tags: 'not a list' }, 400, 'INVALID_PARAMETER_VALUE'],
      [{ tags: [{ key: 'k', value: { nested: 1 } }] }, 400, 'INVALID_PARAMETER_VALUE'],
    ];
    for (const [body, status, code, message] of cases) {
      await expectNoWrites(srv.store, async () => {
        expectError(await post('/runs/create', body), status, code as 'INVALID_PARAMETER_VALUE', message);
      });
    }
  });
});

describe('runs: update / delete / restore', () => {
  it('update takes status by name or number and end_time as int64; returns run_info', async () => {
    const run = await createRun(srv.api);
    const id = run.info.run_id;
    const res = ok<{ run_info: WireRun['info'] }>(
      await post('/runs/update', { run_id: id, status: 'FINISHED', end_time: '1700000005000' }),
    );
    expect(Object.keys(res)).toEqual(['run_info']);
    expect(res.run_info).toEqual({ ...run.info, status: 'FINISHED', end_time: 1_700_000_005_000 });
    const byNumber = ok<{ run_info: WireRun['info'] }>(
      await post('/runs/update', { run_uuid: id, status: 4 }),
    );
    expect(byNumber.run_info.status).toBe('FAILED');
    const renamed = ok<{ run_info: WireRun['info'] }>(
      await post('/runs/update', { run_id: id, run_name: 'renamed' }),
    );
    expect(renamed.run_info.run_name).toBe('renamed');
    expect(tagOf((await getRun(srv.api, id)).data.tags, 'mlflow.runName')).toBe('renamed');
    await expectNoWrites(srv.store, async () => {
      expectError(await post('/runs/update', { run_id: id, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await post('/runs/update', { run_id: id, status: 42 }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(
        await post('/runs/update', { run_id: id, end_time: 'later' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await post('/runs/update', { status: 'FINISHED' }),
        400,
        'INVALID_PARAMETER_VALUE',
        'run_id',
      );
    });
  });

  it('delete / restore; writes to a deleted run are 400 and change nothing; get still works', async () => {
    const run = await createRun(srv.api);
    const id = run.info.run_id;
    expect(ok(await post('/runs/delete', { run_id: id }))).toEqual({});
    expect((await getRun(srv.api, id)).info.lifecycle_stage).toBe('deleted');
    await expectNoWrites(srv.store, async () => {
      const writes: [string, Record<string, unknown>][] = [
        ['/runs/update', { run_id: id, status: 'FINISHED' }],
        ['/runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1 }],
        ['/runs/log-parameter', { run_id: id, key: 'p', value: '1' }],
        ['/runs/set-tag', { run_id: id, key: 't', value: '1' }],
        ['/runs/delete-tag', { run_id: id, key: 'mlflow.runName' }],
        ['/runs/log-batch', { run_id: id, tags: [{ key: 't', value: '1' }] }],
        ['/runs/log-inputs', { run_id: id, models: [{ model_id: 'm-1' }] }],
        ['/runs/outputs', { run_id: id, models: [{ model_id: 'm-1', step: 1 }] }],
      ];
      for (const [path, body] of writes) {
        expectError(await post(path, body), 400, 'INVALID_PARAMETER_VALUE', "must be in the 'active' state");
      }
    });
    expect(ok(await srv.ajax.post('/runs/restore', { run_id: id }))).toEqual({});
    expect((await getRun(srv.api, id)).info.lifecycle_stage).toBe('active');
    expectError(await post('/runs/delete', {}), 400, 'INVALID_PARAMETER_VALUE', "'run_id'");
    expectError(
      await post('/runs/delete', { run_id: '0123456789abcdef0123456789abcdef' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

describe('runs: params and tags', () => {
  it('log-parameter is write-once', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    expect(ok(await post('/runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' }))).toEqual({});
    ok(await post('/runs/log-parameter', { run_uuid: id, key: 'lr', value: '0.1' }));
    ok(await post('/runs/log-parameter', { run_id: id, key: 'n', value: '5' }));
    await expectNoWrites(srv.store, async () => {
      expectError(
        await post('/runs/log-parameter', { run_id: id, key: 'lr', value: '0.2' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Changing param values is not allowed. Param with key='lr' was already logged with value='0.1'",
      );
      expectError(
        await post('/runs/log-parameter', { run_id: id, value: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
        "'key'",
      );
      expectError(
        await post('/runs/log-parameter', { run_id: id, key: 'a//b', value: '1' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      // A JSON number for a string field fails protobuf parsing in MLflow too.
      expectError(
        await post('/runs/log-parameter', { run_id: id, key: 'num', value: 5 }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Hint: Value was of type 'int'",
      );
    });
    expect((await getRun(srv.api, id)).data.params).toEqual(
      expect.arrayContaining([
        { key: 'lr', value: '0.1' },
        { key: 'n', value: '5' },
      ]),
    );
  });

  it('long param and tag values are truncated by default (6000 / 8000)', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    ok(await post('/runs/log-parameter', { run_id: id, key: 'long', value: 'p'.repeat(7000) }));
    ok(await post('/runs/set-tag', { run_id: id, key: 'long', value: 't'.repeat(9000) }));
    const run = await getRun(srv.api, id);
    expect(run.data.params?.find((p) => p.key === 'long')?.value).toHaveLength(6000);
    expect(tagOf(run.data.tags, 'long')).toHaveLength(8000);
  });

  it('with MLFLOW_TRUNCATE_LONG_VALUES=false long values are rejected', async () => {
    const strict = await startTestServer({ MLFLOW_TRUNCATE_LONG_VALUES: 'false' });
    try {
      const id = (await createRun(strict.api)).info.run_id;
      await expectNoWrites(strict.store, async () => {
        expectError(
          await strict.api.post('/runs/log-parameter', { run_id: id, key: 'long', value: 'p'.repeat(6001) }),
          400,
          'INVALID_PARAMETER_VALUE',
          '6000',
        );
        expectError(
          await strict.api.post('/runs/log-batch', {
            run_id: id,
            tags: [{ key: 'long', value: 't'.repeat(8001) }],
          }),
          400,
          'INVALID_PARAMETER_VALUE',
        );
      });
    } finally {
      await strict.close();
    }
  });

  it('set-tag upserts and mlflow.runName renames the run; delete-tag removes; a missing tag is 404', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    ok(await post('/runs/set-tag', { run_id: id, key: 't', value: '1' }));
    ok(await post('/runs/set-tag', { run_uuid: id, key: 't', value: '2' }));
    ok(await post('/runs/set-tag', { run_id: id, key: 'mlflow.runName', value: 'via-tag' }));
    let run = await getRun(srv.api, id);
    expect(tagOf(run.data.tags, 't')).toBe('2');
    expect(run.info.run_name).toBe('via-tag');
    expect(ok(await post('/runs/delete-tag', { run_id: id, key: 't' }))).toEqual({});
    run = await getRun(srv.api, id);
    expect(tagOf(run.data.tags, 't')).toBeUndefined();
    await expectNoWrites(srv.store, async () => {
      expectError(await post('/runs/delete-tag', { run_id: id, key: 't' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(
        await post('/runs/set-tag', { run_id: id, key: '', value: 'x' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await post('/runs/set-tag', { run_id: id, key: 'a/', value: 'x' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await post('/runs/set-tag', { run_id: id, key: './a', value: 'x' }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });
  });
});

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

describe('runs: inputs, outputs, log-model', () => {
  it('log-inputs stores datasets (dedup by name+digest) and model inputs; outputs store model outputs', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const input = {
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
      dataset: {
        name: 'ds',
        digest: 'abc',
        source_type: 'local',
        source: '/data',
        schema: '{}',
        profile: '{"n":1}',
      },
    };
    ok(await post('/runs/log-inputs', { run_id: id, datasets: [input], models: [{ model_id: 'm-1' }] }));
    ok(await post('/runs/log-inputs', { run_id: id, datasets: [input] }));
    expect(ok(await post('/runs/outputs', { run_id: id, models: [{ model_id: 'm-2', step: 3 }] }))).toEqual(
      {},
    );
    const run = await getRun(srv.api, id);
    expect(run.inputs).toEqual({ dataset_inputs: [input], model_inputs: [{ model_id: 'm-1' }] });
    expect(run.outputs).toEqual({ model_outputs: [{ model_id: 'm-2', step: 3 }] });
    await expectNoWrites(srv.store, async () => {
      const bad: Record<string, unknown>[] = [
        { datasets: [{ tags: [] }] },
        { datasets: [{ dataset: { name: 'x', digest: 'd', source_type: 's' } }] },
        { datasets: [{ dataset: { name: 1, digest: 'd', source_type: 's', source: 's' } }] },
        { datasets: [{ dataset: { ...input.dataset, digest: 'd'.repeat(37) } }] },
        { datasets: [{ dataset: input.dataset, tags: [{ key: 'k', value: 'v'.repeat(501) }] }] },
        { models: [{}] },
        { datasets: 'x' },
      ];
      for (const body of bad) {
        expectError(await post('/runs/log-inputs', { run_id: id, ...body }), 400, 'INVALID_PARAMETER_VALUE');
      }
      expectError(
        await post('/runs/outputs', { run_id: id, models: [{ step: 1 }] }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
    });
  });

  it('outputs rejects a non-integer step instead of storing 0', async () => {
    // Bug: routes/runs.ts /runs/outputs turns an invalid step ("abc", 1.5) into 0 silently.
    const id = (await createRun(srv.api)).info.run_id;
    expectError(
      await post('/runs/outputs', { run_id: id, models: [{ model_id: 'm-9', step: 'abc' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('log-model appends to mlflow.log-model.history; bad model_json is 400', async () => {
    const id = (await createRun(srv.api)).info.run_id;
    const model = {
      artifact_path: 'model',
      flavors: { python_function: {} },
      utc_time_created: 'now',
      run_id: id,
    };
    ok(await post('/runs/log-model', { run_id: id, model_json: JSON.stringify(model) }));
    ok(
      await post('/runs/log-model', {
        run_id: id,
        model_json: JSON.stringify({ ...model, artifact_path: 'm2' }),
      }),
    );
    const history = JSON.parse(
      tagOf((await getRun(srv.api, id)).data.tags, 'mlflow.log-model.history') ?? '[]',
    );
    expect(history.map((m: { artifact_path: string }) => m.artifact_path)).toEqual(['model', 'm2']);
    await expectNoWrites(srv.store, async () => {
      for (const model_json of ['{not json', '{"artifact_path": "x"}', 'null', '[]', '"str"', undefined]) {
        expectError(
          await post('/runs/log-model', { run_id: id, model_json }),
          400,
          'INVALID_PARAMETER_VALUE',
        );
      }
    });
  });
});

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

describe('runs: run names', () => {
  it('keeps a user-supplied unicode run name', async () => {
    const name = uniqueName('名前 run');
    const run = await createRun(srv.api, { run_name: name });
    expect((await getRun(srv.api, run.info.run_id)).info.run_name).toBe(name);
  });
});
