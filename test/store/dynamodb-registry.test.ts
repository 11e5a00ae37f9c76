import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MlflowError } from '../../src/domain/errors.js';
import {
  parseModelVersionFilter,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
} from '../../src/domain/search/registry.js';
import { translate } from '../../src/store/dynamodb/ddb.js';
import type { DynamoStore } from '../../src/store/dynamodb/dynamo-store.js';
import * as K from '../../src/store/dynamodb/keys.js';
import { retryConflicts } from '../../src/store/dynamodb/registry-tx.js';
import { DYNAMODB_SETUP_TIMEOUT_MS, openDynamoTestStore } from '../helpers/dynamodb.js';
import { expectMlflowError } from '../helpers/mlflow-error.js';

/**
 * The model registry on DynamoDB beyond the shared conformance cases: what its item layout has to get right
 * (long names, trigram folding, more tags than one transaction holds, the run-id index, delete cleanup) and races
 * between writers of one model. One table for the file; every test uses its own model names.
 */
describe('DynamoDB model registry', () => {
  let store: DynamoStore;
  beforeAll(async () => {
    store = await openDynamoTestStore();
  }, DYNAMODB_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await store?.close();
  });

  const names = async (filter: string, includePrompts = false) =>
    (
      await store.searchRegisteredModels({
        filter: parseRegisteredModelFilter(filter),
        includePrompts,
        maxResults: 1000,
        orderBy: [],
      })
    ).items.map((m) => m.name);
  const versions = async (filter: string) =>
    (
      await store.searchModelVersions({
        filter: parseModelVersionFilter(filter),
        includePrompts: false,
        maxResults: 1000,
        orderBy: [],
      })
    ).items.map((v) => `${v.name}/${v.version}`);
  const newVersion = (
    name: string,
    extra: { runId?: string; tags?: { key: string; value: string }[] } = {},
  ) => store.createModelVersion({ name, source: `s3://b/${name}`, tags: extra.tags ?? [], ...extra });

  it('names of any length: sentinel by hash, no trigram items, still found by substring search', async () => {
    const long = `long-${'x'.repeat(600)}-needle-${'é'.repeat(400)}`;
    await store.createRegisteredModel({ name: long, tags: [] });
    expect((await store.getRegisteredModel(long)).name).toBe(long);
    expect(await names("name LIKE '%-needle-%'")).toEqual([long]);
    expect(await names("name ILIKE '%NEEDLE%'")).toEqual([long]);
    await expectMlflowError(store.createRegisteredModel({ name: long, tags: [] }), 'RESOURCE_ALREADY_EXISTS');
    const renamed = `${long}-2`;
    await store.renameRegisteredModel(long, renamed);
    expect(await names("name LIKE '%-needle-%'")).toEqual([renamed]);
    await store.renameRegisteredModel(renamed, 'short-needle');
    expect(await names("name LIKE '%needle%'")).toEqual(['short-needle']);
    await store.deleteRegisteredModel('short-needle');
    expect(await names("name LIKE '%needle%'")).toEqual([]);
  });

  it('substring search folds case per character (a final sigma is still found)', async () => {
    await store.createRegisteredModel({ name: 'ΑΒΣΓ-model', tags: [] });
    await store.createRegisteredModel({ name: 'ΧΑΒΣ', tags: [] });
    expect(await names("name LIKE '%ΑΒΣ%'")).toEqual(['ΑΒΣΓ-model', 'ΧΑΒΣ']);
    expect(await names("name ILIKE '%αβς'")).toEqual(['ΧΑΒΣ']);
    expect(await names("name ILIKE '%αβσγ%'")).toEqual(['ΑΒΣΓ-model']);
  });

  it('more tags than one transaction holds: model and version keep all of them', async () => {
    const tags = Array.from({ length: 150 }, (_, i) => ({
      key: `k${String(i).padStart(3, '0')}`,
      value: `v${i}`,
    }));
    const m = await store.createRegisteredModel({ name: 'many-tags', tags });
    expect(m.tags).toHaveLength(150);
    expect((await store.getRegisteredModel('many-tags')).tags).toEqual(tags);
    const v = await newVersion('many-tags', { tags, runId: 'run-many' });
    expect(v.tags).toEqual(tags);
    expect((await store.getModelVersion('many-tags', 1)).tags).toEqual(tags);
    expect((await store.getRegisteredModel('many-tags')).latest_versions.map((x) => x.version)).toEqual([
      '1',
    ]);
    expect(await versions("run_id = 'run-many'")).toEqual(['many-tags/1']);
    expect(await versions("tags.k149 = 'v149'")).toEqual(['many-tags/1']);
    expect(await names("tags.k149 = 'v149'")).toEqual(['many-tags']);
  });

  it('run-id index: IN over several runs, redacted on soft delete', async () => {
    await store.createRegisteredModel({ name: 'by-run', tags: [] });
    await newVersion('by-run', { runId: 'ra' });
    await newVersion('by-run', { runId: 'rb' });
    await newVersion('by-run', { runId: 'ra' });
    expect((await versions("run_id IN ('ra', 'rb')")).sort()).toEqual(['by-run/1', 'by-run/2', 'by-run/3']);
    expect(await versions("run_id = 'ra' AND version_number = 3")).toEqual(['by-run/3']);
    await store.deleteModelVersion('by-run', 3);
    expect(await versions("run_id = 'ra'")).toEqual(['by-run/1']);
    expect(await versions("name = 'by-run' AND version_number = 3")).toEqual([]);
  });

  it('prompt flag follows the prompt tag', async () => {
    await store.createRegisteredModel({ name: 'flag', tags: [] });
    expect(await names("name = 'flag'")).toEqual(['flag']);
    await store.setRegisteredModelTag('flag', { key: 'mlflow.prompt.is_prompt', value: 'TRUE' });
    expect(await names("name = 'flag'")).toEqual([]);
    expect(await names("name = 'flag'", true)).toEqual(['flag']);
    await store.deleteRegisteredModelTag('flag', 'mlflow.prompt.is_prompt');
    expect(await names("name = 'flag'")).toEqual(['flag']);
  });

  it('a page token belongs to its query', async () => {
    for (const n of ['tok-a', 'tok-b', 'tok-c']) await store.createRegisteredModel({ name: n, tags: [] });
    const q = {
      filter: parseRegisteredModelFilter("name LIKE 'tok-%'"),
      includePrompts: false,
      maxResults: 2,
      orderBy: parseRegisteredModelOrderBy(['name DESC']),
    };
    const first = await store.searchRegisteredModels(q);
    expect(first.items.map((m) => m.name)).toEqual(['tok-c', 'tok-b']);
    const token = first.nextPageToken!;
    // A model created between pages neither repeats nor shifts the next page.
    await store.createRegisteredModel({ name: 'tok-bb', tags: [] });
    const second = await store.searchRegisteredModels({ ...q, pageToken: token });
    expect(second.items.map((m) => m.name)).toEqual(['tok-a']);
    await expectMlflowError(
      store.searchRegisteredModels({ ...q, orderBy: [], pageToken: token }),
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('concurrent transitions with archive_existing_versions leave exactly one version in the stage', async () => {
    await store.createRegisteredModel({ name: 'arch', tags: [] });
    for (let i = 0; i < 12; i++) await newVersion('arch');
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.transitionModelVersionStage('arch', i + 1, 'Production', true),
      ),
    );
    const stages = (
      await store.searchModelVersions({
        filter: parseModelVersionFilter("name = 'arch'"),
        includePrompts: false,
        maxResults: 100,
        orderBy: [],
      })
    ).items.map((v) => v.current_stage);
    expect(stages.filter((s) => s === 'Production')).toHaveLength(1);
    expect(stages.filter((s) => s === 'Archived')).toHaveLength(11);
  });

  it('an alias set while its version is deleted never outlives the version', async () => {
    await store.createRegisteredModel({ name: 'race-alias', tags: [] });
    for (let round = 1; round <= 6; round++) {
      await newVersion('race-alias');
      const results = await Promise.allSettled([
        store.setRegisteredModelAlias('race-alias', `a${round}`, round),
        store.deleteModelVersion('race-alias', round),
        store.setRegisteredModelAlias('race-alias', `b${round}`, round),
      ]);
      expect(results[1]!.status).toBe('fulfilled');
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as MlflowError).code).toBe('RESOURCE_DOES_NOT_EXIST');
      }
    }
    expect((await store.getRegisteredModel('race-alias')).aliases).toEqual([]);
  });

  it('concurrent renames: one wins, the name index follows the final name', async () => {
    await store.createRegisteredModel({ name: 'ren-src', tags: [] });
    const results = await Promise.allSettled(
      ['ren-alpha', 'ren-beta', 'ren-gamma'].map((n) => store.renameRegisteredModel('ren-src', n)),
    );
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.name] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as MlflowError).code).toBe('RESOURCE_DOES_NOT_EXIST');
    }
    expect(await names("name LIKE 'ren-%'")).toEqual(won);
    expect(await names(`name LIKE '%${won[0]!.slice(4)}%'`)).toEqual(won);
  });

  it('delete removes every item of the model; a delete that died half-way is finished by the next one', async () => {
    await store.createRegisteredModel({ name: 'gone-1', tags: [{ key: 't', value: '1' }] });
    await newVersion('gone-1', { runId: 'r-gone', tags: [{ key: 'vt', value: '1' }] });
    await store.setRegisteredModelAlias('gone-1', 'champ', 1);
    const id = (await store.ddb.get<{ rm_id: string }>(K.modelName('default', 'gone-1')))!.rm_id;
    await store.deleteRegisteredModel('gone-1');
    const partition = (pk: string) =>
      store.ddb.query({ KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': pk } });
    expect(await partition(K.modelPk(id))).toEqual([]);
    expect(await partition(K.modelTombstonePk('default'))).toEqual([]);
    expect(
      (await partition(K.modelFtsPk('default'))).filter((i) => (i.SK as string).endsWith(`#${id}`)),
    ).toEqual([]);

    // A crash after the transaction: the partition and a stale tombstone remain; the next delete sweeps them.
    await store.ddb.batchWrite([
      { ...K.modelTag('orphan', 't'), key: 't', value: '1' },
      { PK: K.modelFtsPk('default'), SK: K.modelFtsSk('orp', 'orphan') },
      { ...K.modelTombstone('default', 'orphan'), rm_id: 'orphan', name: 'orphan', deleted_time: 1 },
    ]);
    await store.createRegisteredModel({ name: 'gone-2', tags: [] });
    await store.deleteRegisteredModel('gone-2');
    expect(await partition(K.modelPk('orphan'))).toEqual([]);
    expect(await partition(K.modelTombstonePk('default'))).toEqual([]);
  });

  it('get_model_version_by_alias latest on a model without versions', async () => {
    await store.createRegisteredModel({ name: 'no-versions', tags: [] });
    await expectMlflowError(
      store.getModelVersionByAlias('no-versions', 'latest'),
      'RESOURCE_DOES_NOT_EXIST',
      'Latest version not found for model no-versions.',
    );
  });
});

/** DynamoDB Local runs transactions one at a time, so the conflicts AWS reports are simulated here. */
describe('registry writes retry transaction conflicts', () => {
  const cancelled = (code: string) =>
    translate(
      Object.assign(new Error('cancelled'), {
        name: 'TransactionCanceledException',
        CancellationReasons: [{ Code: 'None' }, { Code: code }],
      }),
    );

  it('retries a cancelled transaction or a conflicting single write until it goes through', async () => {
    let calls = 0;
    const out = await retryConflicts(async () => {
      calls++;
      if (calls === 1) throw cancelled('TransactionConflict');
      if (calls === 2) throw Object.assign(new Error('conflict'), { name: 'TransactionConflictException' });
      return 'done';
    });
    expect(out).toBe('done');
    expect(calls).toBe(3);
  });

  it('does not retry a failed condition, and gives up with a 503 when conflicts go on', async () => {
    let calls = 0;
    const condition = cancelled('ConditionalCheckFailed');
    await expect(
      retryConflicts(async () => {
        calls++;
        throw condition;
      }),
    ).rejects.toBe(condition);
    expect(calls).toBe(1);
    await expectMlflowError(
      retryConflicts(async () => {
        throw cancelled('TransactionConflict');
      }),
      'TEMPORARILY_UNAVAILABLE',
    );
  }, 20_000);
});
