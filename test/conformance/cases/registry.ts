import { expect } from 'vitest';
import type { ModelVersion, RegisteredModel, Stage } from '../../../src/domain/entities/registry.js';
import {
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '../../../src/domain/search/registry.js';
import type { SearchResult, TrackingStore } from '../../../src/store/types.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import { type CaseGroup, collectPages, sleep, sortedKv } from './support.js';

/** The model registry (reference 1.4, 4.4, 4.5, 5.9): store semantics only; source rules live in the API tests. */

const PROMPT_TAG = 'mlflow.prompt.is_prompt';

function newModel(
  store: TrackingStore,
  name: string,
  opts: { tags?: { key: string; value: string }[]; description?: string } = {},
): Promise<RegisteredModel> {
  const input: Parameters<TrackingStore['createRegisteredModel']>[0] = { name, tags: opts.tags ?? [] };
  if (opts.description !== undefined) input.description = opts.description;
  return store.createRegisteredModel(input);
}

function newVersion(
  store: TrackingStore,
  name: string,
  opts: Partial<Omit<Parameters<TrackingStore['createModelVersion']>[0], 'name'>> = {},
): Promise<ModelVersion> {
  return store.createModelVersion({ name, source: `s3://bucket/${name}`, tags: [], ...opts });
}

interface SearchQ {
  filter?: string;
  orderBy?: string[];
  includePrompts?: boolean;
  maxResults?: number;
  pageToken?: string;
}

function searchModels(store: TrackingStore, q: SearchQ = {}): Promise<SearchResult<RegisteredModel>> {
  return store.searchRegisteredModels({
    filter: parseRegisteredModelFilter(q.filter),
    includePrompts: q.includePrompts ?? false,
    maxResults: q.maxResults ?? 1000,
    orderBy: parseRegisteredModelOrderBy(q.orderBy ?? []),
    ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
  });
}

async function modelNames(store: TrackingStore, q: SearchQ = {}): Promise<string[]> {
  return (await searchModels(store, q)).items.map((m) => m.name);
}

function searchVersions(store: TrackingStore, q: SearchQ = {}): Promise<SearchResult<ModelVersion>> {
  return store.searchModelVersions({
    filter: parseModelVersionFilter(q.filter),
    includePrompts: q.includePrompts ?? false,
    maxResults: q.maxResults ?? 200000,
    orderBy: parseModelVersionOrderBy(q.orderBy ?? []),
    ...(q.pageToken === undefined ? {} : { pageToken: q.pageToken }),
  });
}

/** `name/version` of each hit, in result order. */
async function versionKeys(store: TrackingStore, q: SearchQ = {}): Promise<string[]> {
  return (await searchVersions(store, q)).items.map((v) => `${v.name}/${v.version}`);
}

const byVersion = (vs: readonly ModelVersion[]) =>
  [...vs].sort((a, b) => Number(a.version) - Number(b.version)).map((v) => `${v.version}:${v.current_stage}`);

export const registryCases: CaseGroup = (test) => {
  test('create and get a registered model with tags and description', async (store) => {
    const before = Date.now();
    const m = await newModel(store, 'reg-a', {
      tags: [{ key: 'team', value: 'core' }],
      description: 'first',
    });
    expect(m).toEqual({
      name: 'reg-a',
      creation_timestamp: m.creation_timestamp,
      last_updated_timestamp: m.creation_timestamp,
      description: 'first',
      latest_versions: [],
      tags: [{ key: 'team', value: 'core' }],
      aliases: [],
    });
    expect(m.creation_timestamp).toBeGreaterThanOrEqual(before);
    expect(await store.getRegisteredModel('reg-a')).toEqual(m);
    const bare = await newModel(store, 'reg-b');
    expect(bare.description).toBeUndefined();
    expect(bare.user_id).toBeUndefined();
    expect(bare.tags).toEqual([]);
  });

  test('a duplicate name is RESOURCE_ALREADY_EXISTS; models and prompts cannot share a name', async (store) => {
    await newModel(store, 'dup');
    await expectMlflowError(
      newModel(store, 'dup'),
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=dup) already exists.',
    );
    await expectMlflowError(
      newModel(store, 'dup', { tags: [{ key: PROMPT_TAG, value: 'true' }] }),
      'RESOURCE_ALREADY_EXISTS',
      'a model with the same name already exists',
    );
    await newModel(store, 'a-prompt', { tags: [{ key: PROMPT_TAG, value: 'true' }] });
    await expectMlflowError(
      newModel(store, 'a-prompt'),
      'RESOURCE_ALREADY_EXISTS',
      'a prompt with the same name already exists',
    );
    expect(await modelNames(store, { includePrompts: true })).toEqual(['a-prompt', 'dup']);
  });

  test('unknown models are RESOURCE_DOES_NOT_EXIST', async (store) => {
    await expectMlflowError(
      store.getRegisteredModel('nope'),
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=nope not found',
    );
    await expectMlflowError(store.renameRegisteredModel('nope', 'x'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.updateRegisteredModel('nope', 'd'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteRegisteredModel('nope'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.setRegisteredModelTag('nope', { key: 'k', value: 'v' }),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.deleteRegisteredModelTag('nope', 'k'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(newVersion(store, 'nope'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getLatestVersions('nope', []), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getModelVersionByAlias('nope', 'a'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.setRegisteredModelAlias('nope', 'a', 1), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteRegisteredModelAlias('nope', 'a'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('rename carries versions, tags and aliases along; a clash is RESOURCE_ALREADY_EXISTS', async (store) => {
    const m = await newModel(store, 'old', { tags: [{ key: 't', value: '1' }] });
    await newVersion(store, 'old');
    await newVersion(store, 'old');
    await store.setRegisteredModelAlias('old', 'champion', 2);
    await sleep(2);
    const renamed = await store.renameRegisteredModel('old', 'new');
    expect(renamed.name).toBe('new');
    expect(renamed.last_updated_timestamp).toBeGreaterThan(m.last_updated_timestamp);
    expect(renamed.tags).toEqual([{ key: 't', value: '1' }]);
    expect(renamed.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(renamed.latest_versions.map((v) => `${v.name}/${v.version}`)).toEqual(['new/2']);
    expect(await store.getRegisteredModel('new')).toEqual(renamed);
    await expectMlflowError(store.getRegisteredModel('old'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getModelVersion('old', 1), 'RESOURCE_DOES_NOT_EXIST');
    expect((await store.getModelVersion('new', 1)).name).toBe('new');
    expect((await store.getModelVersionByAlias('new', 'champion')).version).toBe('2');
    expect(await versionKeys(store, { filter: "name = 'new'" })).toEqual(['new/2', 'new/1']);
    expect(await versionKeys(store, { filter: "name = 'old'" })).toEqual([]);
    expect((await newVersion(store, 'new')).version).toBe('3');

    await newModel(store, 'other');
    await expectMlflowError(
      store.renameRegisteredModel('new', 'other'),
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=other) already exists.',
    );
    expect((await store.getRegisteredModel('new')).latest_versions.map((v) => v.version)).toEqual(['3']);
    expect((await store.getRegisteredModel('other')).latest_versions).toEqual([]);
  });

  test('update sets and clears the description and bumps last_updated_timestamp', async (store) => {
    const m = await newModel(store, 'upd', { description: 'a' });
    await sleep(2);
    const u = await store.updateRegisteredModel('upd', 'b');
    expect(u.description).toBe('b');
    expect(u.creation_timestamp).toBe(m.creation_timestamp);
    expect(u.last_updated_timestamp).toBeGreaterThan(m.last_updated_timestamp);
    expect(await store.getRegisteredModel('upd')).toEqual(u);
    const cleared = await store.updateRegisteredModel('upd', undefined);
    expect(cleared.description).toBeUndefined();
  });

  test('delete is hard: versions, tags and aliases are gone and the name can be reused', async (store) => {
    await newModel(store, 'gone', { tags: [{ key: 't', value: '1' }] });
    await newVersion(store, 'gone', { tags: [{ key: 'vt', value: 'x' }] });
    await newVersion(store, 'gone');
    await store.setRegisteredModelAlias('gone', 'champion', 1);
    await store.deleteRegisteredModel('gone');
    await expectMlflowError(store.getRegisteredModel('gone'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getModelVersion('gone', 1), 'RESOURCE_DOES_NOT_EXIST');
    expect(await modelNames(store)).toEqual([]);
    expect(await versionKeys(store)).toEqual([]);

    const again = await newModel(store, 'gone');
    expect(again.tags).toEqual([]);
    expect(again.aliases).toEqual([]);
    expect(again.latest_versions).toEqual([]);
    const v1 = await newVersion(store, 'gone');
    expect(v1.version).toBe('1');
    expect(v1.tags).toEqual([]);
    expect(v1.aliases).toEqual([]);
    await expectMlflowError(store.getModelVersionByAlias('gone', 'champion'), 'INVALID_PARAMETER_VALUE');
  });

  test('registered model tags: set upserts, delete removes, deleting a missing tag is fine', async (store) => {
    await newModel(store, 'tagged', { tags: [{ key: 'a', value: '1' }] });
    await store.setRegisteredModelTag('tagged', { key: 'a', value: '2' });
    await store.setRegisteredModelTag('tagged', { key: 'b', value: '' });
    expect(sortedKv((await store.getRegisteredModel('tagged')).tags)).toEqual([
      { key: 'a', value: '2' },
      { key: 'b', value: '' },
    ]);
    await store.deleteRegisteredModelTag('tagged', 'a');
    await store.deleteRegisteredModelTag('tagged', 'never-set');
    expect((await store.getRegisteredModel('tagged')).tags).toEqual([{ key: 'b', value: '' }]);
  });

  test('versions are numbered 1, 2, ..., READY at once, and bump the model', async (store) => {
    const m = await newModel(store, 'nums');
    await sleep(2);
    const v1 = await store.createModelVersion({
      name: 'nums',
      source: 's3://bucket/nums/1',
      runId: 'run-1',
      runLink: 'http://example.com/run-1',
      description: 'first',
      tags: [{ key: 'k', value: 'v' }],
    });
    expect(v1).toEqual({
      name: 'nums',
      version: '1',
      creation_timestamp: v1.creation_timestamp,
      last_updated_timestamp: v1.creation_timestamp,
      current_stage: 'None',
      description: 'first',
      source: 's3://bucket/nums/1',
      run_id: 'run-1',
      run_link: 'http://example.com/run-1',
      status: 'READY',
      tags: [{ key: 'k', value: 'v' }],
      aliases: [],
    });
    expect(await store.getModelVersion('nums', 1)).toEqual(v1);
    const after1 = await store.getRegisteredModel('nums');
    expect(after1.last_updated_timestamp).toBeGreaterThan(m.last_updated_timestamp);
    expect(after1.last_updated_timestamp).toBe(v1.creation_timestamp);
    expect(after1.latest_versions).toEqual([v1]);

    await sleep(2);
    const v2 = await newVersion(store, 'nums');
    expect(v2.version).toBe('2');
    expect(v2.description).toBeUndefined();
    expect(v2.run_id).toBeUndefined();
    expect(v2.run_link).toBeUndefined();
    expect(v2.user_id).toBeUndefined();
    expect(v2.model_id).toBeUndefined();
    const after2 = await store.getRegisteredModel('nums');
    expect(after2.last_updated_timestamp).toBe(v2.creation_timestamp);
    expect(after2.latest_versions).toEqual([v2]);
    expect((await newVersion(store, 'nums', { modelId: 'm-0123' })).model_id).toBe('m-0123');
  });

  test('get and update a version; unknown versions are RESOURCE_DOES_NOT_EXIST', async (store) => {
    await newModel(store, 'gv');
    const v = await newVersion(store, 'gv', { description: 'a' });
    await sleep(2);
    const u = await store.updateModelVersion('gv', 1, 'b');
    expect(u.description).toBe('b');
    expect(u.last_updated_timestamp).toBeGreaterThan(v.last_updated_timestamp);
    expect(await store.getModelVersion('gv', 1)).toEqual(u);
    expect((await store.updateModelVersion('gv', 1, undefined)).description).toBeUndefined();
    await expectMlflowError(
      store.getModelVersion('gv', 9),
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=gv, version=9) not found',
    );
    await expectMlflowError(store.getModelVersion('nope', 1), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.updateModelVersion('gv', 9, 'x'), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.transitionModelVersionStage('gv', 9, 'Staging', false),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.deleteModelVersion('gv', 9), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getModelVersionDownloadUri('gv', 9), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.setRegisteredModelAlias('gv', 'a', 9), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('version tags: set upserts, delete removes; an unknown version is RESOURCE_DOES_NOT_EXIST', async (store) => {
    await newModel(store, 'vt');
    await newVersion(store, 'vt', { tags: [{ key: 'a', value: '1' }] });
    await store.setModelVersionTag('vt', 1, { key: 'a', value: '2' });
    await store.setModelVersionTag('vt', 1, { key: 'b', value: '3' });
    expect(sortedKv((await store.getModelVersion('vt', 1)).tags)).toEqual([
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
    ]);
    await store.deleteModelVersionTag('vt', 1, 'a');
    expect((await store.getModelVersion('vt', 1)).tags).toEqual([{ key: 'b', value: '3' }]);
    await expectMlflowError(
      store.setModelVersionTag('vt', 2, { key: 'a', value: '1' }),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.deleteModelVersionTag('vt', 2, 'a'), 'RESOURCE_DOES_NOT_EXIST');
  });

  test('delete version is soft: hidden from get and search, number never reused, aliases removed', async (store) => {
    await newModel(store, 'soft');
    await newVersion(store, 'soft', { runId: 'r-soft' });
    const v2 = await newVersion(store, 'soft');
    await newVersion(store, 'soft', { runId: 'r-soft' });
    await store.transitionModelVersionStage('soft', 3, 'Production', false);
    await store.setRegisteredModelAlias('soft', 'champion', 3);
    await store.setRegisteredModelAlias('soft', 'keep', 1);
    const before = await store.getRegisteredModel('soft');
    await sleep(2);
    await store.deleteModelVersion('soft', 3);

    await expectMlflowError(store.getModelVersion('soft', 3), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.getModelVersionDownloadUri('soft', 3), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(
      store.setModelVersionTag('soft', 3, { key: 'a', value: 'b' }),
      'RESOURCE_DOES_NOT_EXIST',
    );
    await expectMlflowError(store.setRegisteredModelAlias('soft', 'back', 3), 'RESOURCE_DOES_NOT_EXIST');
    await expectMlflowError(store.deleteModelVersion('soft', 3), 'RESOURCE_DOES_NOT_EXIST');
    expect(await versionKeys(store, { filter: "name = 'soft'" })).toEqual(['soft/2', 'soft/1']);
    expect(await versionKeys(store, { filter: "run_id = 'r-soft'" })).toEqual(['soft/1']);
    expect(await versionKeys(store, { filter: 'version_number = 3' })).toEqual([]);
    expect(await store.getLatestVersions('soft', ['Production'])).toEqual([]);
    await expectMlflowError(
      store.getModelVersionByAlias('soft', 'champion'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias champion not found.',
    );
    expect((await store.getModelVersionByAlias('soft', 'latest')).version).toBe('2');

    const after = await store.getRegisteredModel('soft');
    expect(after.aliases).toEqual([{ alias: 'keep', version: '1' }]);
    expect(after.latest_versions).toEqual([v2]);
    expect(after.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp);
    expect((await newVersion(store, 'soft')).version).toBe('4');
  });

  test('transition moves a version; archive_existing_versions archives only the target stage', async (store) => {
    await newModel(store, 'tr');
    for (let i = 0; i < 4; i++) await newVersion(store, 'tr');
    const p1 = await store.transitionModelVersionStage('tr', 1, 'Production', false);
    expect(p1.current_stage).toBe('Production');
    await store.transitionModelVersionStage('tr', 2, 'Production', false);
    await store.transitionModelVersionStage('tr', 3, 'Staging', false);
    const stages = async () => byVersion((await searchVersions(store, { filter: "name = 'tr'" })).items);
    expect(await stages()).toEqual(['1:Production', '2:Production', '3:Staging', '4:None']);
    const model = await store.getRegisteredModel('tr');
    await sleep(2);

    const p4 = await store.transitionModelVersionStage('tr', 4, 'Production', true);
    expect(p4.current_stage).toBe('Production');
    expect(await stages()).toEqual(['1:Archived', '2:Archived', '3:Staging', '4:Production']);
    const archived = await store.getModelVersion('tr', 1);
    expect(archived.last_updated_timestamp).toBeGreaterThan(p1.last_updated_timestamp);
    expect((await store.getRegisteredModel('tr')).last_updated_timestamp).toBeGreaterThan(
      model.last_updated_timestamp,
    );

    for (const stage of ['None', 'Archived'] as Stage[]) {
      await expectMlflowError(
        store.transitionModelVersionStage('tr', 3, stage, true),
        'INVALID_PARAMETER_VALUE',
        'Valid stages are Staging, Production',
      );
    }
    expect(await stages()).toEqual(['1:Archived', '2:Archived', '3:Staging', '4:Production']);
    await store.transitionModelVersionStage('tr', 1, 'Staging', true);
    expect(await stages()).toEqual(['1:Staging', '2:Archived', '3:Archived', '4:Production']);
    await store.transitionModelVersionStage('tr', 2, 'None', false);
    expect(await stages()).toEqual(['1:Staging', '2:None', '3:Archived', '4:Production']);
  });

  test('get_latest_versions: the highest version per stage, or only for the stages asked for', async (store) => {
    await newModel(store, 'lv');
    const plan: Stage[] = ['None', 'Staging', 'Staging', 'Production', 'None', 'Archived', 'Production'];
    for (const [i, stage] of plan.entries()) {
      await newVersion(store, 'lv');
      if (stage !== 'None') await store.transitionModelVersionStage('lv', i + 1, stage, false);
    }
    await store.transitionModelVersionStage('lv', 7, 'Archived', false);
    // 1 None, 2 Staging, 3 Staging, 4 Production, 5 None, 6 Archived, 7 Archived
    expect(byVersion(await store.getLatestVersions('lv', []))).toEqual([
      '3:Staging',
      '4:Production',
      '5:None',
      '7:Archived',
    ]);
    expect(byVersion(await store.getLatestVersions('lv', ['Production']))).toEqual(['4:Production']);
    expect(byVersion(await store.getLatestVersions('lv', ['Staging', 'Archived']))).toEqual([
      '3:Staging',
      '7:Archived',
    ]);
    expect(byVersion((await store.getRegisteredModel('lv')).latest_versions)).toEqual([
      '3:Staging',
      '4:Production',
      '5:None',
      '7:Archived',
    ]);
    await newModel(store, 'lv-empty');
    expect(await store.getLatestVersions('lv-empty', [])).toEqual([]);
  });

  test('aliases: set, move, get and delete; latest resolves the highest version', async (store) => {
    await newModel(store, 'al');
    for (let i = 0; i < 3; i++) await newVersion(store, 'al');
    await store.setRegisteredModelAlias('al', 'champion', 1);
    const c1 = await store.getModelVersionByAlias('al', 'champion');
    expect(c1.version).toBe('1');
    expect(c1.aliases).toEqual(['champion']);
    await store.setRegisteredModelAlias('al', 'champion', 2);
    await store.setRegisteredModelAlias('al', 'challenger', 2);
    expect((await store.getModelVersion('al', 1)).aliases).toEqual([]);
    expect((await store.getModelVersion('al', 2)).aliases).toEqual(['challenger', 'champion']);
    expect((await store.getModelVersionByAlias('al', 'champion')).version).toBe('2');
    expect((await store.getRegisteredModel('al')).aliases).toEqual([
      { alias: 'challenger', version: '2' },
      { alias: 'champion', version: '2' },
    ]);
    expect((await store.getModelVersionByAlias('al', 'latest')).version).toBe('3');
    expect((await store.getModelVersionByAlias('al', 'LATEST')).version).toBe('3');
    await store.transitionModelVersionStage('al', 3, 'Archived', false);
    expect((await store.getModelVersionByAlias('al', 'latest')).version).toBe('3');

    await store.deleteRegisteredModelAlias('al', 'champion');
    await store.deleteRegisteredModelAlias('al', 'champion');
    await expectMlflowError(
      store.getModelVersionByAlias('al', 'champion'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias champion not found.',
    );
    expect((await store.getRegisteredModel('al')).aliases).toEqual([{ alias: 'challenger', version: '2' }]);
  });

  test('download uri is the storage location, or the source when there is none', async (store) => {
    await newModel(store, 'dl');
    await newVersion(store, 'dl', { source: 'models:/m-0123', storageLocation: 's3://bucket/models/m-0123' });
    await newVersion(store, 'dl', { source: 's3://bucket/plain' });
    expect(await store.getModelVersionDownloadUri('dl', 1)).toBe('s3://bucket/models/m-0123');
    expect((await store.getModelVersion('dl', 1)).source).toBe('models:/m-0123');
    expect(await store.getModelVersionDownloadUri('dl', 2)).toBe('s3://bucket/plain');
  });

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
