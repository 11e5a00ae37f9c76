import { expect } from 'vitest';
import { MlflowError } from '../../../src/domain/errors.js';
import { type CaseGroup, newExperiment, uniqueName } from './support.js';

/** Concurrent writes through one store (on PostgreSQL/MySQL they use several pooled connections at once). */
export const raceCases: CaseGroup = (test) => {
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
