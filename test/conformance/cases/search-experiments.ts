import { expect } from 'vitest';
import { parseExperimentFilter, parseExperimentOrderBy } from '../../../src/domain/search/experiments.js';
import type { TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, collectPages, newExperiment, searchExperimentIds, sleep } from './support.js';

interface Fixture {
  a1: string;
  a2: string;
  a3: string;
  a4: string;
}

/**
 * Created in this order, each in a later millisecond than the one before (and than Default):
 * a1 'Alpha-Exp' {team: core, tier: 1}; a2 'beta-exp' {team: Core}; a3 'gamma'; a4 'deleted-one' (deleted).
 */
async function fixture(store: TrackingStore): Promise<Fixture> {
  await sleep(2);
  const a1 = await newExperiment(store, {
    name: 'Alpha-Exp',
    tags: [
      { key: 'team', value: 'core' },
      { key: 'tier', value: '1' },
    ],
  });
  await sleep(2);
  const a2 = await newExperiment(store, { name: 'beta-exp', tags: [{ key: 'team', value: 'Core' }] });
  await sleep(2);
  const a3 = await newExperiment(store, { name: 'gamma' });
  await sleep(2);
  const a4 = await newExperiment(store, { name: 'deleted-one' });
  await store.deleteExperiment(a4);
  return { a1, a2, a3, a4 };
}

export const searchExperimentCases: CaseGroup = (test) => {
  test('default order is creation_time DESC; view types select lifecycle stages', async (store) => {
    const { a1, a2, a3, a4 } = await fixture(store);
    expect(await searchExperimentIds(store)).toEqual([a3, a2, a1, '0']);
    expect(await searchExperimentIds(store, { viewType: 'DELETED_ONLY' })).toEqual([a4]);
    expect(await searchExperimentIds(store, { viewType: 'ALL' })).toEqual([a4, a3, a2, a1, '0']);
  });

  test('results carry complete experiments', async (store) => {
    const { a1 } = await fixture(store);
    const res = await store.searchExperiments({
      viewType: 'ACTIVE_ONLY',
      maxResults: 10,
      filter: parseExperimentFilter("name = 'Alpha-Exp'"),
      orderBy: [],
    });
    expect(res.items).toEqual([await store.getExperiment(a1)]);
    expect(res.nextPageToken).toBeUndefined();
  });

  test('name filters: = and LIKE are case-sensitive, ILIKE is not', async (store) => {
    const { a1, a2, a3, a4 } = await fixture(store);
    const ids = (filter: string, viewType: 'ACTIVE_ONLY' | 'ALL' = 'ACTIVE_ONLY') =>
      searchExperimentIds(store, { filter, viewType });
    expect(await ids("name = 'gamma'")).toEqual([a3]);
    expect(await ids("name = 'GAMMA'")).toEqual([]);
    expect(await ids("name LIKE '%-exp'")).toEqual([a2]);
    expect(await ids("attribute.name ILIKE '%-EXP'")).toEqual([a2, a1]);
    expect(await ids("name != 'gamma'")).toEqual([a2, a1, '0']);
    expect(await ids("name = 'deleted-one'")).toEqual([]);
    expect(await ids("name = 'deleted-one'", 'ALL')).toEqual([a4]);
  });

  test('tag filters: =, LIKE, ILIKE, !=', async (store) => {
    const { a1, a2 } = await fixture(store);
    const ids = (filter: string) => searchExperimentIds(store, { filter });
    expect(await ids("tags.team = 'core'")).toEqual([a1]);
    expect(await ids("tag.team ILIKE 'CORE'")).toEqual([a2, a1]);
    expect(await ids("tags.team LIKE 'C%'")).toEqual([a2]);
    expect(await ids("tags.team != 'core'")).toEqual([a2]);
    expect(await ids("tags.team = 'core' AND tags.tier = '1'")).toEqual([a1]);
  });

  test('tag IS NULL and IS NOT NULL', async (store) => {
    const { a1, a2, a3 } = await fixture(store);
    expect(await searchExperimentIds(store, { filter: 'tags.tier IS NOT NULL' })).toEqual([a1]);
    expect(await searchExperimentIds(store, { filter: 'tags.tier IS NULL' })).toEqual([a3, a2, '0']);
  });

  test('creation_time and last_update_time filters', async (store) => {
    const { a1, a2, a3 } = await fixture(store);
    const t1 = (await store.getExperiment(a1)).creation_time;
    const t2 = (await store.getExperiment(a2)).creation_time;
    expect(await searchExperimentIds(store, { filter: `creation_time > ${t1}` })).toEqual([a3, a2]);
    expect(
      await searchExperimentIds(store, { filter: `creation_time <= ${t2} AND creation_time >= ${t1}` }),
    ).toEqual([a2, a1]);
    expect(await searchExperimentIds(store, { filter: `attribute.last_update_time = ${t1}` })).toEqual([a1]);
  });

  test('order by name, creation_time and experiment_id', async (store) => {
    const { a1, a2, a3 } = await fixture(store);
    const ids = (orderBy: string[]) => searchExperimentIds(store, { orderBy });
    expect(await ids(['name ASC'])).toEqual([a1, '0', a2, a3]);
    expect(await ids(['name DESC'])).toEqual([a3, a2, '0', a1]);
    expect(await ids(['creation_time ASC'])).toEqual(['0', a1, a2, a3]);
    expect(await ids(['attribute.creation_time'])).toEqual(['0', a1, a2, a3]);
    const asc = await ids(['experiment_id ASC']);
    expect([...asc].sort()).toEqual(['0', a1, a2, a3].sort());
    expect(await ids(['experiment_id DESC'])).toEqual([...asc].reverse());
  });

  test('paging with tokens returns every experiment exactly once, in the unpaged order', async (store) => {
    await fixture(store);
    for (let i = 0; i < 3; i++) await newExperiment(store);
    for (const orderBy of [[], ['name ASC']]) {
      const full = await searchExperimentIds(store, { orderBy, viewType: 'ALL' });
      expect(full).toHaveLength(8);
      const paged = await collectPages((pageToken) =>
        store.searchExperiments({
          viewType: 'ALL',
          maxResults: 3,
          filter: [],
          orderBy: parseExperimentOrderBy(orderBy),
          ...(pageToken === undefined ? {} : { pageToken }),
        }),
      );
      expect(paged.items.map((e) => e.experiment_id)).toEqual(full);
    }
  });

  test('a malformed page token is INVALID_PARAMETER_VALUE', async (store) => {
    await expectMlflowError(
      store.searchExperiments({ viewType: 'ALL', maxResults: 3, filter: [], orderBy: [], pageToken: '!!' }),
      'INVALID_PARAMETER_VALUE',
    );
  });
};
