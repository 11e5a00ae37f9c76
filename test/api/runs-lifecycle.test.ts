import { describe, expect, it } from 'vitest';
import {
  createExperiment,
  createRun,
  getRun,
  tagOf,
  uniqueName,
  type WireRun,
} from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

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

describe('runs: run names', () => {
  it('keeps a user-supplied unicode run name', async () => {
    const name = uniqueName('名前 run');
    const run = await createRun(srv.api, { run_name: name });
    expect((await getRun(srv.api, run.info.run_id)).info.run_name).toBe(name);
  });
});
