import { expect } from 'vitest';
import { type CaseGroup, metric, newExperiment, newRun, searchRuns } from './support.js';

/**
 * Reads after every kind of run write see the write, however often the run was read before (stores may keep
 * snapshots of runs; the SQLite store does).
 */
export const readAfterWriteCases: CaseGroup = (test) => {
  test('get and search see every write after repeated reads', async (store) => {
    const exp = await newExperiment(store);
    const run = await newRun(store, exp);
    const id = run.info.run_id;
    const read = async () => {
      await store.getRun(id);
      const [hit] = (await searchRuns(store, [exp])).items;
      const again = await store.getRun(id);
      expect(hit).toEqual(again);
      return again;
    };
    await read();
    await store.logBatch(id, {
      metrics: [metric('m', 1, 1, 1)],
      params: [{ key: 'p', value: 'v' }],
      tags: [],
    });
    expect((await read()).data.metrics.map((m) => m.value)).toEqual([1]);
    await store.logBatch(id, {
      metrics: [metric('m', 2, 2, 2)],
      params: [],
      tags: [{ key: 't', value: 'x' }],
    });
    const r2 = await read();
    expect(r2.data.metrics.map((m) => m.value)).toEqual([2]);
    expect(r2.data.params).toEqual([{ key: 'p', value: 'v' }]);
    expect(r2.data.tags.find((t) => t.key === 't')?.value).toBe('x');
    await store.logParam(id, { key: 'p2', value: 'w' });
    expect((await read()).data.params).toHaveLength(2);
    await store.deleteTag(id, 't');
    expect((await read()).data.tags.find((t) => t.key === 't')).toBeUndefined();
    await store.updateRun(id, { status: 'FINISHED', endTime: 5, runName: 'renamed' });
    const r3 = await read();
    expect([r3.info.status, r3.info.end_time, r3.info.run_name]).toEqual(['FINISHED', 5, 'renamed']);
    await store.logInputs(
      id,
      [{ dataset: { name: 'd', digest: 'g', source_type: 's', source: 'x' }, tags: [] }],
      [],
    );
    expect((await read()).inputs.dataset_inputs).toHaveLength(1);
    await store.logOutputs(id, [{ model_id: 'm-1', step: 3 }]);
    expect((await read()).outputs.model_outputs).toEqual([{ model_id: 'm-1', step: 3 }]);
  });

  test('lifecycle changes are seen by get and search, including through the experiment', async (store) => {
    const exp = await newExperiment(store);
    const run = await newRun(store, exp);
    const id = run.info.run_id;
    const stage = async () => (await store.getRun(id)).info.lifecycle_stage;
    const all = async () =>
      (await searchRuns(store, [exp], { viewType: 'ALL' })).items[0]?.info.lifecycle_stage;
    expect([await stage(), await all()]).toEqual(['active', 'active']);
    await store.deleteRun(id);
    expect([await stage(), await all()]).toEqual(['deleted', 'deleted']);
    await store.restoreRun(id);
    expect([await stage(), await all()]).toEqual(['active', 'active']);
    await store.deleteExperiment(exp);
    expect([await stage(), await all()]).toEqual(['deleted', 'deleted']);
    await store.restoreExperiment(exp);
    expect([await stage(), await all()]).toEqual(['active', 'active']);
  });
};
