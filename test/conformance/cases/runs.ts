import { expect } from 'vitest';
import type { Run } from '../../../src/domain/entities/run.js';
import type { TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import {
  type CaseGroup,
  joinUri,
  metric,
  newExperiment,
  newRun,
  searchRuns,
  sortedKv,
  tagValue,
} from './support.js';

const DATASET = { name: 'ds', digest: 'd1', source_type: 'local', source: 'file:///data' };

/** Every write a deleted (or unknown) run must refuse. */
function writes(store: TrackingStore, runId: string): [string, () => Promise<unknown>][] {
  return [
    ['updateRun', () => store.updateRun(runId, { status: 'FINISHED' })],
    ['logBatch metrics', () => store.logBatch(runId, { metrics: [metric('m', 1, 1)], params: [], tags: [] })],
    [
      'logBatch params',
      () => store.logBatch(runId, { metrics: [], params: [{ key: 'p', value: '1' }], tags: [] }),
    ],
    [
      'logBatch tags',
      () => store.logBatch(runId, { metrics: [], params: [], tags: [{ key: 't', value: '1' }] }),
    ],
    ['logParam', () => store.logParam(runId, { key: 'p2', value: '1' })],
    ['deleteTag', () => store.deleteTag(runId, 'mlflow.runName')],
    ['logInputs', () => store.logInputs(runId, [{ dataset: DATASET, tags: [] }], [])],
    ['logOutputs', () => store.logOutputs(runId, [{ model_id: 'm-0', step: 0 }])],
  ];
}

async function expectUnchanged(store: TrackingStore, before: Run): Promise<void> {
  expect(await store.getRun(before.info.run_id)).toEqual(before);
}

export const runCases: CaseGroup = (test) => {
  test('create returns the full run with MLflow defaults', async (store) => {
    const exp = await newExperiment(store);
    const loc = (await store.getExperiment(exp)).artifact_location;
    const run = await store.createRun({
      experimentId: exp,
      userId: 'alice',
      startTime: 1_700_000_000_123,
      runName: 'first',
      tags: [{ key: 'team', value: 'x' }],
    });
    expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toEqual({
      run_id: run.info.run_id,
      run_uuid: run.info.run_id,
      run_name: 'first',
      experiment_id: exp,
      user_id: 'alice',
      status: 'RUNNING',
      start_time: 1_700_000_000_123,
      end_time: null,
      artifact_uri: joinUri(loc, run.info.run_id, 'artifacts'),
      lifecycle_stage: 'active',
    });
    expect(run.data.metrics).toEqual([]);
    expect(run.data.params).toEqual([]);
    expect(sortedKv(run.data.tags)).toEqual([
      { key: 'mlflow.runName', value: 'first' },
      { key: 'team', value: 'x' },
    ]);
    expect(run.inputs).toEqual({ dataset_inputs: [], model_inputs: [] });
    expect(run.outputs).toEqual({ model_outputs: [] });
    expect(await store.getRun(run.info.run_id)).toEqual(run);
    expect((await newRun(store, exp)).info.run_id).not.toBe(run.info.run_id);
  });

  test('artifact_uri joins the experiment location as a URI path', async (store) => {
    for (const loc of ['s3://bucket/base', 's3://bucket/base/', '/abs/root/x']) {
      const exp = await newExperiment(store, { artifactLocation: loc });
      const run = await newRun(store, exp);
      expect(run.info.artifact_uri).toBe(joinUri(loc, run.info.run_id, 'artifacts'));
    }
  });

  test('run name comes from run_name, else the mlflow.runName tag, else is generated; the tag is synced', async (store) => {
    const exp = await newExperiment(store);
    const fromTag = await newRun(store, exp, { tags: [{ key: 'mlflow.runName', value: 'tagged' }] });
    expect(fromTag.info.run_name).toBe('tagged');
    expect(tagValue(fromTag.data.tags, 'mlflow.runName')).toBe('tagged');
    const both = await newRun(store, exp, {
      runName: 'same',
      tags: [{ key: 'mlflow.runName', value: 'same' }],
    });
    expect(both.info.run_name).toBe('same');
    expect(both.data.tags.filter((t) => t.key === 'mlflow.runName')).toEqual([
      { key: 'mlflow.runName', value: 'same' },
    ]);
    const generated = await newRun(store, exp);
    expect(generated.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(generated.info.run_name.length).toBeLessThanOrEqual(20);
    expect(tagValue(generated.data.tags, 'mlflow.runName')).toBe(generated.info.run_name);
  });

  test('conflicting run_name and mlflow.runName tag is INVALID_PARAMETER_VALUE and creates nothing', async (store) => {
    const exp = await newExperiment(store);
    await expectMlflowError(
      newRun(store, exp, { runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
      'INVALID_PARAMETER_VALUE',
    );
    expect((await searchRuns(store, [exp], { viewType: 'ALL' })).items).toEqual([]);
  });

  test('create in an unknown experiment is RESOURCE_DOES_NOT_EXIST, in a deleted one INVALID_PARAMETER_VALUE', async (store) => {
    await expectMlflowError(newRun(store, '987654'), 'RESOURCE_DOES_NOT_EXIST');
    const exp = await newExperiment(store);
    await store.deleteExperiment(exp);
    await expectMlflowError(newRun(store, exp), 'INVALID_PARAMETER_VALUE');
    expect((await searchRuns(store, [exp], { viewType: 'ALL' })).items).toEqual([]);
  });

  test('a run may be created without a start time', async (store) => {
    const run = await newRun(store, '0', { startTime: null });
    expect(run.info.start_time).toBeNull();
    expect((await store.getRun(run.info.run_id)).info.start_time).toBeNull();
  });

  test('get of an unknown run is RESOURCE_DOES_NOT_EXIST', async (store) => {
    await expectMlflowError(store.getRun('0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getRun('not a run id'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('update changes only the given fields and returns the new info', async (store) => {
    const run = await newRun(store, '0', { runName: 'orig' });
    const id = run.info.run_id;
    const info = await store.updateRun(id, { status: 'FINISHED', endTime: 1_700_000_001_000 });
    expect(info).toEqual({ ...run.info, status: 'FINISHED', end_time: 1_700_000_001_000 });
    expect((await store.getRun(id)).info).toEqual(info);
    const failed = await store.updateRun(id, { status: 'FAILED' });
    expect(failed.end_time).toBe(1_700_000_001_000);
    expect(failed.run_name).toBe('orig');
    const unchanged = await store.updateRun(id, { endTime: null });
    expect(unchanged).toEqual(failed);
  });

  test('update with a run name renames the run and upserts mlflow.runName', async (store) => {
    const run = await newRun(store, '0', { runName: 'before' });
    const info = await store.updateRun(run.info.run_id, { runName: 'after' });
    expect(info.run_name).toBe('after');
    expect(info.status).toBe('RUNNING');
    const got = await store.getRun(run.info.run_id);
    expect(got.info.run_name).toBe('after');
    expect(got.data.tags.filter((t) => t.key === 'mlflow.runName')).toEqual([
      { key: 'mlflow.runName', value: 'after' },
    ]);
  });

  test('setting the mlflow.runName tag renames the run', async (store) => {
    const run = await newRun(store, '0', { runName: 'before' });
    await store.logBatch(run.info.run_id, {
      metrics: [],
      params: [],
      tags: [{ key: 'mlflow.runName', value: 'renamed' }],
    });
    expect((await store.getRun(run.info.run_id)).info.run_name).toBe('renamed');
  });

  test('every status can be set', async (store) => {
    const run = await newRun(store, '0');
    for (const status of ['SCHEDULED', 'FINISHED', 'FAILED', 'KILLED', 'RUNNING'] as const) {
      expect((await store.updateRun(run.info.run_id, { status })).status).toBe(status);
    }
  });

  test('delete and restore flip the lifecycle stage; get still returns deleted runs', async (store) => {
    const run = await newRun(store, '0');
    const id = run.info.run_id;
    await store.deleteRun(id);
    expect((await store.getRun(id)).info.lifecycle_stage).toBe('deleted');
    await store.deleteRun(id);
    await store.restoreRun(id);
    const restored = await store.getRun(id);
    expect(restored.info.lifecycle_stage).toBe('active');
    expect(restored).toEqual(run);
    await expectMlflowError(store.deleteRun('0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.restoreRun('0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('every write to a deleted run is INVALID_PARAMETER_VALUE and changes nothing', async (store) => {
    const run = await newRun(store, '0');
    await store.deleteRun(run.info.run_id);
    const before = await store.getRun(run.info.run_id);
    for (const [what, write] of writes(store, run.info.run_id)) {
      const err = await expectMlflowError(write(), 'INVALID_PARAMETER_VALUE');
      expect(err.message, what).toContain('active');
    }
    await expectUnchanged(store, before);
  });

  test('every write to an unknown run is RESOURCE_DOES_NOT_EXIST', async (store) => {
    for (const [what, write] of writes(store, '0123456789abcdef0123456789abcdef')) {
      const err = await expectMlflowError(write(), 'RESOURCE_DOES_NOT_EXIST');
      expect(err.message.length, what).toBeGreaterThan(0);
    }
  });

  test('tags: log-batch upserts, deleteTag removes, a missing tag is RESOURCE_DOES_NOT_EXIST', async (store) => {
    const run = await newRun(store, '0', { runName: 'r' });
    const id = run.info.run_id;
    await store.logBatch(id, {
      metrics: [],
      params: [],
      tags: [
        { key: 't', value: '1' },
        { key: 'T', value: 'upper' },
      ],
    });
    await store.logBatch(id, { metrics: [], params: [], tags: [{ key: 't', value: '2' }] });
    expect(sortedKv((await store.getRun(id)).data.tags)).toEqual([
      { key: 'T', value: 'upper' },
      { key: 'mlflow.runName', value: 'r' },
      { key: 't', value: '2' },
    ]);
    await store.deleteTag(id, 't');
    expect(tagValue((await store.getRun(id)).data.tags, 't')).toBeUndefined();
    await expectMlflowError(store.deleteTag(id, 't'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('params are write-once: the same value is a no-op, a different one INVALID_PARAMETER_VALUE', async (store) => {
    const run = await newRun(store, '0');
    const id = run.info.run_id;
    await store.logParam(id, { key: 'lr', value: '0.1' });
    await store.logParam(id, { key: 'lr', value: '0.1' });
    await store.logParam(id, { key: 'LR', value: 'other' });
    await store.logParam(id, { key: 'empty', value: '' });
    await expectMlflowError(store.logParam(id, { key: 'lr', value: '0.2' }), 'INVALID_PARAMETER_VALUE', 'lr');
    await store.logBatch(id, { metrics: [], params: [{ key: 'lr', value: '0.1' }], tags: [] });
    await expectMlflowError(
      store.logBatch(id, { metrics: [], params: [{ key: 'lr', value: '0.3' }], tags: [] }),
      'INVALID_PARAMETER_VALUE',
    );
    expect(sortedKv((await store.getRun(id)).data.params)).toEqual([
      { key: 'LR', value: 'other' },
      { key: 'empty', value: '' },
      { key: 'lr', value: '0.1' },
    ]);
  });

  test('log-batch is all-or-nothing: one conflicting param writes no metrics, params or tags', async (store) => {
    // Required even of stores without capabilities.transactionalLogBatch: like MLflow, they must check params
    // before they write anything.
    const run = await newRun(store, '0');
    const id = run.info.run_id;
    await store.logParam(id, { key: 'p', value: 'old' });
    const before = await store.getRun(id);
    await expectMlflowError(
      store.logBatch(id, {
        metrics: [metric('loss', 1, 10)],
        params: [
          { key: 'fresh', value: '1' },
          { key: 'p', value: 'new' },
        ],
        tags: [{ key: 'tag', value: 'x' }],
      }),
      'INVALID_PARAMETER_VALUE',
    );
    await expectUnchanged(store, before);
    expect((await store.getMetricHistory(id, 'loss', {})).items).toEqual([]);
  });

  test('log-batch writes metrics, params and tags together', async (store) => {
    const run = await newRun(store, '0', { runName: 'r' });
    const id = run.info.run_id;
    await store.logBatch(id, {
      metrics: [metric('a', 1, 10, 0), metric('b', 2, 10, 0)],
      params: [
        { key: 'p1', value: 'x' },
        { key: 'p2', value: 'y' },
      ],
      tags: [{ key: 't', value: 'z' }],
    });
    const got = await store.getRun(id);
    expect(sortedKv(got.data.params)).toEqual([
      { key: 'p1', value: 'x' },
      { key: 'p2', value: 'y' },
    ]);
    expect(tagValue(got.data.tags, 't')).toBe('z');
    expect([...got.data.metrics].sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', value: 1, timestamp: 10, step: 0 },
      { key: 'b', value: 2, timestamp: 10, step: 0 },
    ]);
  });

  test('log-inputs stores datasets with tags and deduplicates by (name, digest)', async (store) => {
    const run = await newRun(store, '0');
    const id = run.info.run_id;
    const full = { ...DATASET, schema: '{"cols":[]}', profile: '{"rows":3}' };
    const ctx = [{ key: 'mlflow.data.context', value: 'training' }];
    await store.logInputs(id, [{ dataset: full, tags: ctx }], []);
    await store.logInputs(id, [{ dataset: full, tags: ctx }], []);
    await store.logInputs(id, [{ dataset: { ...DATASET, digest: 'd2' }, tags: [] }], []);
    const got = (await store.getRun(id)).inputs.dataset_inputs;
    expect(got).toHaveLength(2);
    const byDigest = new Map(got.map((d) => [d.dataset.digest, d]));
    expect(byDigest.get('d1')).toEqual({ dataset: full, tags: ctx });
    expect(byDigest.get('d2')).toEqual({ dataset: { ...DATASET, digest: 'd2' }, tags: [] });
  });

  test('log-inputs links model inputs once; outputs are stored with their step', async (store) => {
    const run = await newRun(store, '0');
    const id = run.info.run_id;
    await store.logInputs(id, [], [{ model_id: 'm-a' }]);
    await store.logInputs(id, [], [{ model_id: 'm-a' }, { model_id: 'm-b' }]);
    await store.logOutputs(id, [{ model_id: 'm-c', step: 3 }]);
    const got = await store.getRun(id);
    expect([...got.inputs.model_inputs].sort((a, b) => a.model_id.localeCompare(b.model_id))).toEqual([
      { model_id: 'm-a' },
      { model_id: 'm-b' },
    ]);
    expect(got.outputs.model_outputs).toEqual([{ model_id: 'm-c', step: 3 }]);
  });

  test('search-datasets summarises the datasets used in experiments', async (store) => {
    const exp = await newExperiment(store);
    const a = await newRun(store, exp);
    const b = await newRun(store, exp);
    await store.logInputs(
      a.info.run_id,
      [{ dataset: DATASET, tags: [{ key: 'mlflow.data.context', value: 'eval' }] }],
      [],
    );
    await store.logInputs(b.info.run_id, [{ dataset: { ...DATASET, name: 'other' }, tags: [] }], []);
    const summaries = await store.searchDatasets([exp]);
    expect([...summaries].sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { experiment_id: exp, name: 'ds', digest: 'd1', context: 'eval' },
      { experiment_id: exp, name: 'other', digest: 'd1' },
    ]);
    expect(await store.searchDatasets(['0'])).toEqual([]);
  });
};
