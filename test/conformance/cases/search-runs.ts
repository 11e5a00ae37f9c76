import { expect } from 'vitest';
import type { TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import {
  type CaseGroup,
  collectPages,
  logMetrics,
  metric,
  newExperiment,
  newRun,
  searchRunIds,
  searchRuns,
} from './support.js';

interface Fixture {
  exp: string;
  other: string;
  /** r1..r4 active in `exp`, r5 deleted in `exp`, r6 active in `other`. */
  r: Record<'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6', string>;
}

const dataset = (name: string, digest: string) => ({
  name,
  digest,
  source_type: 'local',
  source: `/d/${name}`,
});

/**
 * r1 alpha  start 1000 u1 FINISHED end 5000  acc 0.9 loss NaN  lr 0.1 opt Adam  team Vision env prod  ds1/d1 training
 * r2 beta   start 2000 u2 RUNNING            acc 0.5           lr 0.01          team vision           ds2/d2 eval
 * r3 Gamma  start 3000 u1 RUNNING            acc 0.7 loss 0.3                   team Audio
 * r4 delta  start 3000 u3 RUNNING                              lr 0.1
 * r5 eps    start  500 (deleted)             acc 1.0
 * r6 zeta   start 4000 in the other experiment
 */
async function fixture(store: TrackingStore): Promise<Fixture> {
  const exp = await newExperiment(store);
  const other = await newExperiment(store);
  const mk = async (name: string, startTime: number, userId: string, e = exp) =>
    (await newRun(store, e, { runName: name, startTime, userId })).info.run_id;
  const r = {
    r1: await mk('alpha', 1000, 'u1'),
    r2: await mk('beta', 2000, 'u2'),
    r3: await mk('Gamma', 3000, 'u1'),
    r4: await mk('delta', 3000, 'u3'),
    r5: await mk('eps', 500, 'u1'),
    r6: await mk('zeta', 4000, 'u1', other),
  };
  await store.updateRun(r.r1, { status: 'FINISHED', endTime: 5000 });
  await store.logBatch(r.r1, {
    metrics: [metric('acc', 0.9, 1), metric('loss', Number.NaN, 1)],
    params: [
      { key: 'lr', value: '0.1' },
      { key: 'opt', value: 'Adam' },
    ],
    tags: [
      { key: 'team', value: 'Vision' },
      { key: 'env', value: 'prod' },
    ],
  });
  await store.logBatch(r.r2, {
    metrics: [metric('acc', 0.5, 1)],
    params: [{ key: 'lr', value: '0.01' }],
    tags: [{ key: 'team', value: 'vision' }],
  });
  await logMetrics(store, r.r3, [metric('acc', 0.7, 1), metric('loss', 0.3, 1)]);
  await store.logBatch(r.r3, { metrics: [], params: [], tags: [{ key: 'team', value: 'Audio' }] });
  await store.logParam(r.r4, { key: 'lr', value: '0.1' });
  await logMetrics(store, r.r5, [metric('acc', 1, 1)]);
  await store.deleteRun(r.r5);
  await store.logInputs(
    r.r1,
    [{ dataset: dataset('ds1', 'd1'), tags: [{ key: 'mlflow.data.context', value: 'training' }] }],
    [],
  );
  await store.logInputs(
    r.r2,
    [{ dataset: dataset('ds2', 'd2'), tags: [{ key: 'mlflow.data.context', value: 'eval' }] }],
    [],
  );
  return { exp, other, r };
}

/** Expected ids in the default order's tie-break for runs with equal start times: run_id ascending. */
const byId = (...ids: string[]) => [...ids].sort();

export const searchRunCases: CaseGroup = (test) => {
  test('default order is start_time DESC then run_id ASC; view types select lifecycle stages', async (store) => {
    const { exp, r } = await fixture(store);
    expect(await searchRunIds(store, [exp])).toEqual([...byId(r.r3, r.r4), r.r2, r.r1]);
    expect(await searchRunIds(store, [exp], { viewType: 'DELETED_ONLY' })).toEqual([r.r5]);
    expect(await searchRunIds(store, [exp], { viewType: 'ALL' })).toEqual([
      ...byId(r.r3, r.r4),
      r.r2,
      r.r1,
      r.r5,
    ]);
  });

  test('results carry complete runs', async (store) => {
    const { exp, r } = await fixture(store);
    const [found] = (await searchRuns(store, [exp], { filter: `attributes.run_id = '${r.r1}'` })).items;
    expect(found).toEqual(await store.getRun(r.r1));
  });

  test('searches span the listed experiments only', async (store) => {
    const { exp, other, r } = await fixture(store);
    expect(await searchRunIds(store, [exp, other])).toEqual([r.r6, ...byId(r.r3, r.r4), r.r2, r.r1]);
    expect(await searchRunIds(store, [other])).toEqual([r.r6]);
    expect(await searchRunIds(store, [])).toEqual([]);
    expect(await searchRunIds(store, ['987654'])).toEqual([]);
  });

  test('metric filters compare the latest value; a run without the metric never matches', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids('metrics.acc > 0.6')).toEqual([r.r3, r.r1]);
    expect(await ids('metrics.acc = 0.5')).toEqual([r.r2]);
    expect(await ids('metric.acc != 0.5')).toEqual([r.r3, r.r1]);
    expect(await ids('metrics.acc >= 0.7 AND metrics.acc <= 0.7')).toEqual([r.r3]);
    expect(await ids('metrics.`acc` < 0.6')).toEqual([r.r2]);
    expect(await ids('metrics.nothing > 0')).toEqual([]);
  });

  // Verified against MLflow's own server (test/compat/test_search.py): a NaN latest value behaves like IEEE NaN.
  test('a NaN latest value satisfies only !=', async (store) => {
    const { exp, r } = await fixture(store);
    expect(await searchRunIds(store, [exp], { filter: 'metrics.loss < 0.1' })).toEqual([]);
    expect(await searchRunIds(store, [exp], { filter: 'metrics.loss = 0' })).toEqual([]);
    expect(await searchRunIds(store, [exp], { filter: 'metrics.loss != 0.3' })).toEqual([r.r1]);
  });

  test('param filters: = and != need the key; LIKE is case-sensitive, ILIKE not; IS [NOT] NULL', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids("params.lr = '0.1'")).toEqual([r.r4, r.r1]);
    expect(await ids("params.lr != '0.1'")).toEqual([r.r2]);
    expect(await ids("param.opt = 'adam'")).toEqual([]);
    expect(await ids("parameters.opt LIKE 'Ad%'")).toEqual([r.r1]);
    expect(await ids("params.opt LIKE 'ad%'")).toEqual([]);
    expect(await ids("params.opt ILIKE 'AD%'")).toEqual([r.r1]);
    expect(await ids("params.lr LIKE '0.0_'")).toEqual([r.r2]);
    expect(await ids('params.lr IS NULL')).toEqual([r.r3]);
    expect(await ids('params.lr IS NOT NULL')).toEqual([r.r4, r.r2, r.r1]);
  });

  test('tag filters: = is case-sensitive, LIKE/ILIKE, IS NULL, quoted keys', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids("tags.team = 'vision'")).toEqual([r.r2]);
    expect(await ids("tags.team = 'Vision'")).toEqual([r.r1]);
    expect(await ids("tags.team ILIKE 'VISION'")).toEqual([r.r2, r.r1]);
    expect(await ids("tags.team LIKE '%ision'")).toEqual([r.r2, r.r1]);
    expect(await ids("tag.team LIKE 'V%'")).toEqual([r.r1]);
    expect(await ids("tags.team != 'Audio'")).toEqual([r.r2, r.r1]);
    expect(await ids('tags.env IS NULL')).toEqual([...byId(r.r3, r.r4), r.r2]);
    expect(await ids('tags.env IS NOT NULL')).toEqual([r.r1]);
    expect(await ids('tags.`mlflow.runName` = "Gamma"')).toEqual([r.r3]);
    expect(await ids(`tags."mlflow.runName" = 'alpha'`)).toEqual([r.r1]);
  });

  test('attribute filters: status, run_name, user_id, times, artifact_uri', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids("attributes.status = 'FINISHED'")).toEqual([r.r1]);
    expect(await ids("status != 'FINISHED'")).toEqual([...byId(r.r3, r.r4), r.r2]);
    expect(await ids("run_name = 'Gamma'")).toEqual([r.r3]);
    expect(await ids("attributes.run_name = 'gamma'")).toEqual([]);
    expect(await ids("attribute.run_name ILIKE 'gamma'")).toEqual([r.r3]);
    expect(await ids("run.run_name LIKE 'G%'")).toEqual([r.r3]);
    expect(await ids("`Run Name` = 'beta'")).toEqual([r.r2]);
    expect(await ids("attr.user_id = 'u1'")).toEqual([r.r3, r.r1]);
    expect(await ids('attributes.start_time >= 2000')).toEqual([...byId(r.r3, r.r4), r.r2]);
    expect(await ids('created < 2000')).toEqual([r.r1]);
    expect(await ids('attributes.end_time > 0')).toEqual([r.r1]);
    expect(await ids(`attributes.artifact_uri LIKE '%${r.r2}%'`)).toEqual([r.r2]);
  });

  test('run_id filters: =, IN, NOT IN; upper-case values never match', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids(`attributes.run_id = '${r.r2}'`)).toEqual([r.r2]);
    expect(await ids(`run_id IN ('${r.r1}', '${r.r2}', '${r.r6}')`)).toEqual([r.r2, r.r1]);
    expect(await ids(`run_id NOT IN ('${r.r1}', '${r.r2}')`)).toEqual(byId(r.r3, r.r4));
    expect(await ids(`run_id IN ('${r.r1.toUpperCase()}')`)).toEqual([]);
  });

  test('dataset filters: name, digest, context; each clause must match', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids("datasets.name = 'ds1'")).toEqual([r.r1]);
    expect(await ids("dataset.digest IN ('d1', 'd2')")).toEqual([r.r2, r.r1]);
    expect(await ids("datasets.digest NOT IN ('d1')")).toEqual([r.r2]);
    expect(await ids("datasets.context = 'eval'")).toEqual([r.r2]);
    expect(await ids("datasets.name LIKE 'ds%' AND datasets.context = 'training'")).toEqual([r.r1]);
    expect(await ids("datasets.name ILIKE 'DS2'")).toEqual([r.r2]);
  });

  test('clauses are AND-ed', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (filter: string) => searchRunIds(store, [exp], { filter });
    expect(await ids("metrics.acc > 0.6 AND params.lr = '0.1'")).toEqual([r.r1]);
    expect(await ids("tags.team ILIKE 'vision' and attributes.status = 'RUNNING'")).toEqual([r.r2]);
    expect(await ids("tags.team = 'Audio' AND params.lr = '0.1'")).toEqual([]);
  });

  test('order by a metric puts NaN and then missing values last, in both directions', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (orderBy: string[]) => searchRunIds(store, [exp], { orderBy });
    expect(await ids(['metrics.loss ASC'])).toEqual([r.r3, r.r1, r.r4, r.r2]);
    expect(await ids(['metrics.loss DESC'])).toEqual([r.r3, r.r1, r.r4, r.r2]);
    expect(await ids(['metrics.acc'])).toEqual([r.r2, r.r3, r.r1, r.r4]);
    expect(await ids(['metrics.`acc` DESC'])).toEqual([r.r1, r.r3, r.r2, r.r4]);
  });

  test('order by params and tags: missing values last, ties by start_time DESC then run_id', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (orderBy: string[]) => searchRunIds(store, [exp], { orderBy });
    expect(await ids(['params.lr ASC'])).toEqual([r.r2, r.r4, r.r1, r.r3]);
    expect(await ids(['params.lr DESC'])).toEqual([r.r4, r.r1, r.r2, r.r3]);
    expect(await ids(['tags.team DESC'])).toEqual([r.r2, r.r1, r.r3, r.r4]);
    expect(await ids(['tags.team ASC'])).toEqual([r.r3, r.r1, r.r2, r.r4]);
    expect(await ids(['params.lr DESC', 'metrics.acc ASC'])).toEqual([r.r1, r.r4, r.r2, r.r3]);
  });

  test('order by attributes', async (store) => {
    const { exp, r } = await fixture(store);
    const ids = (orderBy: string[]) => searchRunIds(store, [exp], { orderBy });
    expect(await ids(['attributes.run_name ASC'])).toEqual([r.r3, r.r1, r.r2, r.r4]);
    expect(await ids(['run_name DESC'])).toEqual([r.r4, r.r2, r.r1, r.r3]);
    expect(await ids(['start_time ASC'])).toEqual([r.r1, r.r2, ...byId(r.r3, r.r4)]);
    expect(await ids(['attributes.start_time DESC'])).toEqual([...byId(r.r3, r.r4), r.r2, r.r1]);
    expect(await ids(['end_time DESC'])).toEqual([r.r1, ...byId(r.r3, r.r4), r.r2]);
    expect(await ids(['user_id ASC', 'run_name ASC'])).toEqual([r.r3, r.r1, r.r2, r.r4]);
  });

  test('paging with tokens returns every run exactly once, in the unpaged order', async (store) => {
    const exp = await newExperiment(store);
    for (let i = 0; i < 7; i++) await newRun(store, exp, { startTime: 1000 + (i % 3) });
    for (const orderBy of [[], ['attributes.run_name ASC']]) {
      const full = await searchRunIds(store, [exp], { orderBy });
      expect(full).toHaveLength(7);
      const paged = await collectPages((pageToken) => {
        const q: Parameters<typeof searchRuns>[2] = { orderBy, maxResults: 3 };
        if (pageToken !== undefined) q.pageToken = pageToken;
        return searchRuns(store, [exp], q);
      });
      expect(paged.items.map((run) => run.info.run_id)).toEqual(full);
      expect(paged.pages).toBeGreaterThanOrEqual(3);
    }
  });

  test('a malformed page token is INVALID_PARAMETER_VALUE', async (store) => {
    for (const pageToken of ['%%%', 'bm90IGpzb24=', Buffer.from('{"offset": -1}').toString('base64')]) {
      await expectMlflowError(searchRuns(store, ['0'], { pageToken }), 'INVALID_PARAMETER_VALUE');
    }
  });
};
