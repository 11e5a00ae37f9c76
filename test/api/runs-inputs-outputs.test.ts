import { describe, expect, it } from 'vitest';
import { createRun, getRun, tagOf } from '../helpers/api-fixtures.js';
import { expectError, ok, sharedTestServer } from '../helpers/http.js';
import { expectNoWrites } from '../helpers/state.js';

const srv = sharedTestServer();

const post = (path: string, body: unknown) => srv.api.post(path, body);

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
