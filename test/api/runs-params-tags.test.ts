import { describe, expect, it } from 'vitest';
import { createRun, getRun, tagOf } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer, startTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

const post = (path: string, body: unknown) => srv.api.post(path, body);

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
