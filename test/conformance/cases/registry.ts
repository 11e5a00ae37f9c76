import { expect } from 'vitest';
import type { Stage } from '../../../src/domain/entities/registry.js';
import { expectMlflowError } from '../../helpers/mlflow-error.js';
import {
  byVersion,
  modelNames,
  newModel,
  newVersion,
  PROMPT_TAG,
  searchVersions,
  versionKeys,
} from './registry-support.js';
import { type CaseGroup, sleep, sortedKv } from './support.js';

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
};
