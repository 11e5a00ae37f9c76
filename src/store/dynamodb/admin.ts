import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_WORKSPACE } from '../../domain/entities/experiment.js';
import type { DynamoConfig } from './config.js';
import { conditionFailed, type Ddb, type Item, type Key, translate } from './ddb.js';
import type { ExperimentItem } from './experiments.js';
import { trigrams } from './fts.js';
import * as K from './keys.js';
import { modelFtsKeys } from './registry-items.js';
import type { RunMeta } from './run-items.js';
import { eachLimit } from './run-writes.js';

/** Maintenance of the table for `mltrack dynamodb …` (not on any request path; some of it scans the table). */

async function allExperiments(ddb: Ddb): Promise<ExperimentItem[]> {
  return (await ddb.query({
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk',
    ExpressionAttributeValues: { ':pk': K.experimentList(DEFAULT_WORKSPACE) },
  })) as unknown as ExperimentItem[];
}

async function allRuns(ddb: Ddb, exp: string): Promise<RunMeta[]> {
  return (await ddb.query({
    IndexName: 'lsi1',
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': K.expPk(exp) },
  })) as unknown as RunMeta[];
}

/**
 * Rebuilds every run's denormalized tag map for the current patterns. Each run is updated only if its version
 * did not change while its tags were read (a concurrent tag write raises it), else read again.
 */
export async function backfillTags(
  ddb: Ddb,
  config: DynamoConfig,
  experimentId?: string,
): Promise<{ runs: number }> {
  const hash = config.patternsHash();
  const exps =
    experimentId === undefined ? (await allExperiments(ddb)).map((e) => e.experiment_id) : [experimentId];
  let runs = 0;
  for (const exp of exps) {
    await eachLimit(await allRuns(ddb, exp), 8, async (first) => {
      let m: RunMeta | undefined = first;
      for (let attempt = 0; m !== undefined && attempt < 5; attempt++) {
        const tags = await ddb.prefix(m.PK, `${K.runPrefix(m.run_id)}#T#`);
        const dtags = Object.fromEntries(
          tags
            .filter((t) => config.denormalized(t.key as string))
            .map((t) => [t.key as string, t.value as string]),
        );
        try {
          await ddb.update({
            Key: { PK: m.PK, SK: m.SK },
            UpdateExpression: 'SET dtags = :d, dph = :h',
            ConditionExpression: 'ver = :v',
            ExpressionAttributeValues: { ':d': dtags, ':h': hash, ':v': m.ver },
          });
          runs++;
          return;
        } catch (e) {
          if (!conditionFailed(e)) throw e;
          m = await ddb.get<RunMeta>({ PK: m.PK, SK: m.SK });
        }
      }
    });
  }
  return { runs };
}

/** Every item key of one partition. */
async function partitionKeys(ddb: Ddb, pk: string): Promise<string[]> {
  const items = await ddb.query({
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    ProjectionExpression: 'SK',
  });
  return items.map((i) => i.SK as string);
}

/** Registered-model name items (trigrams and long-name markers) to add and remove. */
async function modelFtsDiff(ddb: Ddb): Promise<{ put: Key[]; del: Key[] }> {
  const metas = await ddb.query({
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :pk',
    ExpressionAttributeValues: { ':pk': K.modelList(DEFAULT_WORKSPACE) },
  });
  const want = new Map<string, Key>();
  for (const m of metas) {
    for (const k of modelFtsKeys(m.rm_id as string, m.name as string)) want.set(`${k.PK}|${k.SK}`, k);
  }
  const have = new Map<string, Key>();
  for (const pk of [K.modelFtsPk(DEFAULT_WORKSPACE), K.modelFtsLongPk(DEFAULT_WORKSPACE)]) {
    for (const SK of await partitionKeys(ddb, pk)) have.set(`${pk}|${SK}`, { PK: pk, SK });
  }
  return {
    put: [...want].filter(([id]) => !have.has(id)).map(([, k]) => k),
    del: [...have].filter(([id]) => !want.has(id)).map(([, k]) => k),
  };
}

/**
 * Writes the trigram items every experiment, run and registered-model name needs and deletes the ones no name
 * needs.
 */
export async function rebuildFts(ddb: Ddb): Promise<{ added: number; removed: number }> {
  const models = await modelFtsDiff(ddb);
  await ddb.batchWrite(models.put, models.del);
  let added = models.put.length;
  let removed = models.del.length;
  const exps = await allExperiments(ddb);
  const want = new Set<string>();
  for (const e of exps) for (const t of trigrams(e.name)) want.add(`${t}#${K.pad20(e.experiment_id)}`);
  const pk = K.experimentFtsPk(DEFAULT_WORKSPACE);
  const have = new Set(await partitionKeys(ddb, pk));
  const put = [...want].filter((s) => !have.has(s)).map((SK) => ({ PK: pk, SK }));
  const del = [...have].filter((s) => !want.has(s)).map((SK) => ({ PK: pk, SK }));
  await ddb.batchWrite(put, del);
  added += put.length;
  removed += del.length;
  for (const e of exps) {
    const runWant = new Set<string>();
    for (const r of await allRuns(ddb, e.experiment_id)) {
      for (const t of trigrams(r.name)) runWant.add(`${K.runFtsPrefix}${t}#${r.run_id}`);
    }
    const epk = K.expPk(e.experiment_id);
    const runHave = new Set(
      (await ddb.prefix(epk, K.runFtsPrefix, { ProjectionExpression: 'SK' })).map((i) => i.SK as string),
    );
    const p = [...runWant].filter((s) => !runHave.has(s)).map((SK) => ({ PK: epk, SK }));
    const d = [...runHave].filter((s) => !runWant.has(s)).map((SK) => ({ PK: epk, SK }));
    await ddb.batchWrite(p, d);
    added += p.length;
    removed += d.length;
  }
  return { added, removed };
}

/** Every item key of the table (a Scan: admin use only). */
async function scanKeys(ddb: Ddb): Promise<Key[]> {
  const out: Key[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    let page: { Items?: Item[]; LastEvaluatedKey?: Record<string, unknown> };
    try {
      page = await ddb.doc.send(
        new ScanCommand({
          TableName: ddb.table,
          ProjectionExpression: 'PK, SK',
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
    } catch (e) {
      throw translate(e);
    }
    for (const i of page.Items ?? []) out.push({ PK: i.PK as string, SK: i.SK as string });
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/**
 * Orphans: items whose owner is gone (its META expired through TTL, or a failed write left them behind) — the
 * children, pointers, name trigrams and history of runs without META, and everything of experiments without META.
 * The scan is not a snapshot, so every owner found missing is checked again with a consistent read before
 * anything of it is deleted (a run created during the scan is not touched). Deletes unless `dryRun`.
 */
export async function cleanupOrphans(
  ddb: Ddb,
  dryRun: boolean,
): Promise<{ scanned: number; orphans: Key[] }> {
  const keys = await scanKeys(ddb);
  const experiments = new Set<string>();
  const runs = new Set<string>();
  for (const k of keys) {
    if (k.PK.startsWith('EXP#') && k.SK === 'E#META') experiments.add(k.PK.slice(4));
    if (k.PK.startsWith('EXP#') && /^R#[0-9a-f]{32}$/.test(k.SK)) runs.add(k.SK.slice(2));
  }
  const ownerOf = (k: Key): { exp?: string; run?: string } | undefined => {
    if (k.PK.startsWith('EXP#')) {
      const exp = k.PK.slice(4);
      if (!experiments.has(exp)) return { exp };
      const run = /^R#([0-9a-f]{32})#/.exec(k.SK)?.[1] ?? /^F#R#.*#([0-9a-f]{32})$/.exec(k.SK)?.[1];
      return run !== undefined && !runs.has(run) ? { exp, run } : undefined;
    }
    if (k.PK.startsWith('RUN#')) return runs.has(k.PK.slice(4)) ? undefined : { run: k.PK.slice(4) };
    if (k.PK.startsWith('MH#')) return runs.has(k.PK.slice(3)) ? undefined : { run: k.PK.slice(3) };
    if (k.PK.startsWith('FTS#E#')) {
      const exp = String(Number(k.SK.slice(-20)));
      return experiments.has(exp) ? undefined : { exp };
    }
    return undefined;
  };
  // Consistent second look at each missing owner.
  const gone = new Map<string, boolean>();
  const stillGone = async (o: { exp?: string; run?: string }): Promise<boolean> => {
    const id = `${o.exp ?? ''}/${o.run ?? ''}`;
    const known = gone.get(id);
    if (known !== undefined) return known;
    let missing: boolean;
    if (o.run === undefined) missing = (await ddb.get(K.experiment(o.exp!))) === undefined;
    else {
      const ptr = await ddb.get<{ experiment_id: string }>(K.runPointer(o.run));
      const exp = ptr?.experiment_id ?? o.exp;
      missing = exp === undefined || (await ddb.get(K.run(exp, o.run))) === undefined;
    }
    gone.set(id, missing);
    return missing;
  };
  const orphans: Key[] = [];
  for (const k of keys) {
    const o = ownerOf(k);
    if (o !== undefined && (await stillGone(o))) orphans.push(k);
  }
  if (!dryRun) await ddb.batchWrite([], orphans);
  return { scanned: keys.length, orphans };
}
