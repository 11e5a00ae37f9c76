import { expect } from 'vitest';
import type { LoggedModel } from '../../../src/domain/entities/logged-model.js';
import { parseLoggedModelFilter } from '../../../src/domain/search/logged-models.js';
import type { LoggedModelOrder, SearchResult, TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, collectPages, joinUri, newExperiment, newRun, sleep, sortedKv } from './support.js';

async function createModel(
  store: TrackingStore,
  experimentId: string,
  opts: {
    name?: string;
    params?: { key: string; value: string }[];
    tags?: { key: string; value: string }[];
  } = {},
): Promise<LoggedModel> {
  const input: Parameters<TrackingStore['createLoggedModel']>[0] = {
    experimentId,
    params: opts.params ?? [],
    tags: opts.tags ?? [],
  };
  if (opts.name !== undefined) input.name = opts.name;
  return store.createLoggedModel(input);
}

function search(
  store: TrackingStore,
  experimentIds: string[],
  q: {
    filter?: string;
    orderBy?: LoggedModelOrder[];
    datasets?: { dataset_name: string; dataset_digest?: string }[];
    maxResults?: number;
    pageToken?: string;
  } = {},
): Promise<SearchResult<LoggedModel>> {
  return store.searchLoggedModels({
    experimentIds,
    filter: parseLoggedModelFilter(q.filter),
    datasets: q.datasets ?? [],
    maxResults: q.maxResults ?? 50,
    orderBy: q.orderBy ?? [],
    ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
  });
}

async function ids(store: TrackingStore, experimentIds: string[], q: Parameters<typeof search>[2] = {}) {
  return (await search(store, experimentIds, q)).items.map((m) => m.info.model_id);
}

/** Logs model metrics through a run's log-batch (the only way metrics reach a logged model). */
async function logModelMetric(
  store: TrackingStore,
  runId: string,
  modelId: string,
  key: string,
  value: number,
  timestamp: number,
  dataset?: { name: string; digest: string },
): Promise<void> {
  await store.logBatch(runId, {
    metrics: [
      {
        key,
        value,
        timestamp,
        step: 0,
        model_id: modelId,
        ...(dataset ? { dataset_name: dataset.name, dataset_digest: dataset.digest } : {}),
      },
    ],
    params: [],
    tags: [],
  });
}

export const loggedModelCases: CaseGroup = (test) => {
  test('create returns a pending model with params, tags and MLflow ids', async (store) => {
    const exp = await newExperiment(store);
    const loc = (await store.getExperiment(exp)).artifact_location;
    const run = await newRun(store, exp);
    const before = Date.now();
    const m = await store.createLoggedModel({
      experimentId: exp,
      name: 'my_model',
      modelType: 'sklearn',
      sourceRunId: run.info.run_id,
      params: [{ key: 'alpha', value: '0.5' }],
      tags: [{ key: 'owner', value: 'me' }],
    });
    expect(m.info.model_id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(m.info).toMatchObject({
      experiment_id: exp,
      name: 'my_model',
      artifact_uri: joinUri(loc, 'models', m.info.model_id, 'artifacts'),
      status: 'LOGGED_MODEL_PENDING',
      model_type: 'sklearn',
      source_run_id: run.info.run_id,
      tags: [{ key: 'owner', value: 'me' }],
      registrations: [],
    });
    expect(m.info.creation_timestamp_ms).toBeGreaterThanOrEqual(before);
    expect(m.info.last_updated_timestamp_ms).toBeGreaterThanOrEqual(m.info.creation_timestamp_ms);
    expect(m.data).toEqual({ params: [{ key: 'alpha', value: '0.5' }], metrics: [] });
    expect(await store.getLoggedModel(m.info.model_id)).toEqual(m);
  });

  test('a model without a name gets a generated one', async (store) => {
    const m = await createModel(store, '0');
    expect(m.info.name).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(m.info.model_type).toBeUndefined();
    expect(m.info.source_run_id).toBeUndefined();
  });

  test('create needs an existing, active experiment', async (store) => {
    await expectMlflowError(createModel(store, '987654'), 'RESOURCE_DOES_NOT_EXIST');
    const exp = await newExperiment(store);
    await store.deleteExperiment(exp);
    await expectMlflowError(createModel(store, exp), 'INVALID_PARAMETER_VALUE');
    await store.restoreExperiment(exp);
    expect(await ids(store, [exp])).toEqual([]);
  });

  test('finalize sets the status and bumps last_updated_timestamp_ms', async (store) => {
    const m = await createModel(store, '0');
    await sleep(2);
    const ready = await store.finalizeLoggedModel(m.info.model_id, 'LOGGED_MODEL_READY');
    expect(ready.info.status).toBe('LOGGED_MODEL_READY');
    expect(ready.info.last_updated_timestamp_ms).toBeGreaterThan(m.info.last_updated_timestamp_ms);
    expect(await store.getLoggedModel(m.info.model_id)).toEqual(ready);
    const failed = await store.finalizeLoggedModel(m.info.model_id, 'LOGGED_MODEL_UPLOAD_FAILED');
    expect(failed.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });

  test('tags upsert and delete; a missing tag is RESOURCE_DOES_NOT_EXIST', async (store) => {
    const m = await createModel(store, '0', { tags: [{ key: 'a', value: '1' }] });
    const id = m.info.model_id;
    await store.setLoggedModelTags(id, [
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
    ]);
    expect(sortedKv((await store.getLoggedModel(id)).info.tags)).toEqual([
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
    ]);
    await store.deleteLoggedModelTag(id, 'a');
    expect((await store.getLoggedModel(id)).info.tags).toEqual([{ key: 'b', value: '3' }]);
    await expectMlflowError(store.deleteLoggedModelTag(id, 'a'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('log params adds params', async (store) => {
    const m = await createModel(store, '0', { params: [{ key: 'p1', value: 'x' }] });
    await store.logLoggedModelParams(m.info.model_id, [
      { key: 'p2', value: 'y' },
      { key: 'p3', value: 'z' },
    ]);
    expect(sortedKv((await store.getLoggedModel(m.info.model_id)).data.params)).toEqual([
      { key: 'p1', value: 'x' },
      { key: 'p2', value: 'y' },
      { key: 'p3', value: 'z' },
    ]);
  });

  test('metrics logged by a run with a model_id appear on the model', async (store) => {
    const m = await createModel(store, '0');
    const run = await newRun(store, '0');
    await logModelMetric(store, run.info.run_id, m.info.model_id, 'acc', 0.8, 100, {
      name: 'ds',
      digest: 'd',
    });
    const got = await store.getLoggedModel(m.info.model_id);
    expect(got.data.metrics).toEqual([
      {
        key: 'acc',
        value: 0.8,
        timestamp: 100,
        step: 0,
        model_id: m.info.model_id,
        run_id: run.info.run_id,
        dataset_name: 'ds',
        dataset_digest: 'd',
      },
    ]);
  });

  test('deleted models are gone: get, writes and a second delete are RESOURCE_DOES_NOT_EXIST', async (store) => {
    const m = await createModel(store, '0', { tags: [{ key: 't', value: '1' }] });
    const id = m.info.model_id;
    await store.deleteLoggedModel(id);
    await expectMlflowError(store.getLoggedModel(id), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteLoggedModel(id), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.finalizeLoggedModel(id, 'LOGGED_MODEL_READY'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.setLoggedModelTags(id, [{ key: 'a', value: 'b' }]),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.deleteLoggedModelTag(id, 't'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.logLoggedModelParams(id, [{ key: 'a', value: 'b' }]),
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(await ids(store, ['0'])).toEqual([]);
    await expectMlflowError(
      store.getLoggedModel('m-0123456789abcdef0123456789abcdef'),
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  test('search filters on attributes, params, tags and metrics', async (store) => {
    const exp = await newExperiment(store);
    const run = await newRun(store, exp);
    const a = await createModel(store, exp, { name: 'model_a', params: [{ key: 'lr', value: '0.1' }] });
    await sleep(2);
    const b = await createModel(store, exp, { name: 'model_b', tags: [{ key: 'stage', value: 'prod' }] });
    await sleep(2);
    const c = await createModel(store, exp, { name: 'Model_C' });
    await store.finalizeLoggedModel(b.info.model_id, 'LOGGED_MODEL_READY');
    await logModelMetric(store, run.info.run_id, a.info.model_id, 'acc', 0.9, 1);
    await logModelMetric(store, run.info.run_id, b.info.model_id, 'acc', 0.4, 1);
    const [ia, ib, ic] = [a.info.model_id, b.info.model_id, c.info.model_id];
    const q = (filter: string) => ids(store, [exp], { filter });
    expect(await q("name = 'model_a'")).toEqual([ia]);
    expect(await q("attributes.name LIKE 'model%'")).toEqual([ib, ia]);
    expect(await q("name ILIKE 'MODEL%'")).toEqual([ic, ib, ia]);
    expect(await q(`name IN ('model_a', 'Model_C')`)).toEqual([ic, ia]);
    expect(await q("status = 'LOGGED_MODEL_READY'")).toEqual([ib]);
    expect(await q("params.lr = '0.1'")).toEqual([ia]);
    expect(await q("tags.stage = 'prod'")).toEqual([ib]);
    expect(await q('metrics.acc > 0.5')).toEqual([ia]);
    expect(await q('metrics.acc < 1')).toEqual([ib, ia]);
    expect(await q(`creation_timestamp_ms >= ${c.info.creation_timestamp_ms}`)).toEqual([ic]);
    expect(await q(`source_run_id = '${run.info.run_id}'`)).toEqual([]);
  });

  test('search orders by attributes and metrics, missing metrics last; default creation time DESC', async (store) => {
    const exp = await newExperiment(store);
    const run = await newRun(store, exp);
    const a = await createModel(store, exp, { name: 'b_model' });
    await sleep(2);
    const b = await createModel(store, exp, { name: 'a_model' });
    await sleep(2);
    const c = await createModel(store, exp, { name: 'c_model' });
    await logModelMetric(store, run.info.run_id, a.info.model_id, 'acc', 0.9, 1);
    await logModelMetric(store, run.info.run_id, a.info.model_id, 'acc', 0.1, 2);
    await logModelMetric(store, run.info.run_id, b.info.model_id, 'acc', 0.5, 1);
    const [ia, ib, ic] = [a.info.model_id, b.info.model_id, c.info.model_id];
    expect(await ids(store, [exp])).toEqual([ic, ib, ia]);
    expect(await ids(store, [exp], { orderBy: [{ field_name: 'name', ascending: true }] })).toEqual([
      ib,
      ia,
      ic,
    ]);
    expect(
      await ids(store, [exp], { orderBy: [{ field_name: 'creation_timestamp_ms', ascending: true }] }),
    ).toEqual([ia, ib, ic]);
    expect(await ids(store, [exp], { orderBy: [{ field_name: 'metrics.acc', ascending: true }] })).toEqual([
      ia,
      ib,
      ic,
    ]);
    expect(await ids(store, [exp], { orderBy: [{ field_name: 'metrics.acc', ascending: false }] })).toEqual([
      ib,
      ia,
      ic,
    ]);
  });

  test('search with datasets keeps models that have metrics on them', async (store) => {
    const exp = await newExperiment(store);
    const run = await newRun(store, exp);
    const a = await createModel(store, exp);
    const b = await createModel(store, exp);
    await createModel(store, exp);
    await logModelMetric(store, run.info.run_id, a.info.model_id, 'acc', 0.9, 1, {
      name: 'train',
      digest: 'd1',
    });
    await logModelMetric(store, run.info.run_id, b.info.model_id, 'acc', 0.2, 1, {
      name: 'eval',
      digest: 'd2',
    });
    expect(await ids(store, [exp], { datasets: [{ dataset_name: 'train' }] })).toEqual([a.info.model_id]);
    expect(await ids(store, [exp], { datasets: [{ dataset_name: 'eval', dataset_digest: 'd2' }] })).toEqual([
      b.info.model_id,
    ]);
    expect(
      await ids(store, [exp], { datasets: [{ dataset_name: 'eval', dataset_digest: 'other' }] }),
    ).toEqual([]);
    expect(
      await ids(store, [exp], { filter: 'metrics.acc > 0.5', datasets: [{ dataset_name: 'eval' }] }),
    ).toEqual([]);
  });

  test('search spans the listed experiments; paging returns every model exactly once', async (store) => {
    const e1 = await newExperiment(store);
    const e2 = await newExperiment(store);
    for (let i = 0; i < 4; i++) await createModel(store, e1);
    for (let i = 0; i < 3; i++) await createModel(store, e2);
    expect(await ids(store, [e2])).toHaveLength(3);
    const full = await ids(store, [e1, e2]);
    expect(full).toHaveLength(7);
    const paged = await collectPages((pageToken) =>
      search(store, [e1, e2], { maxResults: 2, ...(pageToken === undefined ? {} : { pageToken }) }),
    );
    expect(paged.items.map((m) => m.info.model_id)).toEqual(full);
    expect(paged.pages).toBeGreaterThanOrEqual(4);
  });
};
