import { type Ddb, type Key, keyOf } from './ddb.js';
import type { ExperimentItem } from './experiments.js';
import { trigrams } from './fts.js';
import * as K from './keys.js';
import type { RunMeta } from './run-items.js';
import { eachLimit } from './run-writes.js';

/**
 * TTL lifecycle of soft-deleted things (docs/dynamodb.md "TTL"). DynamoDB removes an item some time after the
 * epoch second in its `ttl` attribute; restoring removes the attribute again. Items are updated in place
 * (`SET ttl` / `REMOVE ttl`, only where the item exists), never rewritten, so a concurrent write is not undone.
 */
async function setTtl(ddb: Ddb, keys: readonly Key[], ttl: number | undefined): Promise<void> {
  await eachLimit(keys, 16, async (key) => {
    try {
      await ddb.update({
        Key: key,
        UpdateExpression: ttl === undefined ? 'REMOVE #ttl' : 'SET #ttl = :ttl',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ...(ttl === undefined ? {} : { ExpressionAttributeValues: { ':ttl': ttl } }),
      });
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
    }
  });
}

/** The run's META, pointer, children, name trigrams and whole metric history. */
export async function runKeys(ddb: Ddb, m: RunMeta): Promise<Key[]> {
  const own = await ddb.prefix(m.PK, K.runPrefix(m.run_id), { ProjectionExpression: 'PK, SK' });
  const history = await ddb.query({
    KeyConditionExpression: 'PK = :pk',
    ExpressionAttributeValues: { ':pk': K.historyPk(m.run_id) },
    ProjectionExpression: 'PK, SK',
  });
  return [
    ...own.map(keyOf),
    K.runPointer(m.run_id),
    ...trigrams(m.name).map((t) => ({ PK: m.PK, SK: `${K.runFtsPrefix}${t}#${m.run_id}` })),
    ...history.map(keyOf),
  ];
}

/** Soft delete of one run: everything of it expires together (or, with undefined, no longer expires). */
export async function setRunTtl(ddb: Ddb, m: RunMeta, ttl: number | undefined): Promise<void> {
  await setTtl(ddb, await runKeys(ddb, m), ttl);
}

/**
 * Run META and pointer only: an experiment's delete cascades to every run, and touching every child of every run
 * would make one request cost millions of writes. Their children expire through `mltrack dynamodb ttl cleanup`,
 * which finds runs whose META has expired.
 */
export async function setRunHeadTtl(ddb: Ddb, m: RunMeta, ttl: number | undefined): Promise<void> {
  await setTtl(ddb, [{ PK: m.PK, SK: m.SK }, K.runPointer(m.run_id)], ttl);
}

/** The experiment's META, name sentinel, name trigrams and datasets. */
export async function setExperimentTtl(
  ddb: Ddb,
  e: ExperimentItem,
  ws: string,
  ttl: number | undefined,
): Promise<void> {
  const datasets = await ddb.prefix(K.expPk(e.experiment_id), 'D#', { ProjectionExpression: 'PK, SK' });
  await setTtl(
    ddb,
    [
      K.experiment(e.experiment_id),
      K.experimentName(ws, e.name),
      ...trigrams(e.name).map((t) => ({ PK: K.experimentFtsPk(ws), SK: `${t}#${K.pad20(e.experiment_id)}` })),
      ...datasets.map(keyOf),
    ],
    ttl,
  );
}
