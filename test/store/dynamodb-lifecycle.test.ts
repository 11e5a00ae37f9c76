import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExperimentFilter } from '../../src/domain/search/experiments.js';
import { parseRegisteredModelFilter } from '../../src/domain/search/registry.js';
import { parseRunFilter } from '../../src/domain/search/runs.js';
import { backfillTags, cleanupOrphans, rebuildFts } from '../../src/store/dynamodb/admin.js';
import { DynamoStore } from '../../src/store/dynamodb/dynamo-store.js';
import * as K from '../../src/store/dynamodb/keys.js';
import type { RunMeta } from '../../src/store/dynamodb/run-items.js';
import {
  DYNAMODB_SETUP_TIMEOUT_MS,
  openDynamoTestStore,
  testDynamoEndpoint,
  testDynamoUri,
} from '../helpers/dynamodb.js';

beforeAll(() => void testDynamoEndpoint(), DYNAMODB_SETUP_TIMEOUT_MS);

const opened: DynamoStore[] = [];
async function open(): Promise<DynamoStore> {
  const s = await openDynamoTestStore();
  opened.push(s);
  return s;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const DAY = 86_400;
const nowS = () => Math.floor(Date.now() / 1000);

async function runWithData(s: DynamoStore, name = 'alpha-run') {
  const run = await s.createRun({ experimentId: '0', userId: 'u', startTime: 1, runName: name, tags: [] });
  const id = run.info.run_id;
  await s.logBatch(id, {
    metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }],
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 'team', value: 'a' }],
  });
  return id;
}

/** Ids of the active runs of experiment 0 matching the filter, in MLflow's default order. */
async function activeRunIds(s: DynamoStore, filter: string): Promise<string[]> {
  const page = await s.searchRuns({
    experimentIds: ['0'],
    filter: parseRunFilter(filter),
    viewType: 'ACTIVE_ONLY',
    maxResults: 10,
    orderBy: [],
  });
  return page.items.map((r) => r.info.run_id);
}

describe('DynamoDB provisioning', () => {
  it('creates the table with TTL enabled and the seed items; a second open reuses it', async () => {
    const s = await open();
    const ttl = await s.ddb.raw.send(new DescribeTimeToLiveCommand({ TableName: s.ddb.table }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe('ttl');
    expect((await s.getExperiment('0')).name).toBe('Default');
    expect(await s.ddb.get(K.config.layout)).toMatchObject({ version: 1 });
    const again = await DynamoStore.open(`dynamodb://${s.uri.endpoint}/${s.ddb.table}`, {
      defaultArtifactRoot: '/x',
    });
    expect((await again.getExperiment('0')).artifact_location).toBe('/tmp/mltrack-artifacts/0');
    await again.close();
  });

  it('deploy=false on a missing table fails with the command to run, and creates nothing', async () => {
    const uri = `${testDynamoUri('absent')}?deploy=false`;
    await expect(DynamoStore.open(uri, { defaultArtifactRoot: '/x' })).rejects.toThrow(
      /mltrack dynamodb deploy/,
    );
  });

  it('a table written by a newer item layout is refused', async () => {
    const s = await open();
    await s.ddb.put({ ...K.config.layout, version: 99 });
    await expect(
      DynamoStore.open(`dynamodb://${s.uri.endpoint}/${s.ddb.table}`, { defaultArtifactRoot: '/x' }),
    ).rejects.toThrow(/newer mltrack \(item layout 99/);
  });
});

describe('DynamoDB TTL lifecycle', () => {
  it('deleting a run sets the soft-delete TTL on everything of it; restoring removes it', async () => {
    const s = await open();
    const id = await runWithData(s);
    await s.deleteRun(id);
    const { runKeys } = await import('../../src/store/dynamodb/ttl.js');
    const meta = (await s.ddb.get<RunMeta>(K.run('0', id)))!;
    const keys = await runKeys(s.ddb, meta);
    expect(keys.length).toBeGreaterThanOrEqual(7); // META, tag×2, param, latest, pointer, history, trigrams
    for (const k of keys) {
      const it = await s.ddb.get<{ ttl?: number }>(k);
      expect(it?.ttl, `${k.PK} ${k.SK}`).toBeGreaterThan(nowS() + 89 * DAY);
      expect(it?.ttl).toBeLessThanOrEqual(nowS() + 90 * DAY + 5);
    }
    await s.restoreRun(id);
    for (const k of keys) expect((await s.ddb.get<{ ttl?: number }>(k))?.ttl, `${k.SK}`).toBeUndefined();
    expect((await s.getRun(id)).data.params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  it('retention 0 means never: a delete sets no TTL', async () => {
    const s = await open();
    await s.config.reconcile({ MLFLOW_DYNAMODB_SOFT_DELETED_RETENTION_DAYS: '0' }, true);
    const id = await runWithData(s);
    await s.deleteRun(id);
    expect((await s.ddb.get<{ ttl?: number }>(K.run('0', id)))?.ttl).toBeUndefined();
  });

  it('an experiment delete expires the experiment, its name and its runs; restore brings them back', async () => {
    const s = await open();
    const exp = await s.createExperiment({ name: 'doomed' });
    const run = await s.createRun({ experimentId: exp, userId: 'u', startTime: 1, tags: [] });
    await s.deleteExperiment(exp);
    expect((await s.ddb.get<{ ttl?: number }>(K.experiment(exp)))?.ttl).toBeGreaterThan(nowS());
    expect((await s.ddb.get<{ ttl?: number }>(K.experimentName('default', 'doomed')))?.ttl).toBeGreaterThan(
      nowS(),
    );
    expect((await s.ddb.get<{ ttl?: number }>(K.run(exp, run.info.run_id)))?.ttl).toBeGreaterThan(nowS());
    await s.restoreExperiment(exp);
    expect((await s.ddb.get<{ ttl?: number }>(K.experiment(exp)))?.ttl).toBeUndefined();
    expect((await s.ddb.get<{ ttl?: number }>(K.run(exp, run.info.run_id)))?.ttl).toBeUndefined();
    expect((await s.getRun(run.info.run_id)).info.lifecycle_stage).toBe('active');
  });

  it('metric history gets a TTL only when a history retention is configured', async () => {
    const s = await open();
    const first = await runWithData(s);
    const before = await s.ddb.prefix(K.historyPk(first), 'B#');
    expect(before).toHaveLength(1);
    expect(before[0]?.ttl).toBeUndefined();
    await s.config.reconcile({ MLFLOW_DYNAMODB_METRIC_HISTORY_RETENTION_DAYS: '7' }, true);
    expect(await s.config.readTtl()).toMatchObject({
      metric_history_retention_days: 7,
      soft_deleted_retention_days: 90,
    });
    const second = await runWithData(s);
    const after = await s.ddb.prefix(K.historyPk(second), 'B#');
    expect(after[0]?.ttl).toBeGreaterThan(nowS() + 6 * DAY);
  });

  it('ttl cleanup deletes the leftovers of a run whose META is gone, and nothing else', async () => {
    const s = await open();
    const kept = await runWithData(s, 'kept');
    const gone = await runWithData(s, 'gone');
    await s.ddb.delete(K.run('0', gone)); // what TTL does to the META of an expired run
    const dry = await cleanupOrphans(s.ddb, true);
    const owners = new Set(dry.orphans.map((k) => (k.PK.startsWith('EXP#') ? k.SK : k.PK)));
    expect([...owners].some((o) => o.includes(kept))).toBe(false);
    expect(dry.orphans.some((k) => k.PK === K.runPointer(gone).PK)).toBe(true);
    expect(dry.orphans.some((k) => k.PK === K.historyPk(gone))).toBe(true);
    expect(dry.orphans.some((k) => k.SK.startsWith(`R#${gone}#P#`))).toBe(true);
    expect((await cleanupOrphans(s.ddb, false)).orphans.length).toBe(dry.orphans.length);
    expect((await cleanupOrphans(s.ddb, true)).orphans).toEqual([]);
    expect((await s.getRun(kept)).data.metrics).toHaveLength(1);
  });
});

describe('DynamoDB tag denormalization and FTS maintenance', () => {
  it('mlflow.* tags are copied into the run item; a new pattern is exact before and after backfill', async () => {
    const s = await open();
    const a = await runWithData(s, 'ra');
    const b = await s.createRun({
      experimentId: '0',
      userId: 'u',
      startTime: 2,
      runName: 'rb',
      tags: [{ key: 'team', value: 'b' }],
    });
    const metaA = (await s.ddb.get<RunMeta>(K.run('0', a)))!;
    expect(metaA.dtags).toEqual({ 'mlflow.runName': 'ra' });
    const search = (f: string) => activeRunIds(s, f);
    expect(await search("tags.team = 'a'")).toEqual([a]);
    await s.config.writePatterns(['team']);
    expect(await search("tags.team = 'a'")).toEqual([a]); // maps are stale: tag items answer
    expect(await search("tags.team != 'a'")).toEqual([b.info.run_id]);
    expect((await backfillTags(s.ddb, s.config)).runs).toBe(2);
    expect((await s.ddb.get<RunMeta>(K.run('0', a)))!.dtags).toEqual({ 'mlflow.runName': 'ra', team: 'a' });
    expect(await search("tags.team = 'a'")).toEqual([a]);
    // With current maps, a tag clause that cannot drive an index query reads no tag items at all.
    const before = { ...s.ddb.meter.requests };
    expect(await search("tags.team ILIKE 'A'")).toEqual([a]);
    expect(s.ddb.meter.requests.BatchGetItem ?? 0).toBe(before.BatchGetItem ?? 0);
    expect(s.ddb.meter.requests.Query ?? 0).toBeLessThanOrEqual((before.Query ?? 0) + 3); // lsi1 + the page's run

    await s.logBatch(a, { metrics: [], params: [], tags: [{ key: 'team', value: 'c' }] });
    await s.deleteTag(b.info.run_id, 'team');
    expect(await search("tags.team = 'c'")).toEqual([a]);
    expect(await search('tags.team IS NULL')).toEqual([b.info.run_id]);
    expect((await s.ddb.get<RunMeta>(K.run('0', a)))!.dtags?.team).toBe('c');
  });

  it('fts rebuild restores missing trigram items and removes stale ones', async () => {
    const s = await open();
    const exp = await s.createExperiment({ name: 'searchable-thing' });
    const run = await s.createRun({
      experimentId: exp,
      userId: 'u',
      startTime: 1,
      runName: 'needle',
      tags: [],
    });
    await s.ddb.delete({ PK: K.experimentFtsPk('default'), SK: `hin#${K.pad20(exp)}` });
    await s.ddb.put({ PK: K.expPk(exp), SK: `${K.runFtsPrefix}zzz#${run.info.run_id}` });
    const model = await s.createRegisteredModel({ name: 'Tiny Model', tags: [] });
    const sentinel = (await s.ddb.get<{ rm_id: string }>(K.modelName('default', model.name)))!;
    await s.ddb.delete({ PK: K.modelFtsPk('default'), SK: K.modelFtsSk('tin', sentinel.rm_id) });
    const r = await rebuildFts(s.ddb);
    expect(r).toEqual({ added: 2, removed: 1 });
    const models = await s.searchRegisteredModels({
      filter: parseRegisteredModelFilter("name ILIKE '%tiny%'"),
      includePrompts: false,
      maxResults: 10,
      orderBy: [],
    });
    expect(models.items.map((m) => m.name)).toEqual(['Tiny Model']);
    const found = await s.searchExperiments({
      viewType: 'ACTIVE_ONLY',
      maxResults: 10,
      filter: parseExperimentFilter("name LIKE '%thing%'"),
      orderBy: [],
    });
    expect(found.items.map((e) => e.name)).toEqual(['searchable-thing']);
  });
});

describe('DynamoDB run-name substring search', () => {
  it('is served by the name trigram items, exactly (candidates verified), attribute or mlflow.runName tag', async () => {
    const s = await open();
    const mk = async (runName: string) =>
      (await s.createRun({ experimentId: '0', userId: 'u', startTime: 1, runName, tags: [] })).info.run_id;
    const alpha = await mk('Alpha-One');
    await mk('beta-two');
    const tricky = await mk('alp-ha-x'); // holds the trigram "alp" but not the substring "alpha"
    const search = (f: string) => activeRunIds(s, f);
    expect(await search("attributes.run_name LIKE '%pha-O%'")).toEqual([alpha]);
    expect(await search("attributes.run_name LIKE '%pha-o%'")).toEqual([]);
    expect(await search("attributes.run_name ILIKE '%ALPHA%'")).toEqual([alpha]);
    expect(await search("tags.mlflow.runName ILIKE '%alp%'")).toEqual(
      expect.arrayContaining([alpha, tricky]),
    );
    // Without its trigram item a run is not a candidate (the search used the items) until fts rebuild restores it.
    await s.ddb.delete({ PK: K.expPk('0'), SK: `${K.runFtsPrefix}pha#${alpha}` });
    expect(await search("attributes.run_name LIKE '%pha-O%'")).toEqual([]);
    await rebuildFts(s.ddb);
    expect(await search("attributes.run_name LIKE '%pha-O%'")).toEqual([alpha]);
    await s.updateRun(alpha, { runName: 'renamed' });
    expect(await search("attributes.run_name LIKE '%pha-O%'")).toEqual([]);
    expect(await search("attributes.run_name LIKE '%ename%'")).toEqual([alpha]);
  });
});

describe('DynamoDB metric packing', () => {
  it('big series get chunks of their own, small ones share bucket chunks; both read back exactly', async () => {
    const s = await open();
    const id = (await s.createRun({ experimentId: '0', userId: 'u', startTime: 1, tags: [] })).info.run_id;
    const big = Array.from({ length: 200 }, (_, i) => ({
      key: 'big',
      value: i / 7,
      timestamp: 1000 + i,
      step: i,
    }));
    const small = ['a', 'b', 'c', 'd', 'e', 'f'].flatMap((key, k) =>
      Array.from({ length: 5 }, (_, i) => ({ key, value: k * 10 + i, timestamp: 2000 + i, step: i })),
    );
    await s.logBatch(id, { metrics: [...big, ...small], params: [], tags: [] });
    const items = await s.ddb.query({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': K.historyPk(id) },
    });
    const kinds = items.map((i) => (i.SK as string).slice(0, 2));
    expect(kinds.filter((k) => k === 'K#')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'B#').length).toBeLessThanOrEqual(K.HISTORY_BUCKETS);
    expect(kinds.filter((k) => k === 'L#').length).toBeLessThanOrEqual(K.LATEST_SHARDS);
    const strip = (ms: { key: string; value: number; timestamp: number; step: number }[]) =>
      ms.map(({ key, value, timestamp, step }) => ({ key, value, timestamp, step }));
    expect(strip((await s.getMetricHistory(id, 'big', {})).items)).toEqual(big);
    for (const key of ['a', 'f']) {
      expect(strip((await s.getMetricHistory(id, key, {})).items)).toEqual(
        small.filter((p) => p.key === key),
      );
    }
    const latest = (await s.getRun(id)).data.metrics;
    expect(latest.map((m) => m.key)).toEqual(['a', 'b', 'big', 'c', 'd', 'e', 'f']);
    expect(latest.find((m) => m.key === 'big')).toEqual({
      key: 'big',
      value: 199 / 7,
      timestamp: 1199,
      step: 199,
    });
  });

  it('concurrent batches to one run keep every point and the latest rule', async () => {
    const s = await open();
    const id = (await s.createRun({ experimentId: '0', userId: 'u', startTime: 1, tags: [] })).info.run_id;
    await Promise.all(
      Array.from({ length: 12 }, (_, w) =>
        s.logBatch(id, {
          metrics: Array.from({ length: 10 }, (_, k) => ({
            key: `m${k}`,
            value: w,
            timestamp: 100 + w,
            step: w,
          })),
          params: [],
          tags: [],
        }),
      ),
    );
    const run = await s.getRun(id);
    expect(run.data.metrics).toHaveLength(10);
    for (const m of run.data.metrics) expect(m).toMatchObject({ step: 11, value: 11, timestamp: 111 });
    expect((await s.getMetricHistory(id, 'm3', {})).items).toHaveLength(12);
  });
});
