import { expect } from 'vitest';
import { MlflowError } from '../../../src/domain/errors.js';
import { type CaseGroup, newExperiment, newRun, uniqueName } from './support.js';

/** Concurrent writes through one store (on PostgreSQL/MySQL they use several pooled connections at once). */
export const raceCases: CaseGroup = (test) => {
  test('concurrent batches naming overlapping new metric keys in different orders all land', async (store) => {
    const exp = await newExperiment(store);
    const prefix = uniqueName('k');
    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}-${i}`);
    const runs = await Promise.all(Array.from({ length: 8 }, () => newRun(store, exp)));
    await Promise.all(
      runs.map((r, w) => {
        // each writer names 40 of the 60 keys, rotated and reversed on odd writers
        const mine = [...keys.slice(w * 5), ...keys.slice(0, w * 5)].slice(0, 40);
        if (w % 2 === 1) mine.reverse();
        const metrics = mine.map((key, i) => ({ key, value: w, timestamp: 10 + i, step: w }));
        return store.logBatch(r.info.run_id, { metrics, params: [], tags: [] });
      }),
    );
    for (const [w, r] of runs.entries()) {
      const got = (await store.getRun(r.info.run_id)).data.metrics;
      expect(got).toHaveLength(40);
      expect(new Set(got.map((m) => m.value))).toEqual(new Set([w]));
    }
    // writer 2 named keys 10…49 in order: keys[20] is its 11th point
    const h = await store.getMetricHistory(runs[2]!.info.run_id, keys[20]!, {});
    expect(h.items).toEqual([{ key: keys[20], value: 2, timestamp: 20, step: 2 }]);
  });

  test('concurrent creates of one experiment name: one wins, the rest are RESOURCE_ALREADY_EXISTS', async (store) => {
    const name = uniqueName('race');
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.createExperiment({ name })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(MlflowError);
        expect((r.reason as MlflowError).code).toBe('RESOURCE_ALREADY_EXISTS');
      }
    }
  });

  test('concurrent conflicting values of one param: one is stored, the others are refused', async (store) => {
    const exp = await newExperiment(store);
    const run = await store.createRun({ experimentId: exp, userId: 'u', startTime: 1, tags: [] });
    const id = run.info.run_id;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        store.logBatch(id, { metrics: [], params: [{ key: 'lr', value: String(i) }], tags: [] }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as MlflowError).code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await store.getRun(id)).data.params).toHaveLength(1);
  });
};
