import { describe, expect, it } from 'vitest';
import { createExperiment, createRun, getExperiment, getRun, uniqueName } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

describe('experiments: update / delete / restore / tags', () => {
  it('renames; a clash is 400 RESOURCE_ALREADY_EXISTS; new_name is required', async () => {
    const id = await createExperiment(srv.api);
    const other = uniqueName();
    await createExperiment(srv.api, { name: other });
    const newName = uniqueName();
    expect(ok(await srv.api.post('/experiments/update', { experiment_id: id, new_name: newName }))).toEqual(
      {},
    );
    expect((await getExperiment(srv.api, id)).name).toBe(newName);
    await expectNoWrites(srv.store, async () => {
      expectError(
        await srv.api.post('/experiments/update', { experiment_id: id, new_name: other }),
        400,
        'RESOURCE_ALREADY_EXISTS',
      );
      expectError(
        await srv.api.post('/experiments/update', { experiment_id: id }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'new_name'",
      );
      expectError(
        await srv.api.post('/experiments/update', { new_name: uniqueName() }),
        400,
        'INVALID_PARAMETER_VALUE',
        "Missing value for required parameter 'experiment_id'",
      );
      expectError(
        await srv.api.post('/experiments/update', { experiment_id: '987654', new_name: uniqueName() }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });

  it('renaming a deleted experiment is a 400 (MLflow says INVALID_STATE/500, which clients retry)', async () => {
    const id = await createExperiment(srv.api);
    ok(await srv.api.post('/experiments/delete', { experiment_id: id }));
    await expectNoWrites(srv.store, async () => {
      expectError(
        await srv.api.post('/experiments/update', { experiment_id: id, new_name: uniqueName() }),
        400,
        'INVALID_PARAMETER_VALUE',
        'non-active',
      );
    });
  });

  it('delete soft-deletes the experiment and its runs; restore undoes both', async () => {
    const id = await createExperiment(srv.api);
    const run = await createRun(srv.api, { experiment_id: id });
    expect(ok(await srv.api.post('/experiments/delete', { experiment_id: id }))).toEqual({});
    expect((await getExperiment(srv.api, id)).lifecycle_stage).toBe('deleted');
    expect((await getRun(srv.api, run.info.run_id)).info.lifecycle_stage).toBe('deleted');
    expectError(
      await srv.api.post('/experiments/delete', { experiment_id: id }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await srv.api.post('/runs/create', { experiment_id: id }),
      400,
      'INVALID_PARAMETER_VALUE',
      "must be in the 'active' state",
    );
    expectError(
      await srv.ajax.post('/experiments/restore', { experiment_id: Number(id) }),
      400,
      'INVALID_PARAMETER_VALUE',
      "Hint: Value was of type 'int'",
    );
    expect(ok(await srv.ajax.post('/experiments/restore', { experiment_id: id }))).toEqual({});
    expect((await getExperiment(srv.api, id)).lifecycle_stage).toBe('active');
    expect((await getRun(srv.api, run.info.run_id)).info.lifecycle_stage).toBe('active');
    expectError(
      await srv.api.post('/experiments/restore', { experiment_id: id }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(
      await srv.api.post('/experiments/delete', { experiment_id: 'abc' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expectError(await srv.api.post('/experiments/delete', {}), 400, 'INVALID_PARAMETER_VALUE');
  });

  it('set-experiment-tag upserts, delete-experiment-tag removes; errors write nothing', async () => {
    const id = await createExperiment(srv.api);
    ok(await srv.api.post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v1' }));
    ok(await srv.api.post('/experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v2' }));
    ok(await srv.api.post('/experiments/set-experiment-tag', { experiment_id: id, key: 'no value' }));
    expect((await getExperiment(srv.api, id)).tags).toEqual([
      { key: 'k', value: 'v2' },
      { key: 'no value', value: '' },
    ]);
    expect(
      ok(await srv.api.post('/experiments/delete-experiment-tag', { experiment_id: id, key: 'k' })),
    ).toEqual({});
    expect((await getExperiment(srv.api, id)).tags).toEqual([{ key: 'no value', value: '' }]);
    await expectNoWrites(srv.store, async () => {
      const del = (body: Record<string, unknown>) => srv.api.post('/experiments/delete-experiment-tag', body);
      const set = (body: Record<string, unknown>) => srv.api.post('/experiments/set-experiment-tag', body);
      expectError(await del({ experiment_id: id, key: 'k' }), 404, 'RESOURCE_DOES_NOT_EXIST');
      expectError(await set({ experiment_id: id, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', "'key'");
      expectError(await set({ experiment_id: id, key: 'a//b', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await set({ experiment_id: id, key: '/abs', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
      expectError(
        await set({ experiment_id: id, key: 'k', value: 'x'.repeat(20001) }),
        400,
        'INVALID_PARAMETER_VALUE',
      );
      expectError(
        await set({ experiment_id: '987654', key: 'k', value: 'v' }),
        404,
        'RESOURCE_DOES_NOT_EXIST',
      );
    });
  });
});
