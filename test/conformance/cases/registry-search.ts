import { expect } from 'vitest';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import {
  modelNames,
  newModel,
  newVersion,
  PROMPT_TAG,
  searchModels,
  searchVersions,
  versionKeys,
} from './registry-support.js';
import { type CaseGroup, collectPages, sleep } from './support.js';

export const registrySearchCases: CaseGroup = (test) => {
  test('search registered models: name =, !=, LIKE, ILIKE, IN and tag filters', async (store) => {
    await newModel(store, 'Alpha', { tags: [{ key: 'team', value: 'core' }] });
    await newModel(store, 'alpha-2', {
      tags: [
        { key: 'team', value: 'Core' },
        { key: 'tier', value: '1' },
      ],
    });
    await newModel(store, 'beta');
    const names = (filter: string) => modelNames(store, { filter });
    expect(await names('')).toEqual(['Alpha', 'alpha-2', 'beta']);
    expect(await names("name = 'Alpha'")).toEqual(['Alpha']);
    expect(await names("name = 'alpha'")).toEqual([]);
    expect(await names("name != 'beta'")).toEqual(['Alpha', 'alpha-2']);
    expect(await names("name LIKE 'alpha%'")).toEqual(['alpha-2']);
    expect(await names("attribute.name ILIKE 'ALPHA%'")).toEqual(['Alpha', 'alpha-2']);
    expect(await names("name IN ('beta', 'Alpha', 'zeta')")).toEqual(['Alpha', 'beta']);
    expect(await names("name NOT IN ('beta')")).toEqual(['Alpha', 'alpha-2']);
    expect(await names("tags.team = 'core'")).toEqual(['Alpha']);
    expect(await names("tag.team ILIKE 'CORE'")).toEqual(['Alpha', 'alpha-2']);
    expect(await names("tags.team LIKE 'C%'")).toEqual(['alpha-2']);
    expect(await names("tags.team != 'core'")).toEqual(['alpha-2']);
    expect(await names("tags.team ILIKE 'core' AND tags.tier = '1'")).toEqual(['alpha-2']);
    expect(await names("name ILIKE 'a%' AND tags.tier = '2'")).toEqual([]);
    const res = await searchModels(store, { filter: "name = 'alpha-2'" });
    expect(res.items).toEqual([await store.getRegisteredModel('alpha-2')]);
    expect(res.nextPageToken).toBeUndefined();
  });

  test('search registered models excludes prompts unless asked for', async (store) => {
    await newModel(store, 'model-1');
    await newModel(store, 'prompt-1', { tags: [{ key: PROMPT_TAG, value: 'true' }] });
    expect(await modelNames(store)).toEqual(['model-1']);
    expect(await modelNames(store, { filter: "name LIKE '%-1'" })).toEqual(['model-1']);
    const prompts = "tags.`mlflow.prompt.is_prompt` = 'true'";
    expect(await modelNames(store, { filter: prompts, includePrompts: true })).toEqual(['prompt-1']);
    expect(await modelNames(store, { includePrompts: true })).toEqual(['model-1', 'prompt-1']);
  });

  test('search registered models: order by name or last_updated_timestamp; paging', async (store) => {
    for (const n of ['c', 'a', 'e', 'b', 'd']) {
      await newModel(store, n);
      await sleep(2);
    }
    await store.updateRegisteredModel('a', 'bumped');
    expect(await modelNames(store)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await modelNames(store, { orderBy: ['name DESC'] })).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(await modelNames(store, { orderBy: ['last_updated_timestamp DESC'] })).toEqual([
      'a',
      'd',
      'b',
      'e',
      'c',
    ]);
    expect(await modelNames(store, { orderBy: ['timestamp'] })).toEqual(['c', 'e', 'b', 'd', 'a']);

    const { items, pages } = await collectPages((pageToken) =>
      searchModels(store, { maxResults: 2, orderBy: ['name DESC'], ...(pageToken ? { pageToken } : {}) }),
    );
    expect(items.map((m) => m.name)).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(pages).toBe(3);
    const exact = await searchModels(store, { maxResults: 5 });
    expect(exact.items).toHaveLength(5);
    expect(exact.nextPageToken).toBeUndefined();
    await expectMlflowError(searchModels(store, { pageToken: 'not a token' }), 'INVALID_PARAMETER_VALUE');
  });

  test('search model versions: name, run_id, version_number, source_path and tag filters', async (store) => {
    await newModel(store, 'mv-a');
    await newModel(store, 'mv-b');
    await newVersion(store, 'mv-a', {
      source: 's3://b/a/1',
      runId: 'r1',
      tags: [{ key: 'stage', value: 'dev' }],
    });
    await newVersion(store, 'mv-a', {
      source: 's3://b/a/2',
      runId: 'r2',
      tags: [{ key: 'stage', value: 'prod' }],
    });
    await newVersion(store, 'mv-a', { source: 'gs://x/a/3', runId: 'r1' });
    await newVersion(store, 'mv-a', { source: 's3://b/a/4', runId: 'r1' });
    await store.deleteModelVersion('mv-a', 4);
    await newVersion(store, 'mv-b', { source: 's3://b/b/1', runId: 'r3' });
    const keys = (filter: string) =>
      versionKeys(store, { filter, orderBy: ['name ASC', 'version_number ASC'] });
    expect(await keys('')).toEqual(['mv-a/1', 'mv-a/2', 'mv-a/3', 'mv-b/1']);
    expect(await keys("name = 'mv-a'")).toEqual(['mv-a/1', 'mv-a/2', 'mv-a/3']);
    expect(await keys("name IN ('mv-b', 'zz')")).toEqual(['mv-b/1']);
    expect(await keys("name ILIKE 'MV-%'")).toEqual(['mv-a/1', 'mv-a/2', 'mv-a/3', 'mv-b/1']);
    expect(await keys("run_id = 'r1'")).toEqual(['mv-a/1', 'mv-a/3']);
    expect(await keys("run_id IN ('r2', 'r3')")).toEqual(['mv-a/2', 'mv-b/1']);
    expect(await keys("run_id != 'r1'")).toEqual(['mv-a/2', 'mv-b/1']);
    expect(await keys('version_number = 2')).toEqual(['mv-a/2']);
    expect(await keys('version_number > 1')).toEqual(['mv-a/2', 'mv-a/3']);
    expect(await keys("version_number <= '2'")).toEqual(['mv-a/1', 'mv-a/2', 'mv-b/1']);
    expect(await keys('version_number != 1')).toEqual(['mv-a/2', 'mv-a/3']);
    expect(await keys("name = 'mv-a' AND version_number >= 2 AND version_number < 3")).toEqual(['mv-a/2']);
    expect(await keys("source_path LIKE 's3://%'")).toEqual(['mv-a/1', 'mv-a/2', 'mv-b/1']);
    expect(await keys("source_path = 'gs://x/a/3'")).toEqual(['mv-a/3']);
    expect(await keys("source_path ILIKE 'S3://B/A/%'")).toEqual(['mv-a/1', 'mv-a/2']);
    expect(await keys("tags.stage = 'prod'")).toEqual(['mv-a/2']);
    expect(await keys("tag.stage ILIKE 'DEV'")).toEqual(['mv-a/1']);
    expect(await keys("tags.stage != 'dev'")).toEqual(['mv-a/2']);
    expect(await keys("run_id = 'REDACTED-RUN-ID'")).toEqual([]);
  });

  test('search model versions: default order and explicit order_by; paging', async (store) => {
    await newModel(store, 'x');
    await newModel(store, 'y');
    await newVersion(store, 'x');
    await sleep(2);
    await newVersion(store, 'x');
    await sleep(2);
    await newVersion(store, 'y');
    await sleep(2);
    await store.updateModelVersion('x', 1, 'bumped');
    expect(await versionKeys(store)).toEqual(['x/1', 'y/1', 'x/2']);
    expect(await versionKeys(store, { orderBy: ['version_number DESC'] })).toEqual(['x/2', 'x/1', 'y/1']);
    expect(await versionKeys(store, { orderBy: ['creation_timestamp ASC'] })).toEqual(['x/1', 'x/2', 'y/1']);
    expect(await versionKeys(store, { orderBy: ['name DESC'] })).toEqual(['y/1', 'x/2', 'x/1']);
    expect(await versionKeys(store, { orderBy: ['attribute.last_updated_timestamp ASC'] })).toEqual([
      'x/2',
      'y/1',
      'x/1',
    ]);
    const { items, pages } = await collectPages((pageToken) =>
      searchVersions(store, { maxResults: 1, ...(pageToken ? { pageToken } : {}) }),
    );
    expect(items.map((v) => `${v.name}/${v.version}`)).toEqual(['x/1', 'y/1', 'x/2']);
    expect(pages).toBe(3);
  });

  test('search model versions excludes prompt versions unless asked for', async (store) => {
    await newModel(store, 'plain');
    await newVersion(store, 'plain');
    await newModel(store, 'prompt', { tags: [{ key: PROMPT_TAG, value: 'true' }] });
    await newVersion(store, 'prompt', {
      source: 'prompt-template',
      tags: [
        { key: PROMPT_TAG, value: 'true' },
        { key: 'mlflow.prompt.text', value: 'Hello {{name}}' },
      ],
    });
    expect(await versionKeys(store)).toEqual(['plain/1']);
    const prompts = "tags.`mlflow.prompt.is_prompt` = 'true'";
    expect(await versionKeys(store, { filter: prompts, includePrompts: true })).toEqual(['prompt/1']);
    expect((await versionKeys(store, { includePrompts: true })).sort()).toEqual(['plain/1', 'prompt/1']);
  });

  test('32 concurrent version creations get exactly versions 1..32', async (store) => {
    await newModel(store, 'race');
    const created = await Promise.all(
      Array.from({ length: 32 }, (_, i) => newVersion(store, 'race', { source: `s3://bucket/race/${i}` })),
    );
    const numbers = created.map((v) => Number(v.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(new Set(created.map((v) => v.source)).size).toBe(32);
    expect((await searchVersions(store, { filter: "name = 'race'" })).items).toHaveLength(32);
    expect((await store.getModelVersionByAlias('race', 'latest')).version).toBe('32');
  });
};
